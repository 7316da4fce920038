/**
 * `tokenrig fido`: drive a FIDO key, real or simulated, from scripts.
 *
 *   tokenrig fido info|register|authenticate|pin set|pin change|reset|wink [--device SPEC] [--json]
 *   tokenrig fido bio enroll|list|rename|delete ...   (fingerprints: ./fido-bio.ts)
 *
 * Without --device, the one FIDO key node-hid sees (usage page 0xF1D0) is used. register and
 * authenticate read WebAuthn JSON options from a file and print the standard JSON response.
 */
import { readFile } from 'node:fs/promises';
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap1 } from '../../ctap/ctap1.js';
import { Ctap2 } from '../../ctap/ctap2.js';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../../errors.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { WebAuthnClient } from '../../webauthn/index.js';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '../../webauthn/index.js';
import { choiceOpt, flag, intOpt, parseCommandArgs, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

const USAGE = `usage: tokenrig fido COMMAND [--device SPEC] [--json]
  info                                          what the key is (getInfo, or U2F version)
  register --options create.json --origin URL   WebAuthn registration: prints RegistrationResponseJSON
  authenticate --options get.json --origin URL  WebAuthn authentication: prints AuthenticationResponseJSON
  pin set --pin NEW                             set the first PIN
  pin change --pin OLD --new-pin NEW            change the PIN
  reset --yes                                   erase every credential and the PIN (touch within 10 s of plugging in)
  wink                                          make the key blink
  bio enroll|list|rename|delete                 the fingerprints of a key with a sensor (tokenrig fido bio --help)
options:
  --device SPEC      udp:127.0.0.1:8111, hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID (default: the one FIDO key found)
  --pin PIN          the key's PIN (or TOKENRIG_FIDO_PIN); needed when user verification is required
  --protocol P       auto (default), ctap2 or u2f
  --timeout MS       how long to wait for the key, touches included (default 35000)
  --json             machine-readable output`;

/** The device spec to use: `spec`, or the one FIDO key found. */
export async function pickDevice(spec: string | undefined): Promise<string> {
  if (spec !== undefined) return spec;
  const { discoverDevices } = await import('../../transports/discovery.js');
  const { devices, notes } = await discoverDevices();
  const keys = devices.filter((d) => d.role === 'fido');
  if (keys.length === 1) return keys[0]!.spec;
  if (keys.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no FIDO key found (usage page 0xF1D0)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}: give --device SPEC`);
  throw badInput(`${keys.length} FIDO keys found (${keys.map((k) => k.spec).join(', ')}): choose one with --device`);
}

async function readOptions(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw badInput(`cannot read --options ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badFile(`--options ${path} is not valid JSON: ${(e as Error).message}`, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badFile(`--options ${path} must hold a JSON object`);
  // Accept the `{ publicKey: {...} }` wrapper some servers send.
  const inner = (value as { publicKey?: unknown }).publicKey;
  return typeof inner === 'object' && inner !== null ? inner : value;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'bio') return (await import('./fido-bio.js')).run(argv.slice(1), io);
  const args = parseCommandArgs(
    argv,
    {
      device: { type: 'string' },
      options: { type: 'string' },
      origin: { type: 'string' },
      pin: { type: 'string' },
      'new-pin': { type: 'string' },
      protocol: { type: 'string' },
      timeout: { type: 'string' },
      yes: { type: 'boolean' },
    },
    true,
  );
  const [command, sub, ...extra] = args.positionals;
  if (flag(args, 'help') || command === undefined) {
    printLine(io, USAGE);
    return command === undefined && !flag(args, 'help') ? 2 : 0;
  }
  const known = ['info', 'register', 'authenticate', 'pin', 'reset', 'wink'];
  if (!known.includes(command)) throw badInput(`unknown fido command ${JSON.stringify(command)}: use ${known.join(', ')}`);
  if (command === 'pin' && sub !== 'set' && sub !== 'change') throw badInput('use: tokenrig fido pin set|change');
  if ((command === 'pin' ? extra : [sub, ...extra].filter((x) => x !== undefined)).length > 0) throw badInput(`unexpected argument ${JSON.stringify(command === 'pin' ? extra[0] : sub)}`);
  const json = flag(args, 'json');
  const protocol = choiceOpt(args, 'protocol', ['auto', 'ctap2', 'u2f'] as const) ?? 'auto';
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const pin = stringOpt(args, 'pin') ?? io.env.TOKENRIG_FIDO_PIN;

  // Check everything the user typed before touching a device.
  let options: unknown;
  let origin = '';
  if (command === 'register' || command === 'authenticate') {
    origin = requireOpt(args, 'origin');
    const { parseOrigin } = await import('../../webauthn/origin.js');
    parseOrigin(origin);
    options = await readOptions(requireOpt(args, 'options'));
  }
  if (command === 'reset' && !flag(args, 'yes')) throw badInput('reset erases every credential and the PIN: add --yes to confirm');
  if (command === 'pin' && pin === undefined) throw badInput('--pin is required');
  if (command === 'pin' && sub === 'change' && stringOpt(args, 'new-pin') === undefined) throw badInput('--new-pin is required');

  const spec = await pickDevice(stringOpt(args, 'device'));
  const device = await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs });
  let prompted = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !prompted) {
      prompted = true;
      io.stderr.write('touch your key\n');
    }
  };
  try {
    switch (command) {
      case 'info':
        return await info(device, spec, protocol, json, io);
      case 'register': {
        const client = new WebAuthnClient(device, { protocol });
        const r = await client.create(options as PublicKeyCredentialCreationOptionsJSON, origin, { onKeepalive, ...(pin !== undefined ? { pin } : {}) });
        printJson(io, r);
        return 0;
      }
      case 'authenticate': {
        const client = new WebAuthnClient(device, { protocol });
        const r = await client.get(options as PublicKeyCredentialRequestOptionsJSON, origin, { onKeepalive, ...(pin !== undefined ? { pin } : {}) });
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
        await new Ctap2(device).reset({ onKeepalive });
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
  } finally {
    await device.close();
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
  const out = { ...base, versions: i.versions, extensions: i.extensions, aaguid: hex(i.aaguid), options: i.options, maxMsgSize: i.maxMsgSize ?? null, pinUvAuthProtocols: i.pinUvAuthProtocols };
  if (json) printJson(io, out);
  else {
    printLine(io, `${spec}: FIDO key, ${i.versions.join(', ')}, firmware ${base.ctaphid.deviceVersion}`);
    printLine(io, `  aaguid ${out.aaguid}`);
    printLine(io, `  options ${Object.entries(i.options).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    printLine(io, `  PIN/UV auth protocols ${i.pinUvAuthProtocols.join(', ') || 'none'}${i.options.clientPin === true ? `, PIN set (${(await new ClientPin(ctap2, { protocol: i.pinUvAuthProtocols.includes(2) ? 2 : 1 }).getRetries()).retries} retries left)` : ''}`);
  }
  return 0;
}
