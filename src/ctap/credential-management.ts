/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8; 0x41 on CTAP 2.1-PRE keys): the request
 * and response shapes, their CBOR encoding, and the message a pinUvAuthParam authenticates.
 * `Ctap2.credentialManagement` sends one request; the flows (enumerate every RP and
 * credential, delete, update) build on it.
 *
 * @example
 * ```ts
 * const sub = CREDENTIAL_MANAGEMENT_SUBCOMMAND.getCredsMetadata;
 * const param = pin.protocol.authenticate(token, credentialManagementAuthMessage(sub));
 * const meta = await ctap2.credentialManagement({ subCommand: sub, pinUvAuthProtocol: 2, pinUvAuthParam: param });
 * ```
 */
import type { CborValue } from '../protocol/cbor.js';
import {
  CREDENTIAL_MANAGEMENT as P,
  CREDENTIAL_MANAGEMENT_PARAMS as SP,
  CREDENTIAL_MANAGEMENT_RESPONSE as R,
  CREDENTIAL_MANAGEMENT_SUBCOMMAND,
} from '../protocol/ctap2-parameters.js';
import { authMessage } from './auth-message.js';
import { type CredentialDescriptor, type UserEntity, bool, bytes, credentialDescriptor, descriptorMap, entityMap, map, members, text, uint, userEntity } from './response-readers.js';

export { CREDENTIAL_MANAGEMENT_SUBCOMMAND };

/** subCommandParams (§6.8): which RP, which credential, the new user information. */
export interface CredentialManagementParams {
  rpIDHash?: Uint8Array;
  credentialID?: CredentialDescriptor;
  user?: UserEntity;
}

export interface CredentialManagementRequest {
  /** CREDENTIAL_MANAGEMENT_SUBCOMMAND.* */
  subCommand: number;
  subCommandParams?: CredentialManagementParams;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

/** The response members (§6.8); which are present depends on the sub-command. */
export interface CredentialManagementResponse {
  existingResidentCredentialsCount?: number;
  maxPossibleRemainingResidentCredentialsCount?: number;
  rp?: { id: string; name?: string };
  rpIDHash?: Uint8Array;
  totalRPs?: number;
  user?: UserEntity;
  credentialID?: CredentialDescriptor;
  /** The credential public key as a COSE_Key map. */
  publicKey?: Map<CborValue, CborValue>;
  totalCredentials?: number;
  /** credProtect level 1..3. */
  credProtect?: number;
  largeBlobKey?: Uint8Array;
  /** CTAP 2.2 thirdPartyPayment. */
  thirdPartyPayment?: boolean;
}

/** The subCommandParams map, or undefined when there are none. */
export function credentialManagementParams(p: CredentialManagementParams | undefined): Map<number, CborValue> | undefined {
  if (p === undefined) return undefined;
  const m = new Map<number, CborValue>();
  if (p.rpIDHash !== undefined) m.set(SP.rpIDHash, p.rpIDHash);
  if (p.credentialID !== undefined) m.set(SP.credentialID, descriptorMap(p.credentialID));
  if (p.user !== undefined) m.set(SP.user, entityMap(p.user));
  return m;
}

/** The request's parameter map. */
export function credentialManagementRequest(req: CredentialManagementRequest): Map<number, unknown> {
  const m = new Map<number, unknown>([[P.subCommand, req.subCommand]]);
  const params = credentialManagementParams(req.subCommandParams);
  if (params !== undefined) m.set(P.subCommandParams, params);
  if (req.pinUvAuthProtocol !== undefined) m.set(P.pinUvAuthProtocol, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam !== undefined) m.set(P.pinUvAuthParam, req.pinUvAuthParam);
  return m;
}

/** What pinUvAuthParam authenticates (§6.8.2 ff.): subCommand ‖ CBOR(subCommandParams) when present. */
export function credentialManagementAuthMessage(subCommand: number, params?: CredentialManagementParams): Uint8Array {
  return authMessage([subCommand], credentialManagementParams(params));
}

const rpEntity = (v: CborValue, what: string): { id: string; name?: string } => {
  const m = map(v, what);
  const rp: { id: string; name?: string } = { id: text(m.get('id') ?? null, `${what} id`) };
  const name = m.get('name');
  if (name !== undefined) rp.name = text(name, `${what} name`);
  return rp;
};

/** Read a credentialManagement response; PROTOCOL error on a mistyped member. */
export function parseCredentialManagementResponse(m: Map<CborValue, CborValue>): CredentialManagementResponse {
  return members<CredentialManagementResponse>(m, 'credentialManagement', {
    existingResidentCredentialsCount: [R.existingResidentCredentialsCount, uint],
    maxPossibleRemainingResidentCredentialsCount: [R.maxPossibleRemainingResidentCredentialsCount, uint],
    rp: [R.rp, rpEntity],
    rpIDHash: [R.rpIDHash, bytes],
    totalRPs: [R.totalRPs, uint],
    user: [R.user, userEntity],
    credentialID: [R.credentialID, credentialDescriptor],
    publicKey: [R.publicKey, map],
    totalCredentials: [R.totalCredentials, uint],
    credProtect: [R.credProtect, uint],
    largeBlobKey: [R.largeBlobKey, bytes],
    thirdPartyPayment: [R.thirdPartyPayment, bool],
  });
}
