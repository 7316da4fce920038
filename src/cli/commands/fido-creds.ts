/**
 * `tokenrig fido creds`: the discoverable credentials of a key (CTAP 2.1 §6.8 credential
 * management), listed, deleted or renamed, with the key's PIN.
 *
 *   tokenrig fido creds list [--rp RPID] --pin PIN [--device SPEC] [--json]
 *   tokenrig fido creds delete CREDENTIAL_ID --pin PIN [--device SPEC] [--json]
 *   tokenrig fido creds update CREDENTIAL_ID [--name NAME] [--display-name NAME] --pin PIN [--json]
 *
 * Credential IDs are base64url, as WebAuthn and `creds list` write them.
 */
import { Ctap2 } from '../../ctap/ctap2.js';
import { CredentialManager, type ManagedCredential } from '../../ctap/credential-manager.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { fromBase64Url, toBase64Url } from '../../webauthn/base64url.js';
import { type ParsedArgs, flag, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import { DEVICE_FLAGS, PIN, withKey } from './fido-device.js';

type CredsCommand = 'list' | 'delete' | 'update';

const PROTOCOL_FLAG: FlagTable = { 'pin-protocol': { type: 'string', value: '1|2', help: "the PIN/UV auth protocol (default: the key's preferred one)" } };

/** COSE algorithm of a COSE_Key map (label 3). */
const algOf = (c: ManagedCredential): unknown => c.publicKey.get(3);

function credentialJson(c: ManagedCredential): Record<string, unknown> {
  return {
    rpId: c.rp.id,
    credentialId: toBase64Url(c.credentialId.id),
    user: { id: toBase64Url(c.user.id), ...(c.user.name === undefined ? {} : { name: c.user.name }), ...(c.user.displayName === undefined ? {} : { displayName: c.user.displayName }) },
    publicKeyAlgorithm: algOf(c),
    ...(c.credProtect === undefined ? {} : { credProtect: c.credProtect }),
  };
}

function credentialId(value: string | undefined): Uint8Array {
  if (value === undefined) throw badInput('give the credential ID (base64url, as `tokenrig fido creds list` prints it)');
  const id = fromBase64Url(value, 'credential ID');
  if (id.length === 0) throw badInput('the credential ID is empty');
  return id;
}

/** `{ [key]: value }` for a non-empty value, `{}` otherwise (an empty name removes it, §6.8.6). */
function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}

async function run(command: CredsCommand, args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  // Everything the user typed is checked before the key is touched.
  const pin = stringOpt(args, 'pin');
  if (pin === undefined) throw badInput(`--pin is required (or --pin-file, ${PIN.env}): credential management needs the key's PIN`);
  const protocolOpt = stringOpt(args, 'pin-protocol');
  if (protocolOpt !== undefined && protocolOpt !== '1' && protocolOpt !== '2') throw badInput('--pin-protocol must be 1 or 2');
  const target = command === 'list' ? undefined : credentialId(args.positionals[0]);
  const name = stringOpt(args, 'name');
  const displayName = stringOpt(args, 'display-name');
  if (command === 'update' && name === undefined && displayName === undefined) throw badInput('give --name and/or --display-name');

  return withKey(args, io, `creds ${command}`, async ({ device, spec }) => {
    const manager = await CredentialManager.open(new Ctap2(device), pin, protocolOpt === undefined ? {} : { protocol: Number(protocolOpt) as 1 | 2 });
    switch (command) {
      case 'list': {
        const rp = stringOpt(args, 'rp');
        const { existing, remaining } = await manager.metadata();
        const credentials = rp === undefined ? await manager.list() : await manager.credentials(rp);
        if (json) printJson(io, { device: spec, existing, remaining, credentials: credentials.map(credentialJson) });
        else {
          printLine(io, `${spec}: ${existing} discoverable credential${existing === 1 ? '' : 's'}, room for ${remaining} more`);
          for (const c of credentials) {
            const who = [c.user.name, c.user.displayName === undefined ? undefined : `(${c.user.displayName})`].filter((x) => x !== undefined).join(' ');
            printLine(io, `  ${c.rp.id}  ${who || toBase64Url(c.user.id)}  ${toBase64Url(c.credentialId.id)}${c.credProtect === undefined ? '' : `  credProtect ${c.credProtect}`}`);
          }
        }
        return 0;
      }
      case 'delete':
        await manager.delete(target!);
        if (json) printJson(io, { device: spec, deleted: toBase64Url(target!) });
        else printLine(io, `deleted ${toBase64Url(target!)}`);
        return 0;
      case 'update': {
        // updateUserInformation replaces the whole user entity: keep what was not given.
        const current = (await manager.list()).find((c) => Buffer.from(c.credentialId.id).equals(Buffer.from(target!)));
        if (current === undefined) throw new TokenrigError(ErrorCode.NOT_FOUND, `the key holds no discoverable credential ${toBase64Url(target!)}`);
        const user = { id: current.user.id, ...pick('name', name ?? current.user.name), ...pick('displayName', displayName ?? current.user.displayName) };
        await manager.updateUser(target!, user);
        if (json) printJson(io, { device: spec, updated: credentialJson({ ...current, user }) });
        else printLine(io, `updated ${toBase64Url(target!)}: ${user.name ?? '(no name)'}${user.displayName === undefined ? '' : ` (${user.displayName})`}`);
        return 0;
      }
    }
  });
}

const TIMEOUT_EXAMPLE = ['--pin', '1234', '--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

function credsCommand(command: CredsCommand, spec: Omit<CommandSpec, 'run' | 'flags' | 'secrets'> & { flags?: FlagTable }): CommandSpec {
  return { ...spec, flags: { ...DEVICE_FLAGS, ...PROTOCOL_FLAG, ...spec.flags }, secrets: [PIN], run: (args, io) => run(command, args, io) };
}

/** `fido creds ...`: joined to the fido family's table (fido.ts). */
export const commands: CommandTable = {
  'creds list': credsCommand('list', {
    summary: 'list the discoverable credentials on the key (credential management, CTAP 2.1 §6.8)',
    flags: { rp: { type: 'string', value: 'RPID', help: "only this relying party's credentials" } },
    notes: ['One line per credential: RP ID, user name (display name), base64url credential ID, credProtect\nlevel; --json adds the counts and the user handle. Keys without credential management exit 10.'],
    examples: ['tokenrig fido creds list --pin-file pin.txt', 'tokenrig fido creds list --rp rp.example --device udp:127.0.0.1:8111 --json'],
    exits: { BAD_INPUT: ['--device', '{fido-with-pin}'], TIMEOUT: TIMEOUT_EXAMPLE },
  }),
  'creds delete': credsCommand('delete', {
    summary: 'delete one discoverable credential (by its base64url ID): its RP can no longer use it',
    args: 'CREDENTIAL_ID',
    positionals: { min: 1, max: 1 },
    examples: ['tokenrig fido creds delete AQIDBA --pin-file pin.txt'],
    exits: { BAD_INPUT: ['!', '--pin', '1234'], NOT_FOUND: ['AAAA', '--pin', '1234', '--device', '{fido-with-pin}'], TIMEOUT: ['AAAA', ...TIMEOUT_EXAMPLE] },
  }),
  'creds update': credsCommand('update', {
    summary: "change a discoverable credential's user name or display name ('' removes one)",
    args: 'CREDENTIAL_ID',
    positionals: { min: 1, max: 1 },
    flags: {
      name: { type: 'string', value: 'NAME', help: 'the new user name (kept when not given)' },
      'display-name': { type: 'string', value: 'NAME', help: 'the new display name (kept when not given)' },
    },
    examples: ["tokenrig fido creds update AQIDBA --display-name 'Alice Smith' --pin-file pin.txt"],
    exits: { BAD_INPUT: ['AAAA', '--pin', '1234'], NOT_FOUND: ['AAAA', '--name', 'x', '--pin', '1234', '--device', '{fido-with-pin}'], TIMEOUT: ['AAAA', '--name', 'x', ...TIMEOUT_EXAMPLE] },
  }),
};
