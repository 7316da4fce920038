/**
 * Verify a credential's signature (an attestation's self signature, an assertion) under its
 * COSE public key, for every algorithm of src/protocol/cose.ts: ECDSA signatures are DER
 * (WebAuthn §6.5.6), EdDSA signatures the raw 64 bytes, RS256 PKCS#1 v1.5 and PS256 PSS
 * with a 32-byte salt (RFC 8230 §2). Runs on node:crypto, whose OpenSSL knows every curve
 * here, secp256k1 included.
 *
 * @example
 * ```ts
 * const a = parseAuthenticatorData(assertion.authData);
 * verifyCredentialSignature(publicKey, concat(assertion.authData, clientDataHash), assertion.signature); // true
 * ```
 */
import { type KeyObject, constants, createPublicKey, verify } from 'node:crypto';
import { COSE_SIGNATURE_ALGORITHMS, type CosePublicKey } from '../protocol/cose.js';
import { coseKeyToSpki } from '../protocol/spki.js';

/** The node:crypto key of a COSE public key; RangeError when OpenSSL refuses it (a point off the curve). */
export function publicKeyObject(key: CosePublicKey): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(coseKeyToSpki(key)), format: 'der', type: 'spki' });
  } catch (e) {
    throw new RangeError(`credential public key is not a valid ${key.kty} key: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Whether `signature` over `message` verifies under `key`. RangeError for an algorithm this
 * module does not know or a key that is not valid; false for any signature that does not verify.
 */
export function verifyCredentialSignature(key: CosePublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  const algorithm = COSE_SIGNATURE_ALGORITHMS.get(key.alg);
  if (algorithm === undefined) throw new RangeError(`COSE algorithm ${key.alg} is not one tokenrig verifies`);
  const publicKey = publicKeyObject(key);
  const digest = algorithm.hash === undefined ? null : algorithm.hash.replace('-', '').toLowerCase();
  try {
    if (algorithm.kty === 'EC2') return verify(digest, message, { key: publicKey, dsaEncoding: 'der' }, signature);
    if (algorithm.kty === 'OKP') return verify(null, message, publicKey, signature);
    const padding = algorithm.padding === 'PSS' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { padding: constants.RSA_PKCS1_PADDING };
    return verify(digest, message, { key: publicKey, ...padding }, signature);
  } catch {
    return false; // a malformed signature (a DER that does not parse) is one that does not verify
  }
}
