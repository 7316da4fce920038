/**
 * COSE keys of every key type and the signatures made with them, against published vectors
 * (test/vectors/cose-keys.json names each source): RFC 8152's example keys and RFC 6979's
 * deterministic ECDSA on P-256/P-384/P-521, RFC 8032's Ed25519 tests, RFC 7520's RSA key and
 * RS256 signature. The COSE maps follow RFC 9053 §7 and RFC 8230 §4 label by label; the SPKI
 * imports into OpenSSL as the same key; the host's verifier accepts each vector's signature
 * and refuses it with one bit changed.
 */
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyCredentialSignature } from '../../src/ctap/credential-signature.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { COSE_ALG, COSE_CRV, type CosePublicKey, decodeCoseKey, decodeEc2CoseKey, encodeCoseKey } from '../../src/protocol/cose.js';
import { ecdsaDerSignature } from '../../src/protocol/der.js';
import { coseKeyToSpki } from '../../src/protocol/spki.js';
import { COSE_VECTORS } from '../support/cose-vectors.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const b64u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));
const JWK_CRV: Record<number, string> = { [COSE_CRV.P256]: 'P-256', [COSE_CRV.P384]: 'P-384', [COSE_CRV.P521]: 'P-521' };

function flipped(b: Uint8Array, at = b.length >> 1): Uint8Array {
  const out = b.slice();
  out[at]! ^= 0x01;
  return out;
}

describe('COSE EC2 keys (RFC 9053 §7.1.1) from RFC 8152 and RFC 6979 keys', () => {
  for (const v of [...COSE_VECTORS.ec2, ...COSE_VECTORS.ecdsa]) {
    it(`${v.source}: labels, round trip, SPKI`, () => {
      const key: CosePublicKey = { kty: 'EC2', alg: v.alg, crv: v.crv, x: hex(v.x), y: hex(v.y) };
      const map = encodeCoseKey(key);
      expect([...map.entries()]).toEqual([[1, 2], [3, v.alg], [-1, v.crv], [-2, hex(v.x)], [-3, hex(v.y)]]);
      const bytes = encodeCbor(map);
      expect(decodeCoseKey(decodeCbor(bytes))).toEqual(key);
      const spki = createPublicKey({ key: Buffer.from(coseKeyToSpki(key)), format: 'der', type: 'spki' }).export({ format: 'jwk' });
      expect(spki).toEqual({ kty: 'EC', crv: JWK_CRV[v.crv], x: Buffer.from(hex(v.x)).toString('base64url'), y: Buffer.from(hex(v.y)).toString('base64url') });
    });
  }

  for (const v of COSE_VECTORS.ecdsa) {
    it(`${v.source}: the signature verifies, one bit off does not`, () => {
      const key: CosePublicKey = { kty: 'EC2', alg: v.alg, crv: v.crv, x: hex(v.x), y: hex(v.y) };
      const signature = ecdsaDerSignature(new Uint8Array([...hex(v.r), ...hex(v.s)]));
      const message = new TextEncoder().encode(v.message);
      expect(verifyCredentialSignature(key, message, signature)).toBe(true);
      expect(verifyCredentialSignature(key, flipped(message, 0), signature)).toBe(false);
      expect(verifyCredentialSignature(key, message, flipped(signature))).toBe(false);
      // Under another algorithm's digest it does not verify.
      expect(verifyCredentialSignature({ ...key, alg: v.alg === COSE_ALG.ES256 ? COSE_ALG.ES384 : COSE_ALG.ES256 }, message, signature)).toBe(false);
    });
  }
});

describe('COSE OKP keys (RFC 9053 §7.2) and EdDSA signatures (RFC 8032)', () => {
  for (const v of COSE_VECTORS.ed25519) {
    it(`${v.source}`, () => {
      const key: CosePublicKey = { kty: 'OKP', alg: COSE_ALG.EdDSA, crv: COSE_CRV.Ed25519, x: hex(v.public) };
      const map = encodeCoseKey(key);
      expect([...map.entries()]).toEqual([[1, 1], [3, -8], [-1, 6], [-2, hex(v.public)]]);
      expect(decodeCoseKey(decodeCbor(encodeCbor(map)))).toEqual(key);
      expect(createPublicKey({ key: Buffer.from(coseKeyToSpki(key)), format: 'der', type: 'spki' }).export({ format: 'jwk' })).toEqual({ kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex(v.public)).toString('base64url') });
      expect(verifyCredentialSignature(key, hex(v.message), hex(v.signature))).toBe(true);
      expect(verifyCredentialSignature(key, hex(v.message), flipped(hex(v.signature)))).toBe(false);
    });
  }
});

describe('COSE RSA keys (RFC 8230 §4) and RS256 (RFC 7520 §4.1)', () => {
  for (const v of COSE_VECTORS.rsa) {
    it(`${v.source}`, () => {
      const n = b64u(v.n_b64url);
      const key: CosePublicKey = { kty: 'RSA', alg: v.alg, n, e: b64u(v.e_b64url) };
      const map = encodeCoseKey(key);
      expect([...map.entries()]).toEqual([[1, 3], [3, -257], [-1, n], [-2, Uint8Array.of(1, 0, 1)]]);
      expect(decodeCoseKey(decodeCbor(encodeCbor(map)))).toEqual(key);
      // n and e are unsigned integers without leading zero bytes (RFC 8230 §4).
      expect(encodeCoseKey({ ...key, n: new Uint8Array([0, 0, ...n]) }).get(-1)).toEqual(n);
      expect(createPublicKey({ key: Buffer.from(coseKeyToSpki(key)), format: 'der', type: 'spki' }).export({ format: 'jwk' })).toEqual({ kty: 'RSA', n: v.n_b64url, e: v.e_b64url });
      const message = new TextEncoder().encode(v.message_ascii);
      expect(verifyCredentialSignature(key, message, b64u(v.signature_b64url))).toBe(true);
      expect(verifyCredentialSignature(key, message, flipped(b64u(v.signature_b64url)))).toBe(false);
      // The same bytes are no PS256 signature.
      expect(verifyCredentialSignature({ ...key, alg: COSE_ALG.PS256 }, message, b64u(v.signature_b64url))).toBe(false);
    });
  }
});

describe('decodeCoseKey refuses what is not a key of its algorithm', () => {
  const p256 = encodeCoseKey({ kty: 'EC2', alg: -7, crv: 1, x: new Uint8Array(32).fill(1), y: new Uint8Array(32).fill(2) });
  const cases: [string, Map<number, unknown>, RegExp][] = [
    ['unknown kty', new Map([...p256]).set(1, 4), /kty 4/],
    ['unknown curve', new Map([...p256]).set(-1, 9), /crv 9/],
    ['a short x', new Map([...p256]).set(-2, new Uint8Array(31)), /x must be 32 bytes/],
    ['y missing', new Map([...p256].filter(([k]) => k !== -3)), /y must be a byte string/],
    ['an OKP curve on EC2', new Map([...p256]).set(-1, 6), /crv 6 is not a curve of kty EC2/],
    ['ES256 on P-384', new Map([...p256]).set(-1, 2).set(-2, new Uint8Array(48)).set(-3, new Uint8Array(48)), /does not fit alg ES256/],
    ['EdDSA on an EC2 key', new Map([...p256]).set(3, -8), /does not fit alg EdDSA/],
    ['alg missing', new Map([...p256].filter(([k]) => k !== 3)), /alg is missing/],
    ['not a map', [] as unknown as Map<number, unknown>, /must be a CBOR map/],
  ];
  for (const [what, map, message] of cases) {
    it(what, () => expect(() => decodeCoseKey(map as never)).toThrow(message));
  }
  it('the P-256-only reader keeps refusing other curves (clientPIN key agreement)', () => {
    const p384 = encodeCoseKey({ kty: 'EC2', alg: -25, crv: 2, x: new Uint8Array(48), y: new Uint8Array(48) });
    expect(() => decodeEc2CoseKey(p384)).toThrow(/P-256/);
  });
});
