/**
 * ES256 (ECDSA P-256 with SHA-256) keys of the authenticator, on the platform's native
 * crypto (OpenSSL through node:crypto), which signs in well under 100 µs where a pure-JS
 * signer takes about 2 ms (DESIGN.md "Dependencies": measured, see docs/fido-simulator.md).
 * Signing is synchronous: a device does one thing at a time anyway, and it saves the
 * thread-pool round trip WebCrypto would add to every request.
 *
 * Private scalars always come from the injected random source (a seeded source makes every
 * key reproducible); OpenSSL's ECDH derives the public point (≈35 µs), and the OpenSSL key
 * object that signs is imported only when something signs with the key.
 */
import { type KeyObject, createECDH, createPrivateKey, sign } from 'node:crypto';
import type { CborValue } from '../../../src/protocol/cbor.js';
import { COSE_ALG, encodeEc2CoseKey } from '../../../src/protocol/cose.js';
import type { RandomSource } from '../../env/index.js';
import { ecdsaDerSignature } from '../der.js';
import type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

/** The order n of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const P256_N_BYTES = Uint8Array.from(Buffer.from(P256_N.toString(16), 'hex'));

/** True when `d` is a valid private scalar (1 ≤ d < n). */
export function isValidScalar(d: Uint8Array): boolean {
  if (d.length !== 32) return false;
  let any = 0;
  for (const b of d) any |= b;
  if (any === 0) return false;
  // Big-endian: the first byte that differs from n's decides whether d < n.
  for (let i = 0; i < 32; i++) if (d[i] !== P256_N_BYTES[i]) return d[i]! < P256_N_BYTES[i]!;
  return false; // d = n
}

/** A P-256 key pair ready to sign. */
export interface Es256Key extends CredentialKey {
  /** The 32-byte private scalar (kept only where it must persist, encrypted). */
  readonly d: Uint8Array;
  /** The public point, x and y, 32 bytes each. */
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  /** The OpenSSL key object, imported on first use. */
  readonly signingKey: KeyObject;
}

const b64 = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.length).toString('base64url');

/**
 * A key whose OpenSSL object is made only when something signs with it. A new credential's
 * key is never used to sign under batch attestation, and the JWK import is the single most
 * expensive step of a makeCredential (≈130 µs, more than the signature).
 */
class LazyEs256Key implements Es256Key {
  readonly alg = COSE_ALG.ES256;
  readonly d: Uint8Array;
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  #signingKey: KeyObject | undefined;

  constructor(d: Uint8Array, x: Uint8Array, y: Uint8Array) {
    this.d = d;
    this.x = x;
    this.y = y;
  }

  get signingKey(): KeyObject {
    this.#signingKey ??= createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64(this.d), x: b64(this.x), y: b64(this.y) }, format: 'jwk' });
    return this.#signingKey;
  }

  get privateKey(): Uint8Array {
    return this.d;
  }

  publicKey(): Map<number, CborValue> {
    return encodeEc2CoseKey({ x: this.x, y: this.y, alg: COSE_ALG.ES256 });
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    return signEs256(this, message);
  }
}

/**
 * One ECDH object derives every public point: setting a new private key replaces the old
 * one, and constructing the object costs as much as the derivation itself.
 */
const DERIVER = createECDH('prime256v1');

/** Import a private scalar (RangeError unless 1 ≤ d < n); ECDH derives the public point. */
export async function importEs256(d: Uint8Array): Promise<Es256Key> {
  if (!isValidScalar(d)) throw new RangeError('d must be a valid P-256 private scalar');
  // Derive the public point with ECDH; the signing key is imported later, from a full JWK
  // (about 5x faster than importing PKCS#8, whose decoder derives the point once more).
  DERIVER.setPrivateKey(d);
  const point = DERIVER.getPublicKey(); // uncompressed: 0x04 || x || y
  return new LazyEs256Key(new Uint8Array(d), new Uint8Array(point.subarray(1, 33)), new Uint8Array(point.subarray(33, 65)));
}

/** A new key from `random` (rejection sampling: a draw outside 1..n-1 is drawn again). */
export async function generateEs256(random: RandomSource): Promise<Es256Key> {
  for (;;) {
    const d = random.bytes(32);
    if (isValidScalar(d)) return importEs256(d);
  }
}

/** ECDSA-SHA256 signature over `message`, DER-encoded as WebAuthn and U2F expect. */
export async function signEs256(key: Es256Key, message: Uint8Array): Promise<Uint8Array> {
  const raw = new Uint8Array(sign('sha256', message, { key: key.signingKey, dsaEncoding: 'ieee-p1363' }));
  // Normalize to low S (s ≤ n/2): both forms are valid ECDSA, but strict verifiers
  // (noble's default, Bitcoin-style rules) accept only the low one.
  let s = 0n;
  for (const b of raw.subarray(32)) s = (s << 8n) | BigInt(b);
  if (s > P256_N >> 1n) {
    let v = P256_N - s;
    for (let i = 63; i >= 32; i--) {
      raw[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return ecdsaDerSignature(raw);
}

/** ES256 (COSE -7): ECDSA on P-256 with SHA-256, the algorithm every FIDO2 key has. */
export const ES256: CredentialAlgorithm = {
  alg: COSE_ALG.ES256,
  name: 'ES256',
  generate: generateEs256,
  load: importEs256,
};
