/**
 * PIN/UV auth protocols One and Two (CTAP 2.1 §6.5.6, §6.5.7) as pure functions, the same
 * code for the platform (host) and the authenticator: P-256 ECDH key agreement, the KDF,
 * AES-256-CBC encrypt/decrypt and HMAC-SHA-256 authenticate/verify. Randomness (the
 * platform's ephemeral key, protocol Two's IV) is passed in, never drawn here.
 *
 * @example
 * ```ts
 * const p = pinUvAuthProtocol(2);
 * const { platformKey, sharedSecret } = p.encapsulate(authenticatorKey, randomBytes(32));
 * const pinHashEnc = p.encrypt(sharedSecret, pinHash16, randomBytes(16));
 * ```
 */
import { cbc } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { COSE_ALG, type Ec2PublicKey } from './cose.js';

export type PinUvAuthProtocolVersion = 1 | 2;

export interface PinUvAuthProtocol {
  readonly version: PinUvAuthProtocolVersion;
  /** §6.5.6/§6.5.7 kdf(Z): 32 bytes for One, 64 (HMAC key ‖ AES key) for Two. */
  kdf(z: Uint8Array): Uint8Array;
  /** ecdh(peer): kdf of the x-coordinate of d·peer. RangeError if the point is not on P-256. */
  ecdh(privateKey: Uint8Array, peer: { x: Uint8Array; y: Uint8Array }): Uint8Array;
  /**
   * The platform's half of key agreement (§6.5.5.4 "encapsulate"): from the authenticator's key
   * and a 32-byte random seed for the ephemeral scalar, the key to send and the shared secret.
   */
  encapsulate(peer: { x: Uint8Array; y: Uint8Array }, seed: Uint8Array): { platformKey: Ec2PublicKey; sharedSecret: Uint8Array };
  /** AES-256-CBC without padding; `iv` is ignored by One (zero IV) and required by Two (16 random bytes). */
  encrypt(key: Uint8Array, plaintext: Uint8Array, iv?: Uint8Array): Uint8Array;
  /** Inverse of encrypt; RangeError if the ciphertext has a wrong length. */
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** HMAC-SHA-256: first 16 bytes for One, all 32 for Two. */
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
  /** Constant-time check of `signature` against authenticate(key, message). */
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

const ZERO_IV = new Uint8Array(16);
const HKDF_SALT = new Uint8Array(32);
const utf8 = new TextEncoder();

function bytesArg(name: string, v: Uint8Array, len?: number): void {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (len !== undefined && v.length !== len) throw new RangeError(`${name} must be ${len} bytes, got ${v.length}`);
}

/** Constant-time byte equality. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** The P-256 public key of a scalar, as x and y. */
export function p256PublicKeyOf(privateKey: Uint8Array): { x: Uint8Array; y: Uint8Array } {
  const pub = p256.getPublicKey(privateKey, false);
  return { x: pub.slice(1, 33), y: pub.slice(33, 65) };
}

/** A valid P-256 scalar from 32 random bytes (rejection would need more randomness; reduce instead). */
export function p256ScalarFromSeed(seed: Uint8Array): Uint8Array {
  bytesArg('seed', seed, 32);
  const n = p256.Point.CURVE().n;
  let v = 0n;
  for (const b of seed) v = (v << 8n) | BigInt(b);
  v = (v % (n - 1n)) + 1n;
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function ecdhZ(privateKey: Uint8Array, peer: { x: Uint8Array; y: Uint8Array }): Uint8Array {
  bytesArg('peer.x', peer.x, 32);
  bytesArg('peer.y', peer.y, 32);
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(peer.x, 1);
  point.set(peer.y, 33);
  try {
    // §6.5.6 ecdh: "Z ... the x-coordinate of the shared point" (32 bytes).
    return p256.getSharedSecret(privateKey, point).slice(1, 33);
  } catch (e) {
    throw new RangeError('peer key is not a point on P-256', { cause: e });
  }
}

function makeProtocol(version: PinUvAuthProtocolVersion, kdf: (z: Uint8Array) => Uint8Array, rest: Pick<PinUvAuthProtocol, 'encrypt' | 'decrypt' | 'authenticate'>): PinUvAuthProtocol {
  const p: PinUvAuthProtocol = {
    version,
    kdf,
    ecdh: (d, peer) => {
      const z = ecdhZ(d, peer);
      const secret = kdf(z);
      z.fill(0);
      return secret;
    },
    encapsulate: (peer, seed) => {
      const d = p256ScalarFromSeed(seed);
      const pub = p256PublicKeyOf(d);
      const sharedSecret = p.ecdh(d, peer);
      d.fill(0);
      return { platformKey: { ...pub, alg: COSE_ALG.ECDH_ES_HKDF_256 }, sharedSecret };
    },
    ...rest,
    verify: (key, message, signature) => constantTimeEqual(rest.authenticate(key, message), signature),
  };
  return Object.freeze(p);
}

/** §6.5.6 PIN/UV auth protocol One. */
export const PIN_UV_AUTH_PROTOCOL_ONE: PinUvAuthProtocol = makeProtocol(1, (z) => sha256(z), {
  encrypt: (key, pt) => {
    bytesArg('key', key, 32);
    if (pt.length % 16 !== 0) throw new RangeError('plaintext must be a multiple of 16 bytes');
    return cbc(key, ZERO_IV, { disablePadding: true }).encrypt(pt);
  },
  decrypt: (key, ct) => {
    bytesArg('key', key, 32);
    if (ct.length % 16 !== 0) throw new RangeError('ciphertext must be a multiple of 16 bytes');
    return cbc(key, ZERO_IV, { disablePadding: true }).decrypt(ct);
  },
  // §6.5.6 authenticate: "the first 16 bytes of HMAC-SHA-256".
  authenticate: (key, message) => hmac(sha256, key, message).slice(0, 16),
});

/** §6.5.7 PIN/UV auth protocol Two. */
export const PIN_UV_AUTH_PROTOCOL_TWO: PinUvAuthProtocol = makeProtocol(
  2,
  (z) => {
    // §6.5.7 kdf: HKDF-SHA-256 with a 32-byte zero salt, two infos, concatenated.
    const out = new Uint8Array(64);
    out.set(hkdf(sha256, z, HKDF_SALT, utf8.encode('CTAP2 HMAC key'), 32));
    out.set(hkdf(sha256, z, HKDF_SALT, utf8.encode('CTAP2 AES key'), 32), 32);
    return out;
  },
  {
    encrypt: (key, pt, iv) => {
      bytesArg('key', key, 64);
      if (iv === undefined) throw new TypeError('iv is required by PIN/UV auth protocol Two');
      bytesArg('iv', iv, 16);
      if (pt.length % 16 !== 0) throw new RangeError('plaintext must be a multiple of 16 bytes');
      const ct = cbc(key.subarray(32, 64), iv, { disablePadding: true }).encrypt(pt);
      const out = new Uint8Array(16 + ct.length);
      out.set(iv);
      out.set(ct, 16);
      return out;
    },
    decrypt: (key, ct) => {
      bytesArg('key', key, 64);
      if (ct.length < 16 || ct.length % 16 !== 0) throw new RangeError('ciphertext must be IV plus a multiple of 16 bytes');
      return cbc(key.subarray(32, 64), ct.subarray(0, 16), { disablePadding: true }).decrypt(ct.subarray(16));
    },
    // §6.5.7 authenticate: "If key is longer than 32 bytes, use only the first 32 bytes."
    authenticate: (key, message) => hmac(sha256, key.subarray(0, 32), message),
  },
);

/** The protocol with `version`; RangeError for any other number. */
export function pinUvAuthProtocol(version: number): PinUvAuthProtocol {
  if (version === 1) return PIN_UV_AUTH_PROTOCOL_ONE;
  if (version === 2) return PIN_UV_AUTH_PROTOCOL_TWO;
  throw new RangeError(`PIN/UV auth protocol must be 1 or 2, got ${version}`);
}
