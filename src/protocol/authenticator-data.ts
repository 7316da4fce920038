/**
 * Authenticator data (WebAuthn §6.1): rpIdHash ‖ flags ‖ signCount ‖ attested credential data
 * (AT flag: AAGUID ‖ credentialIdLength ‖ credentialId ‖ COSE public key) ‖ extensions (ED flag:
 * a CBOR map of authenticator extension outputs). Read strictly: every part must be there and
 * canonical, nothing may follow. Pure: the host's WebAuthn client and the tests both read it.
 *
 * @example
 * ```ts
 * const a = parseAuthenticatorData(made.authData);
 * a.attestedCredential?.credentialId; a.extensions?.get('credProtect');
 * ```
 */
import { CborError, type CborValue, decodeCbor, decodeCborPrefix } from './cbor.js';

/** Flag bits of authenticator data (WebAuthn §6.1). */
export const AUTH_DATA_FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  /** Present when the AT flag is set. */
  attestedCredential?: { aaguid: Uint8Array; credentialId: Uint8Array; publicKey: Map<CborValue, CborValue> };
  /** Present when the ED flag is set: extension identifier → authenticator output. */
  extensions?: Map<CborValue, CborValue>;
}

function map(v: CborValue, what: string): Map<CborValue, CborValue> {
  if (!(v instanceof Map)) throw new CborError(`authenticator data: ${what} must be a CBOR map`);
  return v;
}

/** Parse authenticator data; `CborError` (a RangeError-like parse failure) names what is wrong. */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.length < 37) throw new CborError('authenticator data is shorter than 37 bytes');
  const flags = bytes[32]!;
  const out: AuthenticatorData = { rpIdHash: bytes.slice(0, 32), flags, signCount: new DataView(bytes.buffer, bytes.byteOffset + 33, 4).getUint32(0) };
  let rest = bytes.subarray(37);
  if ((flags & AUTH_DATA_FLAG.AT) !== 0) {
    if (rest.length < 18) throw new CborError('authenticator data: attested credential data is cut short');
    const idLength = (rest[16]! << 8) | rest[17]!;
    if (rest.length < 18 + idLength) throw new CborError('authenticator data: credential ID is cut short');
    const credentialId = rest.slice(18, 18 + idLength);
    const key = decodeCborPrefix(rest.subarray(18 + idLength));
    out.attestedCredential = { aaguid: rest.slice(0, 16), credentialId, publicKey: map(key.value, 'credentialPublicKey') };
    rest = key.rest;
  }
  if ((flags & AUTH_DATA_FLAG.ED) !== 0) {
    out.extensions = map(decodeCbor(rest), 'extensions');
    rest = new Uint8Array(0);
  }
  if (rest.length !== 0) throw new CborError('authenticator data: bytes after the last part');
  return out;
}
