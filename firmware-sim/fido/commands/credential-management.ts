/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8; 0x41 is the same family under its
 * CTAP 2.1-PRE number): getCredsMetadata, enumerateRPsBegin / GetNextRP,
 * enumerateCredentialsBegin / GetNextCredential, deleteCredential, updateUserInformation.
 * Every sub-command but the two GetNext ones is authorized by a pinUvAuthToken with the cm
 * permission (or, for the read-only ones, CTAP 2.2's persistent pcmr token,
 * ../persistent-token.ts); each refusal names its step. The
 * enumeration cursors are this family's volatile state: any other sub-command ends them.
 *
 * Resident credentials report what the key stores of them: the RP ID (not its name, as
 * OpenSK and YubiKeys answer), the user entity, the credential ID, its public key, and what
 * each extension reports (credProtect).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { authMessage } from '../../../src/protocol/auth-message.js';
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import {
  CREDENTIAL_MANAGEMENT as P,
  CREDENTIAL_MANAGEMENT_PARAMS as SP,
  CREDENTIAL_MANAGEMENT_RESPONSE as R,
  CREDENTIAL_MANAGEMENT_SUBCOMMAND as SUB,
  PERMISSION,
} from '../../../src/protocol/ctap2-parameters.js';
import { type CborParams, type CredentialDescriptor, type PinUvAuthParams, bytes, descriptors, map, optional, pinUvAuthParams, text, textKeyed, uint } from '../cbor-params.js';
import { type FidoDevice, volatileSlot } from '../device.js';
import { S, fail } from '../errors.js';
import { verifiesWithPersistentToken } from '../persistent-token.js';
import { PIN_UV_AUTH_TOKEN, authorize } from '../pin-uv-auth-token.js';
import type { ResidentCredential } from '../state.js';
import { type Ctap2Command, type Ctap2Response, defineCommand, speaksCtap2 } from './command.js';

export interface CredentialManagementRequest extends PinUvAuthParams {
  subCommand: number;
  /** subCommandParams as sent, for the message the pinUvAuthParam authenticates. */
  params: CborParams | undefined;
  rpIDHash?: Uint8Array;
  credentialID?: CredentialDescriptor;
  user?: { id: Uint8Array; name?: string; displayName?: string };
}

/** The enumeration under way: what enumerateRPsBegin or enumerateCredentialsBegin found, and how far GetNext got. */
const CURSOR = volatileSlot('credentialManagementCursor', () => ({ rps: undefined as Cursor<string> | undefined, credentials: undefined as Cursor<ResidentCredential> | undefined }));

interface Cursor<T> {
  items: T[];
  next: number;
}

function parse(p: CborParams): CredentialManagementRequest {
  const req: CredentialManagementRequest = {
    subCommand: uint(p.get(P.subCommand), 'subCommand'),
    params: optional(p.get(P.subCommandParams), (v) => map(v, 'subCommandParams')),
    ...pinUvAuthParams(p, P.pinUvAuthParam, P.pinUvAuthProtocol),
  };
  if (req.params === undefined) return req;
  const rpIDHash = optional(req.params.get(SP.rpIDHash), (v) => bytes(v, 'rpIDHash'));
  if (rpIDHash !== undefined) req.rpIDHash = rpIDHash;
  const credentialID = optional(req.params.get(SP.credentialID), (v) => descriptors([v], 'credentialID')[0]!);
  if (credentialID !== undefined) req.credentialID = credentialID;
  const user = optional(req.params.get(SP.user), (v) => textKeyed(v, 'user'));
  if (user !== undefined) {
    req.user = { id: bytes(user.get('id'), 'user.id') };
    for (const key of ['name', 'displayName'] as const) {
      const v = optional(user.get(key), (x) => text(x, `user.${key}`));
      if (v !== undefined) req.user[key] = v;
    }
    optional(user.get('icon'), (x) => text(x, 'user.icon'));
  }
  return req;
}

/** The sub-commands that only read: CTAP 2.2's persistent (pcmr) token may run them. */
const READ_ONLY = new Set<number>([SUB.getCredsMetadata, SUB.enumerateRPsBegin, SUB.enumerateCredentialsBegin]);

/**
 * The checks every authorized sub-command starts with (§6.8.2 steps 1–4 and the same steps of
 * §6.8.3–§6.8.6): a pinUvAuthParam (CTAP2_ERR_PUAT_REQUIRED), a protocol the key has
 * (MISSING_PARAMETER / INVALID_PARAMETER), verify(pinUvAuthToken, subCommand ‖
 * subCommandParams, pinUvAuthParam) and the cm permission (PIN_AUTH_INVALID). Returns the
 * token's permissions RP ID.
 */
function authorizeSubCommand(device: FidoDevice, req: CredentialManagementRequest): string | undefined {
  if (req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
  if (req.pinUvAuthProtocol === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  const protocol = device.pinUvAuthProtocol(req.pinUvAuthProtocol);
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
  const message = authMessage([req.subCommand], req.params);
  // CTAP 2.2: the persistent token (pcmr) reads, with no RP and no lifetime.
  if (READ_ONLY.has(req.subCommand) && verifiesWithPersistentToken(device, protocol, message, req.pinUvAuthParam)) return undefined;
  authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam, message, permission: PERMISSION.cm });
  return device.volatile(PIN_UV_AUTH_TOKEN).rpId;
}

/** One RP's members of an enumerateRPs response. */
function rpResponse(rpId: string, total: number | undefined): Map<number, unknown> {
  const m = new Map<number, unknown>([
    [R.rp, new Map([['id', rpId]])],
    [R.rpIDHash, sha256(new TextEncoder().encode(rpId))],
  ]);
  if (total !== undefined) m.set(R.totalRPs, total);
  return m;
}

/** One credential's members of an enumerateCredentials response (§6.8.4). */
async function credentialResponse(device: FidoDevice, cred: ResidentCredential, total: number | undefined): Promise<Map<number, unknown>> {
  const user = new Map<string, unknown>([['id', cred.userId]]);
  if (cred.userName !== undefined) user.set('name', cred.userName);
  if (cred.displayName !== undefined) user.set('displayName', cred.displayName);
  const record = device.usableCredential(cred.rpIdHash, cred.id);
  // Stored by this key, so it opens; one whose algorithm the profile lost is not reported.
  if (record === undefined) throw fail(S.CTAP2_ERR_NO_CREDENTIALS, 'credential no longer usable');
  const key = await device.credentialKey(cred.id, record);
  const m = new Map<number, unknown>([
    [R.user, user],
    [R.credentialID, new Map<string, unknown>([['id', cred.id], ['type', 'public-key']])],
    [R.publicKey, key.publicKey()],
  ]);
  if (total !== undefined) m.set(R.totalCredentials, total);
  for (const ext of device.extensions) for (const [k, v] of ext.credentialManagement?.(record.extensions.get(ext.id), record) ?? []) m.set(k, v);
  return m;
}

/** The resident credentials, one RP ID each, in the order they were first made. */
function rpIds(device: FidoDevice): string[] {
  return [...new Set(device.store.residentCredentials().map((c) => c.rpId))];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The resident credential a delete or update names; NO_CREDENTIALS when there is none (§6.8.5, §6.8.6). */
function namedCredential(device: FidoDevice, credentialID: CredentialDescriptor, tokenRpId: string | undefined): ResidentCredential {
  const cred = device.store.findResident(credentialID.id);
  if (cred === undefined) throw fail(S.CTAP2_ERR_NO_CREDENTIALS);
  // A token bound to an RP manages that RP's credentials only.
  if (tokenRpId !== undefined && tokenRpId !== cred.rpId) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to another RP');
  return cred;
}

type SubCommand = (device: FidoDevice, req: CredentialManagementRequest) => Ctap2Response | Promise<Ctap2Response>;

/** §6.8.2 getCredsMetadata. */
const getCredsMetadata: SubCommand = (device, req) => {
  if (authorizeSubCommand(device, req) !== undefined) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to an RP'); // step 4
  const count = device.store.residentCredentials().length;
  return new Map([
    [R.existingResidentCredentialsCount, count],
    [R.maxPossibleRemainingResidentCredentialsCount, Math.max(0, device.profile.limits.maxDiscoverableCredentials - count)],
  ]);
};

/** §6.8.3 enumerateRPsBegin. */
const enumerateRPsBegin: SubCommand = (device, req) => {
  if (authorizeSubCommand(device, req) !== undefined) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to an RP');
  const items = rpIds(device);
  if (items.length === 0) throw fail(S.CTAP2_ERR_NO_CREDENTIALS);
  device.volatile(CURSOR).rps = { items, next: 1 };
  return rpResponse(items[0]!, items.length);
};

/** §6.8.3 enumerateRPsGetNextRP: NOT_ALLOWED without a Begin, or once every RP was given. */
const enumerateRPsGetNextRP: SubCommand = (device) => {
  const cursor = device.volatile(CURSOR).rps;
  if (cursor === undefined || cursor.next >= cursor.items.length) throw fail(S.CTAP2_ERR_NOT_ALLOWED);
  return rpResponse(cursor.items[cursor.next++]!, undefined);
};

/** §6.8.4 enumerateCredentialsBegin. */
const enumerateCredentialsBegin: SubCommand = async (device, req) => {
  if (req.rpIDHash === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'rpIDHash'); // step 1
  const tokenRpId = authorizeSubCommand(device, req);
  // Step 4: a token bound to an RP enumerates that RP only.
  if (tokenRpId !== undefined && !sameBytes(sha256(new TextEncoder().encode(tokenRpId)), req.rpIDHash)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to another RP');
  const items = device.store.residentCredentials().filter((c) => sameBytes(c.rpIdHash, req.rpIDHash!));
  if (items.length === 0) throw fail(S.CTAP2_ERR_NO_CREDENTIALS);
  device.volatile(CURSOR).credentials = { items, next: 1 };
  return credentialResponse(device, items[0]!, items.length);
};

/** §6.8.4 enumerateCredentialsGetNextCredential. */
const enumerateCredentialsGetNextCredential: SubCommand = (device) => {
  const cursor = device.volatile(CURSOR).credentials;
  if (cursor === undefined || cursor.next >= cursor.items.length) throw fail(S.CTAP2_ERR_NOT_ALLOWED);
  return credentialResponse(device, cursor.items[cursor.next++]!, undefined);
};

/** §6.8.5 deleteCredential: the credential and its counter are gone; its ID no longer works. */
const deleteCredential: SubCommand = (device, req) => {
  if (req.credentialID === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'credentialID');
  const cred = namedCredential(device, req.credentialID, authorizeSubCommand(device, req));
  device.store.removeResident(cred.id);
  device.emit({ event: 'credential_deleted', rpId: cred.rpId });
  return undefined;
};

/** §6.8.6 updateUserInformation: name and displayName replaced; an absent or empty one is removed. */
const updateUserInformation: SubCommand = (device, req) => {
  if (req.credentialID === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'credentialID');
  if (req.user === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'user');
  const cred = namedCredential(device, req.credentialID, authorizeSubCommand(device, req));
  if (!sameBytes(cred.userId, req.user.id)) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'user.id differs from the credential’s'); // step 7
  const user: { name?: string; displayName?: string } = {};
  if (req.user.name !== undefined && req.user.name !== '') user.name = req.user.name;
  if (req.user.displayName !== undefined && req.user.displayName !== '') user.displayName = req.user.displayName;
  device.store.updateResidentUser(cred.id, user);
  device.emit({ event: 'credential_updated', rpId: cred.rpId });
  return undefined;
};

/** The sub-commands by number. */
export const CREDENTIAL_MANAGEMENT_SUBCOMMANDS: ReadonlyMap<number, SubCommand> = new Map([
  [SUB.getCredsMetadata, getCredsMetadata],
  [SUB.enumerateRPsBegin, enumerateRPsBegin],
  [SUB.enumerateRPsGetNextRP, enumerateRPsGetNextRP],
  [SUB.enumerateCredentialsBegin, enumerateCredentialsBegin],
  [SUB.enumerateCredentialsGetNextCredential, enumerateCredentialsGetNextCredential],
  [SUB.deleteCredential, deleteCredential],
  [SUB.updateUserInformation, updateUserInformation],
]);

export const authenticatorCredentialManagement: Ctap2Command<CredentialManagementRequest> = defineCommand<CredentialManagementRequest>({
  code: CTAP2_CMD.CREDENTIAL_MANAGEMENT,
  name: 'authenticatorCredentialManagement',
  available: (profile) => speaksCtap2(profile) && profile.options.credMgmt !== undefined,
  parse,
  handle(device, req) {
    const sub = CREDENTIAL_MANAGEMENT_SUBCOMMANDS.get(req.subCommand);
    if (sub === undefined) throw fail(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    // Any sub-command but a GetNext ends the enumeration under way.
    const cursor = device.volatile(CURSOR);
    if (req.subCommand !== SUB.enumerateRPsGetNextRP) cursor.rps = undefined;
    if (req.subCommand !== SUB.enumerateCredentialsGetNextCredential) cursor.credentials = undefined;
    return sub(device, req);
  },
});

/**
 * The CTAP 2.1-PRE number (0x41) of the same family, in CTAP 2.1's vendor range (§6: 0x40–0xBF),
 * answered by every key that has credential management (credMgmt or credentialMgmtPreview).
 * The spec leaves vendor numbers to the vendor; every shipping 2.1 key answers this one (YubiKey 5
 * from 5.2, Solo 2, Feitian, Token2), because libfido2 up to 1.14 sends all of credential
 * management as 0x41 (`credman_tx` hard-codes CTAP_CBOR_CRED_MGMT_PRE) and `ssh-keygen -K` and
 * `fido2-token -L -r` rely on it. getInfo stays strict: the default profile does not report
 * credentialMgmtPreview, it only accepts the older number.
 */
export const authenticatorCredentialManagementPreview: Ctap2Command<CredentialManagementRequest> = {
  ...authenticatorCredentialManagement,
  code: 0x41,
  name: 'authenticatorCredentialManagement (prototype)',
  available: (profile) =>
    speaksCtap2(profile) && (profile.options.credentialMgmtPreview !== undefined || profile.options.credMgmt !== undefined),
};
