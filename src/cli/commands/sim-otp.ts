/**
 * `tokenrig sim otp`: run a simulated OTP token reachable the way hardware is: a pty (or TCP
 * serial port) speaking docs/serial-protocol.md and a UDP HID endpoint speaking
 * docs/hid-otp-protocol.md. With --json the first stdout line is the `ready` event naming the
 * endpoints, then one JSON line per event; the secret is printed only with --reveal.
 * Without --json, on a terminal, a live view: the LCD, the step countdown, Space/Enter presses
 * the button, q or Ctrl-C quits.
 */
import { DEVICE_PROFILES, type DeviceProfile, validateDeviceProfile } from '../../../devices/index.js';
import { badFile, badInput } from '../../errors.js';
import { base32Encode, formatOtpAuthUri, parseBase32Secret } from '../../otp/index.js';
import { type DeviceStartOptions, type EndpointOptions, type OtpStartOptions, type OtpToken, type SimEvent, startOtpToken } from '../../sim/index.js';
import { type ParsedArgs, flag, numberOpt, stringOpt } from '../args.js';
import { type CliIo, printLine } from '../cli-io.js';
import type { CommandSpec, FlagTable } from '../command.js';
import { readTextInput } from '../input-file.js';
import { SEED_FILE_FLAGS, SEED_FILE_SECRETS, seedFromOptions } from '../seed-options.js';
import { startLiveView } from '../live-view.js';
import { EventStream, pressOnEnter, serveUntilStopped } from '../sim-session.js';
import { USBIP_PORT } from '../../protocol/usbip/messages.js';
import { SECRET } from './otp.js';

/** A device profile from a JSON file, validated (the error names the field). */
export async function loadProfileFile(path: string, io: CliIo): Promise<DeviceProfile> {
  const text = await readTextInput(path, '--profile-file', io);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badFile(`--profile-file ${path} is not JSON: ${(e as Error).message}`, e);
  }
  return validateDeviceProfile(value);
}

/** The otpauth:// URI of a running token (for --reveal). */
export function tokenUri(token: OtpToken): string {
  const otp = token.profile.otp;
  return formatOtpAuthUri({
    type: otp.kind,
    secret: token.exportSecret(),
    account: token.serial,
    issuer: 'tokenrig',
    algorithm: otp.algorithm,
    digits: otp.digits,
    period: otp.kind === 'totp' ? otp.period : 30,
    ...(otp.kind === 'hotp' ? { counter: BigInt(token.status().counter) } : {}),
  });
}

/** The ready event's fields and the lines a person reads, for a token (and a composite key). */
export function tokenAnnouncement(token: OtpToken, reveal: boolean): { ready: Record<string, unknown>; lines: string[] } {
  const secret = reveal ? base32Encode(token.exportSecret()) : undefined;
  const ready = { serial: token.serial, profile: token.profile.name, identity: token.identity, otp: token.profile.otp, ...(secret === undefined ? {} : { secret, uri: tokenUri(token) }) };
  const lines = [`simulated ${token.profile.model} ${token.serial} (${token.profile.name})`];
  for (const [name, spec] of Object.entries(token.endpoints)) lines.push(`  ${`${name}:`.padEnd(9)} ${spec}`);
  if (secret !== undefined) lines.push(`  secret:   ${secret}`);
  return { ready, lines };
}

/** The flags of the endpoints that make a device a USB or HID device of a kernel (docs/usb.md). */
export const USB_FLAGS: FlagTable = {
  usbip: {
    type: 'string',
    value: 'PORT',
    optionalValue: String(USBIP_PORT),
    help: `the whole device over USB/IP on TCP PORT (default ${USBIP_PORT}; 0: any free port) as bus id 1-1;\nthen on Linux: modprobe vhci-hcd; usbip attach -r HOST -b 1-1 (docs/usb.md),\nor without a kernel: --device usbip:HOST:PORT/1-1`,
  },
  listen: { type: 'string', value: 'ADDR', help: 'the address the network endpoints (--usbip, --hid, --serial-port tcp:) bind; default\n127.0.0.1, loopback only; 0.0.0.0 shares the device with other machines' },
  uhid: { type: 'boolean', help: 'each HID interface a local hidraw device through Linux /dev/uhid (HID only, no\nserial port; needs write access to /dev/uhid)' },
};

/** The flags `sim otp` and `sim key` share: the token, its profile, its state and its endpoints. */
export const TOKEN_FLAGS: FlagTable = {
  profile: { type: 'string', value: 'NAME', help: `a built-in device profile: ${Object.keys(DEVICE_PROFILES).join(', ')}` },
  'profile-file': { type: 'string', value: 'JSON', help: 'a device profile of your own (devices/profiles/*.json show the fields; validated)' },
  ...SEED_FILE_FLAGS,
  serial: { type: 'string', value: 'SN', help: 'the serial number of a new token (default: random in the profile\'s format),\nor the one to take from a --seed-file that holds many' },
  'serial-port': { type: 'string', value: 'pty|tcp:PORT', help: 'the serial port: pty, a real /dev/pts/N (via socat) that serialport, pyserial or\nscreen open; or tcp:PORT, a serial session over TCP on 127.0.0.1 (0: any free port)' },
  hid: { type: 'string', value: 'udp[:PORT]', help: 'the HID interfaces over UDP on 127.0.0.1, one 64-byte report per datagram\n(default ports: OTP 8112, FIDO 8111, keyboard 8113; udp:PORT counts up from PORT; 0: any)' },
  ...USB_FLAGS,
  state: { type: 'string', value: 'DIR', help: 'keep the device (seed, serial, counters) in DIR, files mode 0600; default in memory' },
  offset: { type: 'string', value: 'SECONDS', help: "the token's clock runs this far ahead (negative: behind), e.g. --offset -600" },
  drift: { type: 'string', value: 'PPM', help: "the token's crystal gains this many parts per million (negative: loses)" },
  link: { type: 'string', value: 'PATH', help: 'with --serial-port pty: also a symlink to the pty at PATH' },
  reveal: { type: 'boolean', help: 'print the seed and its otpauth:// URI in the ready line (hidden otherwise)' },
};

/** Exit statuses of every `sim` command that starts a token, with invocations that end so. */
export const TOKEN_EXITS: CommandSpec['exits'] = {
  BAD_FILE: ['--profile-file', '{file}'],
  NOT_FOUND: ['--profile-file', '{tmp}/missing.json'],
  REJECTED: ['--seed-file', '{pskc-pw}', '--password', 'wrong'],
  BUSY: ['--hid', 'udp:{busy-udp}'],
};

/** The token's start options from the command line (profile, seed, serial, crystal, state). */
export async function tokenStartOptions(args: ParsedArgs, defaultProfile: string, io: CliIo): Promise<DeviceStartOptions & OtpStartOptions> {
  const profileFile = stringOpt(args, 'profile-file');
  if (profileFile !== undefined && stringOpt(args, 'profile') !== undefined) throw badInput('give --profile or --profile-file, not both');
  const profile = profileFile === undefined ? (stringOpt(args, 'profile') ?? defaultProfile) : await loadProfileFile(profileFile, io);
  const secretText = stringOpt(args, 'secret');
  const fromFile = await seedFromOptions(args, io);
  if (fromFile !== undefined && secretText !== undefined) throw badInput('give --secret or --seed-file, not both');
  const secret = fromFile?.secret ?? (secretText === undefined ? undefined : parseBase32Secret(secretText));
  const serial = fromFile?.serial ?? stringOpt(args, 'serial');
  const link = stringOpt(args, 'link');
  return {
    profile,
    ...(secret === undefined ? {} : { secret }),
    ...(serial === undefined ? {} : { serial }),
    ...(link === undefined ? {} : { ptyLink: link }),
    ...stateOption(args),
    offsetSeconds: numberOpt(args, 'offset', -1e9, 1e9) ?? 0,
    driftPpm: numberOpt(args, 'drift', -999_999, 999_999) ?? 0,
  };
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const options = await tokenStartOptions(args, 'aws-totp', io);
  const events = new EventStream(io, json, { describe: describeTokenEvent });
  const endpoints = endpointOptions(args, { serialPort: 'pty' });
  const token = await startOtpToken({ ...options, ...endpoints, ...listenOption(args, endpoints), onEvent: events.push });
  const { ready, lines } = tokenAnnouncement(token, flag(args, 'reveal'));
  const live = !json && io.isTTY;
  if (!live && !json) token.onPress((code) => printLine(io, `press: ${code}`));
  const pressing = live ? undefined : pressOnEnter(io, () => token.press());
  try {
    return await serveUntilStopped(io, token, events, {
      json,
      ready,
      lines,
      ...(live ? { live: (quit: () => void) => startLiveView(io, token, quit) } : {}),
    });
  } finally {
    pressing?.stop();
  }
}

/** `tokenrig sim otp`. */
export const command: CommandSpec = {
  summary: 'run a simulated hardware OTP token on a pty, TCP serial, UDP HID, USB/IP or uhid until Ctrl-C',
  flags: TOKEN_FLAGS,
  secrets: [SECRET, ...SEED_FILE_SECRETS],
  notes: [
    'With none of --serial-port, --hid, --usbip, --uhid, a pty is opened. With --json the first line is the\n"ready" event naming every endpoint as a device spec (serial:/dev/pts/N, tcp:..., udp:..., usbip:...,\nhid:/dev/hidrawN) that --device takes, then one JSON line per event, then "stopped" with its reason. On a\nterminal without --json, a live view: Space or Enter presses the button, q quits; otherwise each line on\nstdin presses it. Protocols:\ndocs/serial-protocol.md, docs/hid-otp-protocol.md; USB/IP and uhid: docs/usb.md.',
  ],
  examples: ['tokenrig sim otp --serial-port pty --hid udp:0 --json', 'tokenrig sim otp --profile hotp --serial-port tcp:4000 --state ./token', 'tokenrig sim otp --seed-file batch.pskc --password-file pw.txt --serial GAKT12345678', 'tokenrig sim otp --profile composite-key --usbip --json'],
  exits: { BAD_INPUT: ['--profile', 'nope'], ...TOKEN_EXITS },
  run,
};

/**
 * --serial-port, --hid, --usbip and --uhid as the API's endpoint options; with none of them,
 * `whenNone` (a pty for a token, UDP HID for a key).
 */
export function endpointOptions(args: ParsedArgs, whenNone: EndpointOptions): EndpointOptions {
  const serialPort = stringOpt(args, 'serial-port');
  const hid = stringOpt(args, 'hid');
  const usbip = stringOpt(args, 'usbip');
  const out: EndpointOptions = {};
  if (serialPort !== undefined) out.serialPort = serialPort as EndpointOptions['serialPort'];
  if (hid !== undefined) out.hid = hid as EndpointOptions['hid'];
  if (usbip !== undefined) {
    if (!/^\d{1,5}$/.test(usbip) || Number(usbip) > 65535) throw badInput(`--usbip takes a TCP port 0..65535 (--usbip=${USBIP_PORT}), got ${JSON.stringify(usbip)}`);
    out.usbip = Number(usbip);
  }
  if (flag(args, 'uhid')) out.uhid = true;
  // A device's HID interfaces are plugged into one host at a time, as hardware is.
  const carriers = (['hid', 'usbip', 'uhid'] as const).filter((k) => out[k] !== undefined);
  if (carriers.length > 1) throw badInput(`give one of --hid, --usbip, --uhid: a device is plugged into one host at a time (got ${carriers.map((k) => `--${k}`).join(' and ')})`);
  if (out.serialPort !== undefined && out.usbip !== undefined) throw badInput('give --serial-port or --usbip, not both: the USB/IP device carries the serial port (CDC-ACM) itself');
  return Object.keys(out).length === 0 ? { ...whenNone } : out;
}

/** --listen as the API's setting; BAD_INPUT when no network endpoint would use it. */
export function listenOption(args: ParsedArgs, endpoints: EndpointOptions): { host?: string } {
  const listen = stringOpt(args, 'listen');
  if (listen === undefined) return {};
  if (!/^[0-9A-Za-z.:-]{1,253}$/.test(listen)) throw badInput(`--listen must be an address or host name, got ${JSON.stringify(listen)}`);
  const network = endpoints.usbip !== undefined || endpoints.hid !== undefined || endpoints.serialPort?.startsWith('tcp:') === true;
  if (!network) throw badInput('--listen sets the address of --usbip, --hid or --serial-port tcp:PORT: give one of them too');
  return { host: listen };
}

/** --state DIR as the API's option. */
export function stateOption(args: ParsedArgs): { stateDir?: string } {
  const dir = stringOpt(args, 'state');
  return dir === undefined ? {} : { stateDir: dir };
}

/** Events a person reads on a terminal without --json (the live view shows presses itself). */
export function describeTokenEvent(e: SimEvent): string | undefined {
  return e.event === 'fault' ? `fault: ${String(e.fault)}` : undefined;
}
