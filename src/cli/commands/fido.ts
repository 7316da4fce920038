/**
 * `tokenrig fido`: drive a FIDO key, real or simulated, from scripts.
 *
 *   tokenrig fido info|register|authenticate|pin set|pin change|reset|wink [--device SPEC] [--json]
 *   tokenrig fido bio enroll|list|rename|delete ...   (fingerprints: ./fido-bio.ts)
 *
 * Without --device, the one FIDO key node-hid sees (usage page 0xF1D0) is used. register and
 * authenticate read WebAuthn JSON options from a file and print the standard JSON response.
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap1 } from '../../ctap/ctap1.js';
import { Ctap2 } from '../../ctap/ctap2.js';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../../errors.js';
import { COSE_ALG } from '../../protocol/cose.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { WebAuthnClient } from '../../webauthn/index.js';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '../../webauthn/index.js';
import { type ParsedArgs, choiceOpt, flag, intOpt, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import { ctapStatusOf, explainFidoError } from '../fido-errors.js';
import { readJsonInput } from '../input-file.js';
import { SIGNAL_EXIT_STATUS, type StopSignal, untilStopped } from '../signals.js';
import { secretInput } from '../secret-input.js';
import { bioCommands } from './fido-bio.js';
import { blobsCommands } from './fido-blobs.js';

/** The key's PIN: `--pin`, `--pin -` (stdin), `--pin-file FILE` or TOKENRIG_FIDO_PIN. */
const PIN = secretInput('pin', { value: 'PIN', env: 'TOKENRIG_FIDO_PIN', help: "the key's PIN (needed when the relying party requires user verification)" });
/** The new PIN of `pin set` / `pin change`. */
const NEW_PIN = secretInput('new-pin', { value: 'PIN', env: 'TOKENRIG_FIDO_NEW_PIN', help: 'the new PIN (at least 4 characters)' });

/** The flags every fido command takes: which key, which protocol, how long to wait. */
const DEVICE_FLAGS: FlagTable = {
  device: { type: 'string', value: 'SPEC', help: 'the key: udp:127.0.0.1:8111 (a simulator), hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID,\nusbip:HOST:PORT/BUSID, any spec a `tokenrig sim` ready line names; default: the one FIDO key plugged in' },
  protocol: { type: 'string', value: 'P', help: 'auto (default: CTAP2 when the key has it), ctap2 or u2f' },
  timeout: { type: 'string', value: 'MS', help: 'how long to wait for the key, touches included (default 35000)' },
};

const CEREMONY_FLAGS: FlagTable = {
  options: { type: 'string', value: 'FILE', help: 'the WebAuthn options JSON from the relying party (- for stdin; a { publicKey } wrapper is fine)' },
  origin: { type: 'string', value: 'URL', help: 'the origin the browser would report, e.g. https://rp.example (checked against rp.id)' },
};

async function pickDevice(spec: string | undefined): Promise<string> {
  if (spec !== undefined) return spec;
  const { discoverDevices } = await import('../../transports/discovery.js');
  const { devices, notes } = await discoverDevices();
  const keys = devices.filter((d) => d.role === 'fido');
  if (keys.length === 1) return keys[0]!.spec;
  if (keys.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no FIDO key found (usage page 0xF1D0)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}: give --device SPEC`);
  throw badInput(`${keys.length} FIDO keys found (${keys.map((k) => k.spec).join(', ')}): choose one with --device`);
}

async function readOptions(path: string, io: CliIo): Promise<unknown> {
  const value = await readJsonInput(path, '--options', io);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badFile(`--options ${path} must hold a JSON object`);
  // Accept the `{ publicKey: {...} }` wrapper some servers send.
  const inner = (value as { publicKey?: unknown }).publicKey;
  return typeof inner === 'object' && inner !== null ? inner : value;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

type FidoCommand = 'info' | 'register' | 'authenticate' | 'pin set' | 'pin change' | 'reset' | 'wink';

async function run(name: FidoCommand, args: ParsedArgs, io: CliIo): Promise<number> {
  const [command, sub] = name.split(' ') as [string, string | undefined];
  const json = flag(args, 'json');
  const protocol = choiceOpt(args, 'protocol', ['auto', 'ctap2', 'u2f'] as const) ?? 'auto';
  const pin = stringOpt(args, 'pin');

  // Check everything the user typed before touching a device.
  let options: unknown;
  let origin = '';
  if (command === 'register' || command === 'authenticate') {
    origin = requireOpt(args, 'origin');
    const { parseOrigin } = await import('../../webauthn/origin.js');
    parseOrigin(origin);
    options = await readOptions(requireOpt(args, 'options'), io);
  }
  if (command === 'reset' && !flag(args, 'yes')) throw badInput('reset erases every credential and the PIN: add --yes to confirm');
  if (command === 'pin' && pin === undefined) throw badInput(`--pin is required (or --pin-file, ${PIN.env})`);
  if (command === 'pin' && sub === 'change' && stringOpt(args, 'new-pin') === undefined) throw badInput(`--new-pin is required (or --new-pin-file, ${NEW_PIN.env})`);

  return withKey(args, io, name, async ({ device, spec, onKeepalive, signal }) => {
    switch (command) {
      case 'info':
        return await info(device, spec, protocol, json, io);
      case 'register': {
        const client = new WebAuthnClient(device, { protocol });
        const r = await client.create(options as PublicKeyCredentialCreationOptionsJSON, origin, { onKeepalive, signal, ...(pin !== undefined ? { pin } : {}) });
        printJson(io, r);
        return 0;
      }
      case 'authenticate': {
        const client = new WebAuthnClient(device, { protocol });
        const r = await client.get(options as PublicKeyCredentialRequestOptionsJSON, origin, { onKeepalive, signal, ...(pin !== undefined ? { pin } : {}) });
        printJson(io, r);
        return 0;
      }
      case 'pin': {
        const cp = await ClientPin.forAuthenticator(new Ctap2(device));
        if (sub === 'set') await cp.setPin(pin!);
        else await cp.changePin(pin!, stringOpt(args, 'new-pin')!);
        if (json) printJson(io, { device: spec, pin: sub === 'set' ? 'set' : 'changed', pinUvAuthProtocol: cp.protocol.version });
        else printLine(io, sub === 'set' ? 'PIN set' : 'PIN changed');
        return 0;
      }
      case 'reset':
        await new Ctap2(device).reset({ onKeepalive, signal });
        if (json) printJson(io, { device: spec, reset: true });
        else printLine(io, 'key reset: credentials and PIN erased');
        return 0;
      case 'wink':
        await device.wink();
        if (json) printJson(io, { device: spec, wink: true });
        else printLine(io, 'winked');
        return 0;
    }
    return 2;
  });
}

/** What a command does with the key once it is open. */
export interface KeySession {
  device: CtapHidDevice;
  spec: string;
  /** Says "touch your key" once, when the key first asks. */
  onKeepalive: (status: number) => void;
  /** Aborted by Ctrl-C: the request is cancelled (CTAPHID_CANCEL). */
  signal: AbortSignal;
}

/**
 * Open the key `--device` names (or the one plugged in), run `body` with it, and close it:
 * Ctrl-C while the key waits for a touch cancels the request, so the key stops blinking, then
 * the command exits 130 like every other; a key's refusal is explained (fido-errors.ts), with
 * the tries left after a wrong PIN.
 */
export async function withKey(args: ParsedArgs, io: CliIo, command: string, body: (key: KeySession) => Promise<number>): Promise<number> {
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const spec = await pickDevice(stringOpt(args, 'device'));
  let device: CtapHidDevice;
  try {
    device = await CtapHidDevice.open(await openHidTransport(spec, { role: 'fido' }), { timeoutMs });
  } catch (e) {
    if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no FIDO key answered within ${timeoutMs} ms (is it plugged in, or the simulator running?)`, { cause: e });
    throw e;
  }
  const interrupt = new AbortController();
  const signals = untilStopped();
  let stoppedBy: StopSignal | undefined;
  void signals.stopped.then((signal) => {
    stoppedBy = signal;
    interrupt.abort();
    // A wait that cannot be cancelled (a key that does not answer at all) ends anyway.
    setTimeout(() => process.exit(SIGNAL_EXIT_STATUS[signal]), 2000).unref();
  });
  let prompted = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !prompted) {
      prompted = true;
      io.stderr.write('touch your key\n');
    }
  };
  try {
    return await body({ device, spec, onKeepalive, signal: interrupt.signal });
  } catch (e) {
    if (stoppedBy !== undefined) return SIGNAL_EXIT_STATUS[stoppedBy];
    // After a wrong PIN, the key can still say how many tries are left.
    const retries = ctapStatusOf(e) === 0x31 ? await pinRetries(device) : undefined;
    throw explainFidoError(e, { command, retries });
  } finally {
    signals.dispose();
    await device.close();
  }
}

async function pinRetries(device: CtapHidDevice): Promise<number | undefined> {
  try {
    return (await (await ClientPin.forAuthenticator(new Ctap2(device))).getRetries()).retries;
  } catch {
    return undefined;
  }
}

async function info(device: CtapHidDevice, spec: string, protocol: string, json: boolean, io: CliIo): Promise<number> {
  const hid = device.info;
  const base = { device: spec, ctaphid: { protocolVersion: hid.protocolVersion, deviceVersion: hid.deviceVersion.join('.'), wink: hid.wink, cbor: hid.cbor, msg: hid.msg } };
  if (protocol === 'u2f' || (protocol === 'auto' && !hid.cbor)) {
    const version = await new Ctap1(device).getVersion();
    if (json) printJson(io, { ...base, u2fVersion: version });
    else printLine(io, `${spec}: U2F key (${version}), firmware ${base.ctaphid.deviceVersion}`);
    return 0;
  }
  const ctap2 = new Ctap2(device);
  const i = await ctap2.getInfo();
  const pinSet = i.options.clientPin === true;
  const retries = pinSet ? (await new ClientPin(ctap2, { protocol: i.pinUvAuthProtocols.includes(2) ? 2 : 1 }).getRetries()).retries : null;
  const algorithms = infoAlgorithms(i.raw.get(0x0a));
  const out = {
    ...base,
    versions: i.versions,
    extensions: i.extensions,
    aaguid: hex(i.aaguid),
    options: i.options,
    algorithms,
    pin: { set: pinSet, retries },
    maxMsgSize: i.maxMsgSize ?? null,
    pinUvAuthProtocols: i.pinUvAuthProtocols,
    firmwareVersion: typeof i.raw.get(0x0e) === 'number' ? i.raw.get(0x0e) : null,
  };
  if (json) {
    printJson(io, out);
    return 0;
  }
  // The layout of fido2-token -I and ykman fido info: one fact a line; false options as "no…".
  const rows: [string, string][] = [
    ['versions', i.versions.join(', ')],
    ['extensions', i.extensions.join(', ') || 'none'],
    ['aaguid', out.aaguid],
    ['options', Object.entries(i.options).map(([k, v]) => (v ? k : `no${k}`)).join(', ')],
    ['algorithms', algorithms.map((a) => `${a.name} (${a.alg})`).join(', ') || 'not reported'],
    ['PIN', pinSet ? `set, ${retries} ${retries === 1 ? 'attempt' : 'attempts'} remaining` : 'not set'],
    ['PIN/UV auth protocols', i.pinUvAuthProtocols.join(', ') || 'none'],
    ['max message size', String(i.maxMsgSize ?? 'not reported')],
    ['firmware', base.ctaphid.deviceVersion],
  ];
  printLine(io, `${spec}: FIDO key (${i.versions.join(', ')})`);
  for (const [k, v] of rows) printLine(io, `  ${`${k}:`.padEnd(23)} ${v}`);
  return 0;
}

const ALGORITHM_NAMES: Readonly<Record<number, string>> = { [COSE_ALG.ES256]: 'es256', [-8]: 'eddsa', [-35]: 'es384', [-36]: 'es512', [-37]: 'ps256', [-257]: 'rs256', [-47]: 'es256k' };

/** getInfo's algorithms (0x0A): `[{ type: 'public-key', alg: -7 }]`, named as fido2-token names them. */
function infoAlgorithms(raw: unknown): { type: string; alg: number; name: string }[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((m: unknown) => {
    if (!(m instanceof Map)) return [];
    const alg = m.get('alg');
    const type = m.get('type');
    return typeof alg === 'number' && typeof type === 'string' ? [{ type, alg, name: ALGORITHM_NAMES[alg] ?? String(alg) }] : [];
  });
}

const TIMEOUT_EXAMPLE = ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

function fidoCommand(name: FidoCommand, spec: Omit<CommandSpec, 'run' | 'flags'> & { flags?: FlagTable }): CommandSpec {
  return { ...spec, flags: { ...DEVICE_FLAGS, ...spec.flags }, run: (args, io) => run(name, args, io) };
}

export const commands: CommandTable = {
  info: fidoCommand('info', {
    summary: 'what the key is: versions, options, algorithms, PIN state and retries (getInfo, or U2F)',
    examples: ['tokenrig fido info', 'tokenrig fido info --device udp:127.0.0.1:8111 --json'],
    exits: { BAD_INPUT: ['--device', 'bogus'], TIMEOUT: TIMEOUT_EXAMPLE },
  }),
  register: fidoCommand('register', {
    summary: 'WebAuthn registration (navigator.credentials.create): prints RegistrationResponseJSON',
    flags: CEREMONY_FLAGS,
    secrets: [PIN],
    notes: ['--options holds PublicKeyCredentialCreationOptionsJSON (docs/create.json is a sample); the output\nis what a relying party library (@simplewebauthn/server, python-fido2) verifies as it is.'],
    examples: ['tokenrig fido register --options docs/create.json --origin https://rp.example --pin-file pin.txt > reg.json'],
    exits: {
      BAD_INPUT: ['--options', '{docs}/create.json', '--origin', 'not a url'],
      BAD_FILE: ['--options', '{file}', '--origin', 'https://rp.example'],
      NOT_FOUND: ['--options', '{tmp}/missing.json', '--origin', 'https://rp.example'],
      TIMEOUT: ['--options', '{docs}/create.json', '--origin', 'https://rp.example', ...TIMEOUT_EXAMPLE],
    },
  }),
  authenticate: fidoCommand('authenticate', {
    summary: 'WebAuthn authentication (navigator.credentials.get): prints AuthenticationResponseJSON',
    flags: CEREMONY_FLAGS,
    secrets: [PIN],
    notes: ['--options holds PublicKeyCredentialRequestOptionsJSON (docs/get.json is a sample).'],
    examples: ['tokenrig fido authenticate --options docs/get.json --origin https://rp.example'],
    exits: {
      BAD_INPUT: ['--options', '{docs}/get.json'],
      NOT_FOUND: ['--options', '{tmp}/missing.json', '--origin', 'https://rp.example'],
      TIMEOUT: ['--options', '{docs}/get.json', '--origin', 'https://rp.example', ...TIMEOUT_EXAMPLE],
    },
  }),
  'pin set': fidoCommand('pin set', {
    summary: "set the key's first PIN",
    secrets: [PIN],
    examples: ['tokenrig fido pin set --pin-file - < pin.txt'],
    exits: { BAD_INPUT: [], REJECTED: ['--pin', '5678', '--device', '{fido-with-pin}'] },
  }),
  'pin change': fidoCommand('pin change', {
    summary: "change the key's PIN (--pin the current one, --new-pin the new one)",
    secrets: [PIN, NEW_PIN],
    examples: ['tokenrig fido pin change --pin-file old.txt --new-pin-file new.txt'],
    exits: { BAD_INPUT: ['--pin', '1234'], REJECTED: ['--pin', '9999', '--new-pin', '5678', '--device', '{fido-with-pin}'] },
  }),
  reset: fidoCommand('reset', {
    summary: 'erase every credential and the PIN (a real key: within 10 s of plugging it in, with a touch)',
    flags: { yes: { type: 'boolean', help: 'confirm: every credential on the key is lost' } },
    examples: ['tokenrig fido reset --yes'],
    exits: { BAD_INPUT: [], TIMEOUT: ['--yes', ...TIMEOUT_EXAMPLE] },
  }),
  wink: fidoCommand('wink', {
    summary: 'make the key blink (CTAPHID_WINK), to tell keys apart',
    examples: ['tokenrig fido wink --device hid:/dev/hidraw3'],
    exits: { TIMEOUT: TIMEOUT_EXAMPLE },
  }),
  ...blobsCommands({ deviceFlags: DEVICE_FLAGS, pin: PIN, withKey }),
  ...bioCommands({ deviceFlags: DEVICE_FLAGS, pin: PIN, withKey }),
};
