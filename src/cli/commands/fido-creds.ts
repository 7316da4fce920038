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
import { flag, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { KEY_OPTIONS, openFidoDevice, pinOption } from './fido-device.js';

const USAGE = `usage: tokenrig fido creds COMMAND --pin PIN [--device SPEC] [--json]
  list [--rp RPID]                                   every discoverable credential (of one RP)
  delete CREDENTIAL_ID                               delete one (base64url ID, as list prints it)
  update CREDENTIAL_ID [--name N] [--display-name D] change its user name / display name ('' removes)
options:
  --pin PIN          the key's PIN (or TOKENRIG_FIDO_PIN); credential management needs it
  --device SPEC      udp:127.0.0.1:8111, hid:/dev/hidrawN, hid:VID:PID (default: the one FIDO key found)
  --protocol 1|2     the PIN/UV auth protocol (default: the key's preferred one)
  --timeout MS       how long to wait for the key (default 35000)
  --json             machine-readable output`;

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

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...KEY_OPTIONS, rp: { type: 'string' }, name: { type: 'string' }, 'display-name': { type: 'string' }, protocol: { type: 'string' } }, true);
  const [command, id, ...extra] = args.positionals;
  if (flag(args, 'help') || command === undefined) {
    printLine(io, USAGE);
    return command === undefined && !flag(args, 'help') ? 2 : 0;
  }
  if (!['list', 'delete', 'update'].includes(command)) throw badInput(`unknown creds command ${JSON.stringify(command)}: use list, delete, update`);
  const unexpected = command === 'list' ? [id, ...extra] : extra;
  if (unexpected.some((x) => x !== undefined)) throw badInput(`unexpected argument ${JSON.stringify(unexpected.find((x) => x !== undefined))}`);
  const json = flag(args, 'json');
  const protocolOpt = stringOpt(args, 'protocol');
  if (protocolOpt !== undefined && protocolOpt !== '1' && protocolOpt !== '2') throw badInput('--protocol must be 1 or 2');
  const pin = pinOption(args, io);
  if (pin === undefined) throw badInput('--pin is required (or set TOKENRIG_FIDO_PIN): credential management needs the key’s PIN');
  const target = command === 'list' ? undefined : credentialId(id);
  const name = stringOpt(args, 'name');
  const displayName = stringOpt(args, 'display-name');
  if (command === 'update' && name === undefined && displayName === undefined) throw badInput('give --name and/or --display-name');

  const { spec, device } = await openFidoDevice(args);
  try {
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
      default: {
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
  } finally {
    await device.close();
  }
}

/** `{ [key]: value }` for a non-empty value, `{}` otherwise (an empty name removes it, §6.8.6). */
function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}
