/**
 * `tokenrig fido`: drive a FIDO key, real or simulated, from scripts.
 *
 *   tokenrig fido info|register|authenticate|pin set|pin change|reset|wink [--device SPEC] [--json]
 *   tokenrig fido bio enroll|list|rename|delete ...   (fingerprints: ./fido-bio.ts)
 *   tokenrig fido creds list|delete|update ...   (./fido-creds.ts)
 *   tokenrig fido config always-uv|min-pin-length|enterprise-attestation ...   (./fido-config.ts)
 *   tokenrig fido blobs get|set ...   (./fido-blobs.ts)
 *
 * Without --device, the one FIDO key node-hid sees (usage page 0xF1D0) is used. register and
 * authenticate read WebAuthn JSON options from a file and print the standard JSON response.
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap2 } from '../../ctap/ctap2.js';
import { badFile, badInput } from '../../errors.js';
import { WebAuthnClient } from '../../webauthn/index.js';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '../../webauthn/index.js';
import { type ParsedArgs, choiceOpt, flag, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import { readJsonInput } from '../input-file.js';
import { secretInput } from '../secret-input.js';
import { bioCommands } from './fido-bio.js';
import { blobsCommands } from './fido-blobs.js';
import { commands as configCommands } from './fido-config.js';
import { commands as credsCommands } from './fido-creds.js';
import { DEVICE_FLAGS, PIN, withKey } from './fido-device.js';
import { printInfo } from './fido-info.js';

/** The new PIN of `pin set` / `pin change`. */
const NEW_PIN = secretInput('new-pin', { value: 'PIN', env: 'TOKENRIG_FIDO_NEW_PIN', help: 'the new PIN (at least 4 characters)' });

const CEREMONY_FLAGS: FlagTable = {
  options: { type: 'string', value: 'FILE', help: 'the WebAuthn options JSON from the relying party (- for stdin; a { publicKey } wrapper is fine)' },
  origin: { type: 'string', value: 'URL', help: 'the origin the browser would report, e.g. https://rp.example (checked against rp.id)' },
};

async function readOptions(path: string, io: CliIo): Promise<unknown> {
  const value = await readJsonInput(path, '--options', io);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badFile(`--options ${path} must hold a JSON object`);
  // Accept the `{ publicKey: {...} }` wrapper some servers send.
  const inner = (value as { publicKey?: unknown }).publicKey;
  return typeof inner === 'object' && inner !== null ? inner : value;
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
        return await printInfo(device, spec, protocol, json, io);
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

const TIMEOUT_EXAMPLE = ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

function fidoCommand(name: FidoCommand, spec: Omit<CommandSpec, 'run' | 'flags'> & { flags?: FlagTable }): CommandSpec {
  return { ...spec, flags: { ...DEVICE_FLAGS, ...spec.flags }, run: (args, io) => run(name, args, io) };
}

export const commands: CommandTable = {
  info: fidoCommand('info', {
    summary: 'what the key is: every getInfo member (versions, options, algorithms, limits), PIN retries, built-in UV retries; or U2F',
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
  ...credsCommands,
  ...configCommands,
  wink: fidoCommand('wink', {
    summary: 'make the key blink (CTAPHID_WINK), to tell keys apart',
    examples: ['tokenrig fido wink --device hid:/dev/hidraw3'],
    exits: { TIMEOUT: TIMEOUT_EXAMPLE },
  }),
  ...blobsCommands({ deviceFlags: DEVICE_FLAGS, pin: PIN, withKey }),
  ...bioCommands({ deviceFlags: DEVICE_FLAGS, pin: PIN, withKey }),
};
