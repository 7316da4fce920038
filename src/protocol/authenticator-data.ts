/**
 * Authenticator data (WebAuthn §6.1) read back: rpIdHash (32) ‖ flags (1) ‖ signCount (4,
 * big-endian) ‖ attested credential data (§6.5.1: aaguid (16) ‖ L (2) ‖ credentialId ‖ the
 * COSE public key) when AT is set ‖ the CBOR extensions map when ED is set. Strict: every
 * length must add up, both CBOR items must be canonical, and nothing may follow them.
 *
 * @example
 * ```ts
 * const a = parseAuthenticatorData(made.authData);
 * a.attested?.publicKey; // { kty: 'OKP', alg: -8, crv: 6, x }
 * a.extensions?.get('hmac-secret'); // true
 * ```
 */
import { type CborValue, CborError, decodeCbor, decodeCborPrefix } from './cbor.js';
import { type CosePublicKey, decodeCoseKey } from './cose.js';

/** The flags byte (WebAuthn §6.1; BE and BS are Level 3's backup bits). */
export const AUTH_DATA_FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The credential public key, decoded. */
  publicKey: CosePublicKey;
  /** The CBOR bytes of the COSE key as the authenticator sent them. */
  publicKeyBytes: Uint8Array;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attested: AttestedCredentialData | undefined;
  /** The authenticator extension outputs by extension identifier, when ED is set. */
  extensions: Map<string, CborValue> | undefined;
}

/** An authenticator data that breaks WebAuthn §6.1. */
export class AuthenticatorDataError extends Error {
  override readonly name = 'AuthenticatorDataError';
}

function bad(what: string, cause?: unknown): never {
  throw new AuthenticatorDataError(`authenticator data: ${what}`, cause === undefined ? undefined : { cause });
}

function extensionsMap(bytes: Uint8Array): Map<string, CborValue> {
  let v: CborValue;
  try {
    v = decodeCbor(bytes);
  } catch (e) {
    bad(`extensions: ${(e as Error).message}`, e);
  }
  if (!(v instanceof Map)) bad('extensions must be a CBOR map');
  for (const k of v.keys()) if (typeof k !== 'string') bad('extension identifiers must be text');
  return v as Map<string, CborValue>;
}

/** Parse `authData`; AuthenticatorDataError naming the first thing that is wrong. */
export function parseAuthenticatorData(authData: Uint8Array): AuthenticatorData {
  if (!(authData instanceof Uint8Array)) throw new TypeError('authData must be a Uint8Array');
  if (authData.length < 37) bad(`${authData.length} bytes, at least 37 expected`);
  const flags = authData[32]!;
  const out: AuthenticatorData = {
    rpIdHash: authData.slice(0, 32),
    flags,
    signCount: new DataView(authData.buffer, authData.byteOffset + 33, 4).getUint32(0),
    attested: undefined,
    extensions: undefined,
  };
  let rest = authData.subarray(37);
  if ((flags & AUTH_DATA_FLAG.AT) !== 0) {
    if (rest.length < 18) bad('attested credential data is cut short');
    const idLength = (rest[16]! << 8) | rest[17]!;
    if (rest.length < 18 + idLength) bad('credential ID is cut short');
    const keyBytes = rest.subarray(18 + idLength);
    let item: { value: CborValue; length: number };
    try {
      item = decodeCborPrefix(keyBytes);
    } catch (e) {
      if (e instanceof CborError) bad(`credential public key: ${e.message}`, e);
      throw e;
    }
    let publicKey: CosePublicKey;
    try {
      publicKey = decodeCoseKey(item.value);
    } catch (e) {
      bad(`credential public key: ${(e as Error).message}`, e);
    }
    out.attested = { aaguid: rest.slice(0, 16), credentialId: rest.slice(18, 18 + idLength), publicKey, publicKeyBytes: keyBytes.slice(0, item.length) };
    rest = keyBytes.subarray(item.length);
  }
  if ((flags & AUTH_DATA_FLAG.ED) !== 0) {
    if (rest.length === 0) bad('ED is set but no extensions follow');
    out.extensions = extensionsMap(rest);
  } else if (rest.length > 0) {
    bad(`${rest.length} bytes follow the ${out.attested === undefined ? 'counter' : 'credential public key'}`);
  }
  return out;
}
