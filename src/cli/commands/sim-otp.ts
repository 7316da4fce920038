/**
 * `tokenrig sim otp`: run a simulated OTP token reachable the way hardware is: a pty (or TCP
 * serial port) speaking docs/serial-protocol.md and a UDP HID endpoint speaking
 * docs/hid-otp-protocol.md. With --json the first stdout line is the `ready` event naming the
 * endpoints, then one JSON line per event; the secret is printed only with --reveal.
 * Without --json, on a terminal, a live view: the LCD, the step countdown, Space/Enter presses
 * the button, q or Ctrl-C quits.
 */
import { readFileSync } from 'node:fs';
import { DEVICE_PROFILES, type DeviceProfile, deviceProfile, validateDeviceProfile } from '../../../devices/index.js';
import { PtyEndpoint } from '../../../firmware-sim/endpoints/pty-endpoint.js';
import { TcpSerialEndpoint } from '../../../firmware-sim/endpoints/tcp-serial-endpoint.js';
import { UdpEndpoint } from '../../../firmware-sim/endpoints/udp-endpoint.js';
import { type DeviceLogger, createNodeEnvironment } from '../../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../../../firmware-sim/otp/index.js';
import { openProfileUhid } from '../../../firmware-sim/endpoints/uhid-devices.js';
import { createOtpParts, createOtpUsbDevice } from '../../../firmware-sim/usb/index.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../../errors.js';
import { base32Encode, formatOtpAuthUri, parseBase32Secret } from '../../otp/index.js';
import { flag, numberOpt, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { SEED_FILE_OPTIONS, seedFromOptions } from '../seed-options.js';
import { USB_ENDPOINT_OPTIONS, USB_ENDPOINT_USAGE, openUsbEndpoints, usbEndpointRequest, wantsUsbEndpoints, withUsbipDefault } from '../usb-endpoints.js';

/** A device profile from a JSON file, validated (the error names the field). */
function loadProfileFile(path: string): DeviceProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw badInput(`cannot read --profile-file ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badFile(`--profile-file ${path} is not JSON: ${(e as Error).message}`, e);
  }
  return validateDeviceProfile(value);
}

const USAGE = `usage: tokenrig sim otp [--profile NAME | --profile-file JSON] [--secret B32] [--serial SN] [--serial-port pty|tcp:PORT]
                        [--hid udp[:PORT]] [--usbip[=PORT] [--listen ADDR]] [--uhid] [--state DIR]
                        [--offset SECONDS] [--drift PPM] [--link PATH] [--json] [--reveal]
  profiles: ${Object.keys(DEVICE_PROFILES).join(', ')} (default aws-totp)
  --serial-port pty       a real /dev/pts/N (via socat) that serialport, pyserial, screen open
  --serial-port tcp:PORT  a serial session over TCP on 127.0.0.1:PORT (0 = any free port)
  --hid udp[:PORT]        the vendor HID interface over UDP on 127.0.0.1 (default port 8111; 0 = any)
${USB_ENDPOINT_USAGE}
  --state DIR             persist the token (seed, serial, HOTP counter) in DIR, files mode 0600
  --seed-file FILE        take secret and serial from a seed file (PSKC, CSV, URIs, QR PNG) instead of
                          --secret; [--password P | --key HEX] decrypt it, --serial picks one of many
  with none of --serial-port, --hid, --usbip, --uhid, a pty is opened`;

interface Endpoints {
  serial?: string;
  hid?: string;
  close(): Promise<void>;
}

function parsePortSpec(value: string, option: string, prefix: string): number {
  const m = new RegExp(`^${prefix}(?::(\\d{1,5}))?$`).exec(value);
  if (m === null) throw badInput(`--${option} must be ${prefix === 'tcp' ? 'pty or tcp:PORT' : 'udp or udp:PORT'}, got ${JSON.stringify(value)}`);
  const port = m[1] === undefined ? -1 : Number(m[1]);
  if (port > 65535) throw badInput(`--${option}: port must be 0..65535`);
  return port;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(withUsbipDefault(argv), {
    ...SEED_FILE_OPTIONS,
    ...USB_ENDPOINT_OPTIONS,
    profile: { type: 'string' },
    'profile-file': { type: 'string' },
    secret: { type: 'string' },
    serial: { type: 'string' },
    'serial-port': { type: 'string' },
    hid: { type: 'string' },
    state: { type: 'string' },
    offset: { type: 'string' },
    drift: { type: 'string' },
    link: { type: 'string' },
    reveal: { type: 'boolean' },
  });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const json = flag(args, 'json');
  const profileFile = stringOpt(args, 'profile-file');
  if (profileFile !== undefined && stringOpt(args, 'profile') !== undefined) throw badInput('give --profile or --profile-file, not both');
  const profile = profileFile === undefined ? deviceProfile(stringOpt(args, 'profile') ?? 'aws-totp') : loadProfileFile(profileFile);
  const secretText = stringOpt(args, 'secret');
  const fromFile = await seedFromOptions(args);
  if (fromFile !== undefined && secretText !== undefined) throw badInput('give --secret or --seed-file, not both');
  const secret = fromFile?.secret ?? (secretText === undefined ? undefined : parseBase32Secret(secretText));
  const serialPort = stringOpt(args, 'serial-port');
  const hid = stringOpt(args, 'hid');
  const tcpPort = serialPort === undefined || serialPort === 'pty' ? undefined : parsePortSpec(serialPort, 'serial-port', 'tcp');
  if (tcpPort === -1) throw badInput('--serial-port tcp needs a port: tcp:PORT (0 = any free port)');
  const udpPort = hid === undefined ? undefined : parsePortSpec(hid, 'hid', 'udp');
  const usbRequest = usbEndpointRequest(args);
  const wantPty = serialPort === 'pty' || (serialPort === undefined && hid === undefined && !wantsUsbEndpoints(usbRequest));

  const emit = (e: Record<string, unknown>): void => {
    if (json) printJson(io, e);
  };
  // The ready line comes first: events from before it (token-created) are held until then.
  let early: Record<string, unknown>[] | undefined = [];
  const logger: DeviceLogger = {
    log: (level, event, fields = {}) => {
      const e = { event, level, ...fields };
      if (early !== undefined) early.push(e);
      else emit(e);
    },
  };
  const env = createNodeEnvironment({ stateDir: stringOpt(args, 'state'), log: logger });
  const token = OtpTokenFirmware.open(env, profile, {
    secret,
    serial: fromFile?.serial ?? stringOpt(args, 'serial'),
    offsetMs: (numberOpt(args, 'offset', -1e9, 1e9) ?? 0) * 1000,
    ppm: numberOpt(args, 'drift', -999_999, 999_999) ?? 0,
  });
  const endpoints = await openEndpoints(token, env, { wantPty, tcpPort, udpPort, link: stringOpt(args, 'link') });
  const usb = await openUsbEndpoints(
    usbRequest,
    {
      usbDevice: () => createOtpUsbDevice(env, token),
      uhid: () => openProfileUhid(profile, createOtpParts(env, token, ['otp-vendor', 'keyboard']), token.serial),
    },
    ({ event, ...fields }) => logger.log('info', String(event), fields),
  ).catch(async (e: unknown) => {
    await endpoints.close();
    throw e;
  });
  const reveal = flag(args, 'reveal');
  const revealed = reveal ? token.exportSecret() : undefined;
  const secretB32 = revealed === undefined ? undefined : base32Encode(revealed);
  emit({
    event: 'ready',
    serial: token.serial,
    profile: profile.name,
    identity: token.identity,
    otp: profile.otp,
    endpoints: {
      ...(endpoints.serial === undefined ? {} : { serial: endpoints.serial }),
      ...(endpoints.hid === undefined ? {} : { hid: endpoints.hid }),
      ...(usb.usbip === undefined ? {} : { usbip: usb.usbip }),
      ...(usb.uhid === undefined ? {} : { uhid: usb.uhid }),
    },
    pid: process.pid,
    ...(revealed === undefined
      ? {}
      : {
          secret: secretB32,
          uri: formatOtpAuthUri({
            type: profile.otp.kind,
            secret: revealed,
            account: token.serial,
            issuer: 'tokenrig',
            algorithm: profile.otp.algorithm,
            digits: profile.otp.digits,
            period: profile.otp.kind === 'totp' ? profile.otp.period : 30,
            ...(profile.otp.kind === 'hotp' ? { counter: BigInt(token.counter) } : {}),
          }),
        }),
  });
  for (const e of early) emit(e);
  early = undefined;
  if (!json) {
    printLine(io, `simulated ${profile.model} ${token.serial} (${profile.name})`);
    if (endpoints.serial !== undefined) printLine(io, `  serial: ${endpoints.serial}`);
    if (endpoints.hid !== undefined) printLine(io, `  hid:    ${endpoints.hid}`);
    if (usb.usbip !== undefined) printLine(io, `  usbip:  ${usb.usbip}`);
    if (usb.uhid !== undefined) printLine(io, `  uhid:   ${usb.uhid.join(' ')}`);
    if (secretB32 !== undefined) printLine(io, `  secret: ${secretB32}`);
  }

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      view?.stop();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void Promise.all([endpoints.close(), usb.close()]).then(() => {
        emit({ event: 'stopped', reason: why });
        if (!json) printLine(io, 'stopped');
        resolve();
      });
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const view = !json && io.isTTY ? startLiveView(io, token, () => stop('quit')) : undefined;
    if (!json && !io.isTTY) token.onPress((r) => printLine(io, `press: ${r.code}`));
  });
  return 0;
}

async function openEndpoints(
  token: OtpTokenFirmware,
  env: ReturnType<typeof createNodeEnvironment>,
  o: { wantPty: boolean; tcpPort: number | undefined; udpPort: number | undefined; link: string | undefined },
): Promise<Endpoints> {
  const closers: (() => Promise<void>)[] = [];
  const result: Endpoints = { close: async () => void (await Promise.all(closers.map((c) => c()))) };
  try {
    if (o.wantPty) {
      const pty = await PtyEndpoint.open(new OtpSerialInterface(token), o.link === undefined ? {} : { link: o.link });
      closers.push(() => pty.close());
      result.serial = pty.path;
    } else if (o.tcpPort !== undefined) {
      const tcp = await TcpSerialEndpoint.listen(new OtpSerialInterface(token), { port: o.tcpPort });
      closers.push(() => tcp.close());
      result.serial = `tcp:127.0.0.1:${tcp.port}`;
    }
    if (o.udpPort !== undefined) {
      const udp = await UdpEndpoint.listen(createOtpVendorHid(env, token), { port: o.udpPort === -1 ? 8111 : o.udpPort });
      closers.push(() => udp.close());
      result.hid = udp.spec;
    }
  } catch (e) {
    await result.close();
    throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot open the simulator's endpoints: ${(e as Error).message}`, { cause: e });
  }
  return result;
}

// The live terminal view: a seven-segment LCD, the step countdown, keys to press and quit.

const SEGMENTS: Record<string, [string, string, string]> = {
  '0': [' _ ', '| |', '|_|'],
  '1': ['   ', '  |', '  |'],
  '2': [' _ ', ' _|', '|_ '],
  '3': [' _ ', ' _|', ' _|'],
  '4': ['   ', '|_|', '  |'],
  '5': [' _ ', '|_ ', ' _|'],
  '6': [' _ ', '|_ ', '|_|'],
  '7': [' _ ', '  |', '  |'],
  '8': [' _ ', '|_|', '|_|'],
  '9': [' _ ', '|_|', ' _|'],
  '-': ['   ', ' _ ', '   '],
};

/** Three lines of seven-segment digits. */
export function lcdLines(text: string): [string, string, string] {
  const rows: [string, string, string] = ['', '', ''];
  for (const ch of text) {
    const seg = SEGMENTS[ch] ?? SEGMENTS['-']!;
    for (let i = 0; i < 3; i++) rows[i] += `${seg[i]} `;
  }
  return rows;
}

function startLiveView(io: CliIo, token: OtpTokenFirmware, quit: () => void): { stop(): void } {
  const stdin = io.stdin as NodeJS.ReadStream;
  const digits = token.profile.otp.digits;
  const draw = (): void => {
    const shown = token.display();
    const lcd = lcdLines(shown?.code ?? '-'.repeat(digits));
    const step = token.profile.otp.kind === 'totp' ? `next step in ${String(token.secondsToNextStep()).padStart(2)} s` : `counter ${token.counter}`;
    const lit = shown === undefined ? 'display blank' : `shown ${Math.ceil(shown.remainingMs / 1000)} s more`;
    const fault = token.fault === 'none' ? '' : `  FAULT: ${token.fault}`;
    io.stdout.write(`\x1b[2K\r${lcd[0]}\n\x1b[2K${lcd[1]}\n\x1b[2K${lcd[2]}\n\x1b[2K${token.serial}  ${step}  ${lit}${fault}\n\x1b[2K[space/enter] press  [q/Ctrl-C] quit\x1b[4A\r`);
  };
  const onKey = (chunk: Buffer): void => {
    for (const b of chunk) {
      if (b === 0x03 || b === 0x71) return quit();
      if (b === 0x20 || b === 0x0d) {
        try {
          token.press();
        } catch {
          // The view shows the fault; a refused press needs no other output.
        }
      }
    }
    draw();
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  const timer = setInterval(draw, 250);
  draw();
  return {
    stop() {
      clearInterval(timer);
      stdin.off('data', onKey);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      io.stdout.write('\n\n\n\n\n');
    },
  };
}
