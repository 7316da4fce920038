/**
 * A second, separately written PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7):
 * ECDH on P-256, the KDF, AES-256-CBC and HMAC-SHA-256. Test code only.
 *
 * The authenticator and the host both use the shared src/protocol/pin-uv-auth-protocol.ts.
 * This version is an independent reference the tests play the other side of the wire
 * with (test/fido-device/authenticator.test.ts, test/fido-host/protocol.test.ts), so a bug in
 * the shared module cannot hide by being on both sides of the wire.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  /** Shared secret from the ECDH x-coordinate Z. */
  kdf(z: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, plaintext: Uint8Array, iv: Uint8Array): Uint8Array;
  /** Undefined when the ciphertext has a wrong length. */
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

const ZERO_IV = new Uint8Array(16);
const enc = new TextEncoder();

export const PIN_PROTOCOL_ONE: PinUvAuthProtocol = {
  version: 1,
  kdf: (z) => sha256(z),
  encrypt: (key, pt) => cbc(key, ZERO_IV, { disablePadding: true }).encrypt(pt),
  decrypt: (key, ct) => (ct.length === 0 || ct.length % 16 !== 0 ? undefined : cbc(key, ZERO_IV, { disablePadding: true }).decrypt(ct)),
  authenticate: (key, message) => hmac(sha256, key, message).subarray(0, 16),
};

export const PIN_PROTOCOL_TWO: PinUvAuthProtocol = {
  version: 2,
  kdf: (z) => {
    const salt = new Uint8Array(32);
    const out = new Uint8Array(64);
    out.set(hkdf(sha256, z, salt, enc.encode('CTAP2 HMAC key'), 32));
    out.set(hkdf(sha256, z, salt, enc.encode('CTAP2 AES key'), 32), 32);
    return out;
  },
  encrypt: (key, pt, iv) => {
    const ct = cbc(key.subarray(32, 64), iv, { disablePadding: true }).encrypt(pt);
    const out = new Uint8Array(16 + ct.length);
    out.set(iv);
    out.set(ct, 16);
    return out;
  },
  decrypt: (key, ct) => {
    if (ct.length < 32 || ct.length % 16 !== 0) return undefined;
    return cbc(key.subarray(32, 64), ct.subarray(0, 16), { disablePadding: true }).decrypt(ct.subarray(16));
  },
  // §6.5.7: "If key is longer than 32 bytes, use only the first 32 bytes."
  authenticate: (key, message) => hmac(sha256, key.subarray(0, 32), message),
};

export function pinProtocol(version: number): PinUvAuthProtocol | undefined {
  return version === 1 ? PIN_PROTOCOL_ONE : version === 2 ? PIN_PROTOCOL_TWO : undefined;
}

/** ECDH x-coordinate of our scalar with the platform's point; undefined if the point is invalid. */
export function ecdhX(privateKey: Uint8Array, peer: { x: Uint8Array; y: Uint8Array }): Uint8Array | undefined {
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(peer.x, 1);
  point.set(peer.y, 33);
  try {
    return p256.getSharedSecret(privateKey, point).subarray(1);
  } catch {
    return undefined;
  }
}

export function p256PublicKey(privateKey: Uint8Array): { x: Uint8Array; y: Uint8Array } {
  const pub = p256.getPublicKey(privateKey, false);
  return { x: pub.slice(1, 33), y: pub.slice(33, 65) };
}

/** Constant-time equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
