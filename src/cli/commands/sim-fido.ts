/**
 * `tokenrig sim fido`: run a simulated FIDO2/U2F authenticator reachable over UDP HID.
 *
 *   tokenrig sim fido [--hid udp[:PORT]] [--profile NAME] [--touch auto|manual|deny] [--uv auto|manual|deny] [--state DIR] [--json]
 *
 * `--hid udp` alone is the SoloKeys simulation contract (device on 127.0.0.1:8111), so
 * python-fido2, Solo's test suite or `tokenrig fido` can drive it. With `--json` the first
 * line is `{"event":"ready","endpoints":{"hid":"udp:127.0.0.1:8111"},...}` and every device
 * event follows as one JSON line. Manual touch: press Enter. Ctrl-C stops cleanly.
 */
import { createInterface } from 'node:readline';
import { UdpEndpoint } from '../../../firmware-sim/endpoints/udp-endpoint.js';
import { AutoPresence, DenyPresence, type FingerprintSensor, ManualFingerprint, ManualPresence, type UserPresence, createNodeEnvironment } from '../../../firmware-sim/env/index.js';
import { FIDO_PROFILES, FidoAuthenticator, type FidoEvent, type FidoProfile, fidoProfileFromDevice } from '../../../firmware-sim/fido/index.js';
import { DEVICE_PROFILES } from '../../../devices/index.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { choiceOpt, flag, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { UV_MODES, type UvMode, answerFinger, fingerPrompt, fingerprintSensorFor } from './sim-fido-uv.js';

const USAGE = `usage: tokenrig sim fido [--hid udp[:PORT]] [--profile NAME] [--touch auto|manual|deny] [--uv auto|manual|deny] [--state DIR] [--quiet] [--json]
  --hid udp[:PORT]   UDP HID endpoint on 127.0.0.1 (default port 8111, the SoloKeys contract; 0 = any)
  --profile NAME     a key personality (${Object.keys(FIDO_PROFILES).join(', ')}) or a device from devices/
                     that has a FIDO interface (${fidoDeviceNames().join(', ')}); default: the tokenrig FIDO2 simulator
  --touch MODE       auto (default): every touch granted; manual: press Enter; deny: always refused
  --uv MODE          the finger on a fingerprint sensor (yubikey-bio): auto (default): an enrolled finger;
                     manual: choose on stdin (1..N an enrolled finger, w a wrong one); deny: always a wrong finger
  --state DIR        keep credentials, counters, PIN and keys in DIR (default: in memory)
  --quiet            no line per request (a rig sending thousands a second); the ready and
                     stopped lines, errors, and with --touch manual the touch requests remain
  --json             JSON lines: a "ready" event, then one line per device event`;

export interface FidoSimulatorOptions {
  port: number;
  touch: 'auto' | 'manual' | 'deny';
  /** The finger on the fingerprint sensor, for keys with one (default auto). */
  uv?: UvMode;
  /** A sensor of the caller's own instead (a script, a controller). */
  fingerprint?: FingerprintSensor;
  stateDir?: string;
  /** The authenticator's identity (see `fidoProfileForDevice`); the default profile when omitted. */
  profile?: Partial<FidoProfile>;
  onEvent?: (e: FidoEvent) => void;
}

export interface RunningFidoSimulator {
  authenticator: FidoAuthenticator;
  endpoint: UdpEndpoint;
  presence: UserPresence;
  fingerprint: FingerprintSensor;
  close(): Promise<void>;
}

/** Parse `udp`, `udp:PORT`; anything else is a user error. */
export function parseHidOption(value: string | undefined): number {
  if (value === undefined || value === 'udp') return 8111;
  const m = /^udp:(\d{1,5})$/.exec(value);
  if (m === null || Number(m[1]) > 65535) throw badInput(`--hid must be udp or udp:PORT (0..65535), got ${JSON.stringify(value)}`);
  return Number(m[1]);
}

/** Names of the built-in device profiles that have a FIDO interface. */
export function fidoDeviceNames(): string[] {
  return Object.values(DEVICE_PROFILES)
    .filter((d) => d.interfaces.some((i) => i.kind === 'fido'))
    .map((d) => d.name);
}

/** The FIDO profile of a key personality or a built-in device by name; BAD_INPUT listing the valid names otherwise. */
export function fidoProfileForDevice(name: string): FidoProfile {
  if (Object.hasOwn(FIDO_PROFILES, name)) return FIDO_PROFILES[name]!;
  const device = Object.hasOwn(DEVICE_PROFILES, name) ? DEVICE_PROFILES[name] : undefined;
  if (device === undefined || !fidoDeviceNames().includes(name)) {
    throw badInput(`--profile ${JSON.stringify(name)} is neither a key personality nor a device with a FIDO interface: use one of ${[...Object.keys(FIDO_PROFILES), ...fidoDeviceNames()].join(', ')}`);
  }
  return fidoProfileFromDevice(device);
}

/** Start the simulator (used by the command and by tests/benchmarks). */
export async function startFidoSimulator(options: FidoSimulatorOptions): Promise<RunningFidoSimulator> {
  const presence = options.touch === 'manual' ? new ManualPresence() : options.touch === 'deny' ? new DenyPresence() : new AutoPresence();
  const fingerprint = options.fingerprint ?? fingerprintSensorFor(options.uv ?? 'auto');
  let env;
  try {
    env = createNodeEnvironment({ presence, fingerprint, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) });
  } catch (e) {
    throw new TokenrigError(ErrorCode.BAD_INPUT, `cannot use state directory ${options.stateDir}: ${(e as Error).message}`);
  }
  let authenticator: FidoAuthenticator;
  try {
    authenticator = await FidoAuthenticator.create(env, options.profile);
  } catch (e) {
    throw new TokenrigError(ErrorCode.BAD_FILE, `state in ${options.stateDir ?? 'memory'} is unreadable: ${(e as Error).message}`, { cause: e });
  }
  authenticator.onEvent = options.onEvent;
  let endpoint: UdpEndpoint;
  try {
    endpoint = await UdpEndpoint.listen(authenticator.hid, { port: options.port, onReboot: () => options.onEvent?.({ event: 'magic_reboot' }) });
  } catch (e) {
    throw new TokenrigError(ErrorCode.BAD_INPUT, `cannot listen on UDP 127.0.0.1:${options.port}: ${(e as Error).message}`, { cause: e });
  }
  return { authenticator, endpoint, presence, fingerprint, close: () => endpoint.close() };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { hid: { type: 'string' }, profile: { type: 'string' }, touch: { type: 'string' }, uv: { type: 'string' }, state: { type: 'string' }, quiet: { type: 'boolean' } });
  if (flag(args, 'help')) {
    printLine(io, USAGE);
    return 0;
  }
  const json = flag(args, 'json');
  const port = parseHidOption(stringOpt(args, 'hid'));
  const touch = choiceOpt(args, 'touch', ['auto', 'manual', 'deny'] as const) ?? 'auto';
  const uv = choiceOpt(args, 'uv', UV_MODES) ?? 'auto';
  const stateDir = stringOpt(args, 'state');
  const profileName = stringOpt(args, 'profile');
  const profile = profileName === undefined ? undefined : fidoProfileForDevice(profileName);
  const quiet = flag(args, 'quiet');
  const asksPerson = (e: FidoEvent): boolean =>
    (touch === 'manual' && (e.event === 'touch_requested' || e.event === 'button_pressed')) ||
    (uv === 'manual' && (e.event === 'uv_requested' || e.event === 'enroll_sample_requested' || e.event === 'finger_placed'));
  const sensor = fingerprintSensorFor(uv);
  const show = (e: FidoEvent): void => {
    if (quiet && !asksPerson(e)) return;
    if (json) printJson(io, e);
    else printLine(io, describe(e, touch, sensor instanceof ManualFingerprint ? sensor : undefined));
  };
  const sim = await startFidoSimulator({ port, touch, uv, fingerprint: sensor, ...(stateDir === undefined ? {} : { stateDir }), ...(profile === undefined ? {} : { profile }), onEvent: show });
  // Catch Ctrl-C before announcing readiness: a controller may signal as soon as it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const spec = sim.endpoint.spec;
  const hasSensor = sim.authenticator.profile.fingerprintSensor !== undefined;
  const ready = {
    event: 'ready',
    endpoints: { hid: spec },
    touch,
    ...(hasSensor ? { uv } : {}),
    profile: profileName ?? 'default',
    state: stateDir ?? null,
    aaguid: sim.authenticator.profile.aaguid,
    product: sim.authenticator.profile.product,
    residentCredentials: sim.authenticator.residentCount,
  };
  if (json) printJson(io, ready);
  else {
    printLine(io, `FIDO2/U2F simulator listening on ${spec} (${profileName === undefined ? '' : `profile: ${profileName}, `}touch: ${touch}, ${hasSensor ? `uv: ${uv}, ` : ''}state: ${stateDir ?? 'in memory'})`);
    printLine(io, touch === 'manual' ? 'press Enter to touch the key when asked; Ctrl-C stops' : uv === 'manual' && hasSensor ? 'answer on stdin when a finger is asked for; Ctrl-C stops' : 'Ctrl-C stops');
  }
  let lines: ReturnType<typeof createInterface> | undefined;
  if (touch === 'manual' || uv === 'manual') {
    lines = createInterface({ input: io.stdin });
    lines.on('line', (line) => {
      // A finger the sensor waits for takes the line; otherwise it is the button.
      const finger = sim.fingerprint instanceof ManualFingerprint ? answerFinger(sim.fingerprint, line) : undefined;
      if (finger !== undefined) show({ event: 'finger_placed', finger });
      else if (touch === 'manual') show({ event: 'button_pressed', granted: (sim.presence as ManualPresence).press() });
    });
  }
  await stopped;
  lines?.close();
  await sim.close();
  if (json) printJson(io, { event: 'stopped' });
  else printLine(io, 'stopped');
  return 0;
}

function describe(e: FidoEvent, touch: string, sensor: ManualFingerprint | undefined): string {
  switch (e.event) {
    case 'uv_requested':
    case 'enroll_sample_requested':
      return sensor?.pending !== undefined ? fingerPrompt(sensor.pending) : e.event === 'uv_requested' ? `fingerprint requested (${String(e.reason)})` : 'enrollment sample requested';
    case 'touch_requested':
      return touch === 'manual' ? `touch requested (${String(e.reason)}): press Enter` : `touch requested (${String(e.reason)})`;
    case 'credential_created':
      return `credential created for ${String(e.rpId)}${e.resident === true ? ' (resident)' : ''}${e.uv === true ? ' with user verification' : ''}`;
    case 'assertion':
      return `assertion signed, counter ${String(e.counter)}`;
    default: {
      const { event, ...rest } = e;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return fields === '' ? event : `${event} ${fields}`;
    }
  }
}
