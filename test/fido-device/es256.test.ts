/**
 * ES256 key import: the point derived from a scalar matches what node:crypto generated, and
 * signatures made with the imported key verify (low S, DER) under that public key.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importEs256, isValidScalar, signEs256 } from '../../firmware-sim/fido/algorithms/es256.js';

describe('importEs256', () => {
  it('derives the public point node:crypto generated and signs verifiably', async () => {
    for (let i = 0; i < 8; i++) {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      const d = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
      const key = await importEs256(d);
      expect(Buffer.from(key.x).toString('base64url')).toBe(jwk.x);
      expect(Buffer.from(key.y).toString('base64url')).toBe(jwk.y);
      expect(key.d).toEqual(d);
      const message = Uint8Array.of(1, 2, 3, i);
      const sig = await signEs256(key, message);
      const pub = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }, format: 'jwk' });
      expect(verify('sha256', message, pub, sig)).toBe(true);
    }
  });

  it('rejects a scalar outside 1..n-1 with RangeError', async () => {
    expect(isValidScalar(new Uint8Array(32))).toBe(false);
    // n and its neighbours (SEC 2 §2.4.2), compared against BigInt arithmetic.
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const bytes = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
    for (const [v, ok] of [[1n, true], [n - 1n, true], [n, false], [n + 1n, false], [n - 0x100n, true], [n + 0x100n, false], [(1n << 256n) - 1n, false]] as const) {
      expect(isValidScalar(bytes(v)), v.toString(16)).toBe(ok);
    }
    expect(isValidScalar(new Uint8Array(31).fill(1))).toBe(false);
    await expect(importEs256(new Uint8Array(32))).rejects.toThrow(RangeError);
    await expect(importEs256(new Uint8Array(32).fill(0xff))).rejects.toThrow(RangeError);
  });
});
