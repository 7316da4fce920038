/**
 * The DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of a COSE public key: what WebAuthn L3's
 * `getPublicKey()` returns and RegistrationResponseJSON carries as `publicKey` (§5.2.1.1), and
 * what node:crypto and WebCrypto import to verify a signature. EC keys per RFC 5480 §2 (with
 * secp256k1 from SEC 2), Ed25519 per RFC 8410 §4, RSA per RFC 3279 §2.3.1 (rsaEncryption,
 * also for PS256 keys, as browsers emit them).
 *
 * @example
 * ```ts
 * const spki = coseKeyToSpki(decodeCoseKey(cosePublicKey));
 * const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
 * ```
 */
import { COSE_CRV, type CosePublicKey, ec2ToUncompressed } from './cose.js';
import { bitString, oid, sequence, tlv, unsignedInteger } from './der.js';

/** AlgorithmIdentifier of each key type (encoded once: every registration builds an SPKI). */
const EC_ALGORITHM: Readonly<Record<number, Uint8Array>> = Object.fromEntries(
  (
    [
      // The named-curve OID of each EC2 curve (RFC 5480 §2.1.1.1; SEC 2 §2.4.1 for secp256k1).
      [COSE_CRV.P256, '1.2.840.10045.3.1.7'],
      [COSE_CRV.P384, '1.3.132.0.34'],
      [COSE_CRV.P521, '1.3.132.0.35'],
      [COSE_CRV.secp256k1, '1.3.132.0.10'],
    ] as const
  ).map(([crv, curve]) => [crv, sequence(oid('1.2.840.10045.2.1' /* id-ecPublicKey */), oid(curve))]),
);
const ED25519_ALGORITHM = sequence(oid('1.3.101.112'));
/** rsaEncryption with NULL parameters (RFC 3279 §2.3.1). */
const RSA_ALGORITHM = sequence(oid('1.2.840.113549.1.1.1'), tlv(0x05));

/** The SubjectPublicKeyInfo of `key`; RangeError for a curve it has no OID for. */
export function coseKeyToSpki(key: CosePublicKey): Uint8Array {
  switch (key.kty) {
    case 'EC2': {
      const algorithm = EC_ALGORITHM[key.crv];
      if (algorithm === undefined) throw new RangeError(`no SubjectPublicKeyInfo for EC2 curve ${key.crv}`);
      return sequence(algorithm, bitString(ec2ToUncompressed(key)));
    }
    case 'OKP':
      if (key.crv !== COSE_CRV.Ed25519) throw new RangeError(`no SubjectPublicKeyInfo for OKP curve ${key.crv}`);
      return sequence(ED25519_ALGORITHM, bitString(key.x));
    case 'RSA':
      // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
      return sequence(RSA_ALGORITHM, bitString(sequence(unsignedInteger(key.n), unsignedInteger(key.e))));
  }
}
