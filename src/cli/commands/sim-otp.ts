/**
 * `tokenrig sim otp`: run a simulated OTP token reachable the way hardware is: a pty (or TCP
 * serial port) speaking docs/serial-protocol.md and a UDP HID endpoint speaking
 * docs/hid-otp-protocol.md. With --json the first stdout line is the `ready` event naming the
 * endpoints, then one JSON line per event; the secret is printed only with --reveal.
 * Without --json, on a terminal, a live view: the LCD, the step countdown, Space/Enter presses
 * the button, q or Ctrl-C quits.
 */
import { readFileSync } from 'node:fs';
import { DEVICE_PROFILES, type DeviceProfile, validateDeviceProfile } from '../../../devices/index.js';
import { badFile, badInput } from '../../errors.js';
import { base32Encode, formatOtpAuthUri, parseBase32Secret } from '../../otp/index.js';
import { type DeviceStartOptions, type EndpointOptions, type OtpStartOptions, type OtpToken, type SimEvent, startOtpToken } from '../../sim/index.js';
import { type OptionSpec, type ParsedArgs, flag, numberOpt, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printLine } from '../cli-io.js';
import { SEED_FILE_OPTIONS, seedFromOptions } from '../seed-options.js';
import { EventStream, serveUntilStopped } from '../sim-session.js';

/** A device profile from a JSON file, validated (the error names the field). */
export function loadProfileFile(path: string): DeviceProfile {
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
                        [--hid udp[:PORT]] [--state DIR] [--offset SECONDS] [--drift PPM] [--link PATH]
                        [--json] [--reveal]
  profiles: ${Object.keys(DEVICE_PROFILES).join(', ')} (default aws-totp)
  --serial-port pty       a real /dev/pts/N (via socat) that serialport, pyserial, screen open
  --serial-port tcp:PORT  a serial session over TCP on 127.0.0.1:PORT (0 = any free port)
  --hid udp[:PORT]        the vendor HID interface over UDP on 127.0.0.1 (default port 8112; 0 = any)
  --state DIR             persist the token (seed, serial, HOTP counter) in DIR, files mode 0600
  --seed-file FILE        take secret and serial from a seed file (PSKC, CSV, URIs, QR PNG) instead of
                          --secret; [--password P | --key HEX] decrypt it, --serial picks one of many
  with neither --serial-port nor --hid, a pty is opened`;

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

/** The options `sim otp` and `sim key` share: the token, its profile and its endpoints. */
export const TOKEN_OPTIONS = {
  ...SEED_FILE_OPTIONS,
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
} as const satisfies OptionSpec;

/** The token's start options from the command line (profile, seed, serial, crystal, state). */
export async function tokenStartOptions(args: ParsedArgs, defaultProfile: string): Promise<DeviceStartOptions & OtpStartOptions> {
  const profileFile = stringOpt(args, 'profile-file');
  if (profileFile !== undefined && stringOpt(args, 'profile') !== undefined) throw badInput('give --profile or --profile-file, not both');
  const profile = profileFile === undefined ? (stringOpt(args, 'profile') ?? defaultProfile) : loadProfileFile(profileFile);
  const secretText = stringOpt(args, 'secret');
  const fromFile = await seedFromOptions(args);
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

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, TOKEN_OPTIONS);
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const json = flag(args, 'json');
  const options = await tokenStartOptions(args, 'aws-totp');
  const events = new EventStream(io, json, { describe: describeTokenEvent });
  const token = await startOtpToken({ ...options, ...endpointOptions(args, 'pty'), onEvent: events.push });
  const { ready, lines } = tokenAnnouncement(token, flag(args, 'reveal'));
  if (!json && !io.isTTY) token.onPress((code) => printLine(io, `press: ${code}`));
  return serveUntilStopped(io, token, events, {
    json,
    ready,
    lines,
    ...(!json && io.isTTY ? { live: (quit: () => void) => startLiveView(io, token, quit) } : {}),
  });
}

/** --serial-port and --hid as the API's endpoint options; with neither, `whenNone` for the serial port. */
export function endpointOptions(args: ParsedArgs, whenNone: 'pty' | undefined): EndpointOptions {
  const serialPort = stringOpt(args, 'serial-port');
  const hid = stringOpt(args, 'hid');
  const out: EndpointOptions = {};
  if (serialPort !== undefined) out.serialPort = serialPort as EndpointOptions['serialPort'];
  else if (hid === undefined && whenNone !== undefined) out.serialPort = whenNone;
  if (hid !== undefined) out.hid = hid as EndpointOptions['hid'];
  return out;
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

export function startLiveView(io: CliIo, token: OtpToken, quit: () => void, press: () => void = () => void token.press()): { stop(): void } {
  const stdin = io.stdin as NodeJS.ReadStream;
  const digits = token.profile.otp.digits;
  const draw = (): void => {
    const status = token.status();
    const shown = status.display;
    const lcd = lcdLines(shown?.code ?? '-'.repeat(digits));
    const step = token.profile.otp.kind === 'totp' ? `next step in ${String(status.secondsToNextStep).padStart(2)} s` : `counter ${status.counter}`;
    const lit = shown === undefined ? 'display blank' : `shown ${Math.ceil(shown.remainingMs / 1000)} s more`;
    const fault = status.fault === 'none' ? '' : `  FAULT: ${status.fault}`;
    io.stdout.write(`\x1b[2K\r${lcd[0]}\n\x1b[2K${lcd[1]}\n\x1b[2K${lcd[2]}\n\x1b[2K${token.serial}  ${step}  ${lit}${fault}\n\x1b[2K[space/enter] press  [q/Ctrl-C] quit\x1b[4A\r`);
  };
  const onKey = (chunk: Buffer): void => {
    for (const b of chunk) {
      if (b === 0x03 || b === 0x71) return quit();
      if (b === 0x20 || b === 0x0d) {
        try {
          press();
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
