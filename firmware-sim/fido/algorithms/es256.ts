/**
 * ES256 (COSE -7, RFC 9053 §2.1): ECDSA on P-256 with SHA-256, the algorithm every FIDO2 key
 * has, and the key of the device's own attestation certificate and U2F registrations. Native
 * crypto, lazy signing-key import and low-S DER signatures come from ./ecdsa.ts.
 */
import { COSE_ALG, COSE_CRV } from '../../../src/protocol/cose.js';
import type { RandomSource } from '../../env/index.js';
import { type EcdsaCurve, type EcdsaKey, ecdsaAlgorithm, hexBytes, isValidScalarFor, signEcdsa } from './ecdsa.js';

/** P-256 (SEC 2 §2.4.2 secp256r1). */
const P256: EcdsaCurve = {
  alg: COSE_ALG.ES256,
  name: 'ES256',
  crv: COSE_CRV.P256,
  opensslCurve: 'prime256v1',
  jwkCrv: 'P-256',
  hash: 'sha256',
  order: hexBytes('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
};

/** A P-256 key pair ready to sign. */
export type Es256Key = EcdsaKey;

/** True when `d` is a valid P-256 private scalar (1 ≤ d < n). */
export function isValidScalar(d: Uint8Array): boolean {
  return isValidScalarFor(P256.order, d);
}

/** ES256 (COSE -7): ECDSA on P-256 with SHA-256. */
export const ES256 = ecdsaAlgorithm(P256);

/** Import a private scalar (RangeError unless 1 ≤ d < n); ECDH derives the public point. */
export function importEs256(d: Uint8Array): Promise<Es256Key> {
  return ES256.load(d);
}

/** A new key from `random` (rejection sampling: a draw outside 1..n-1 is drawn again). */
export function generateEs256(random: RandomSource): Promise<Es256Key> {
  return ES256.generate(random);
}

/** ECDSA-SHA256 signature over `message`, DER-encoded as WebAuthn and U2F expect. */
export async function signEs256(key: Es256Key, message: Uint8Array): Promise<Uint8Array> {
  return signEcdsa(P256, key, message);
}
