/**
 * The credential algorithms of the simulated authenticator, module by module, against
 * published keys and independent implementations: ECDSA public points from RFC 6979 and
 * RFC 8152 private keys, Ed25519 keys and (deterministic) signatures of RFC 8032, secp256k1
 * checked by @noble/curves, RSA keys derived reproducibly from their seed and checked by
 * OpenSSL; every signature verifies under the COSE key the module reports.
 */
import { createPublicKey, verify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../firmware-sim/env/index.js';
import { EDDSA } from '../../firmware-sim/fido/algorithms/eddsa.js';
import { ES256 } from '../../firmware-sim/fido/algorithms/es256.js';
import { ES256K } from '../../firmware-sim/fido/algorithms/es256k.js';
import { ES384 } from '../../firmware-sim/fido/algorithms/es384.js';
import { ES512 } from '../../firmware-sim/fido/algorithms/es512.js';
import { ALGORITHMS, type CredentialAlgorithm } from '../../firmware-sim/fido/algorithms/index.js';
import { PS256 } from '../../firmware-sim/fido/algorithms/ps256.js';
import { RS256 } from '../../firmware-sim/fido/algorithms/rs256.js';
import { verifyCredentialSignature } from '../../src/ctap/credential-signature.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { decodeCoseKey, encodeCoseKey } from '../../src/protocol/cose.js';
import { coseKeyToSpki } from '../../src/protocol/spki.js';
import { COSE_VECTORS } from '../support/cose-vectors.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const ECDSA_BY_ALG: Record<number, CredentialAlgorithm> = { [-7]: ES256, [-35]: ES384, [-36]: ES512 };

/** The key's COSE map, decoded, after a CBOR round trip (what a relying party sees). */
async function coseOf(algorithm: CredentialAlgorithm, privateKey: Uint8Array) {
  const key = await algorithm.load(privateKey);
  return { key, cose: decodeCoseKey(decodeCbor(encodeCbor(key.publicKey()))) };
}

describe('the algorithm registry', () => {
  it('has ES256, EdDSA, ES384, ES512, PS256, ES256K and RS256, each under its COSE identifier', () => {
    expect([...ALGORITHMS].map(([alg, a]) => [alg, a.name])).toEqual([
      [-7, 'ES256'],
      [-8, 'EdDSA'],
      [-35, 'ES384'],
      [-36, 'ES512'],
      [-37, 'PS256'],
      [-47, 'ES256K'],
      [-257, 'RS256'],
    ]);
  });

  it('a seeded random source makes the same keys again, and every key signs verifiably', async () => {
    for (const algorithm of ALGORITHMS.values()) {
      const a = await algorithm.generate(new SeededRandom(`alg ${algorithm.name}`));
      const b = await algorithm.generate(new SeededRandom(`alg ${algorithm.name}`));
      expect(a.privateKey).toEqual(b.privateKey);
      expect(encodeCbor(a.publicKey())).toEqual(encodeCbor(b.publicKey()));
      const message = new TextEncoder().encode(`authData ‖ clientDataHash for ${algorithm.name}`);
      const sig = await a.sign(message);
      const cose = decodeCoseKey(decodeCbor(encodeCbor(a.publicKey())));
      expect(cose.alg).toBe(algorithm.alg);
      expect(verifyCredentialSignature(cose, message, sig), algorithm.name).toBe(true);
      // The same key loaded again from what the credential ID seals.
      const again = await algorithm.load(a.privateKey);
      expect(verifyCredentialSignature(cose, message, await again.sign(message)), `${algorithm.name} reloaded`).toBe(true);
    }
  }, 30_000);

  it('refuses private keys that are not keys of the algorithm with RangeError', async () => {
    await expect(ES384.load(new Uint8Array(48))).rejects.toThrow(RangeError);
    await expect(ES512.load(new Uint8Array(66).fill(0xff))).rejects.toThrow(RangeError);
    await expect(ES256K.load(new Uint8Array(31).fill(1))).rejects.toThrow(RangeError);
    await expect(EDDSA.load(new Uint8Array(31))).rejects.toThrow(RangeError);
    await expect(RS256.load(new Uint8Array(16))).rejects.toThrow(RangeError);
  });
});

describe('ECDSA: ES256, ES384, ES512 (RFC 9053 §2.1)', () => {
  for (const v of [...COSE_VECTORS.ec2, ...COSE_VECTORS.ecdsa]) {
    it(`${v.source}: the private key gives the published point`, async () => {
      const { key, cose } = await coseOf(ECDSA_BY_ALG[v.alg]!, hex(v.d));
      expect(cose).toEqual({ kty: 'EC2', alg: v.alg, crv: v.crv, x: hex(v.x), y: hex(v.y) });
      expect(key.privateKey).toEqual(hex(v.d));
    });
  }

  it('signatures have a low S, as strict verifiers require', async () => {
    for (const algorithm of [ES256, ES384, ES512]) {
      const key = await algorithm.generate(new SeededRandom(`low-s ${algorithm.name}`));
      const spki = createPublicKey({ key: Buffer.from(coseKeyToSpki(decodeCoseKey(key.publicKey()))), format: 'der', type: 'spki' });
      for (let i = 0; i < 16; i++) {
        const message = Uint8Array.of(i);
        const raw = verifyLowS(await key.sign(message));
        expect(raw.high, `${algorithm.name} #${i}`).toBe(false);
        expect(verify(algorithm === ES256 ? 'sha256' : algorithm === ES384 ? 'sha384' : 'sha512', message, spki, await key.sign(message))).toBe(true);
      }
    }
  });
});

/** Whether S of a DER ECDSA signature is above n/2 (n taken from the curve size). */
function verifyLowS(der: Uint8Array): { high: boolean } {
  // SEQUENCE (length in short or long form) { INTEGER r, INTEGER s }
  let at = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  at += 2 + der[at + 1]!; // skip r
  const s = der.subarray(at + 2, at + 2 + der[at + 1]!);
  const orders: bigint[] = [
    0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  ];
  const n = orders[s.length > 49 ? 2 : s.length > 33 ? 1 : 0]!;
  return { high: BigInt(`0x${Buffer.from(s).toString('hex')}`) > n >> 1n };
}

describe('ES256K (RFC 8812 §3.2)', () => {
  it('public points and signatures agree with @noble/curves secp256k1 (strict low-S verification)', async () => {
    for (let i = 0; i < 8; i++) {
      const key = await ES256K.generate(new SeededRandom(`k1 ${i}`));
      const cose = decodeCoseKey(key.publicKey());
      expect(cose).toMatchObject({ kty: 'EC2', alg: -47, crv: 8 });
      if (cose.kty !== 'EC2') throw new Error('not EC2');
      expect(new Uint8Array([4, ...cose.x, ...cose.y])).toEqual(secp256k1.getPublicKey(key.privateKey, false));
      const message = Uint8Array.of(1, 2, 3, i);
      const sig = await key.sign(message);
      expect(secp256k1.verify(sig, sha256(message), secp256k1.getPublicKey(key.privateKey), { format: 'der', prehash: false })).toBe(true);
    }
  });
});

describe('EdDSA (RFC 8032, RFC 9053 §2.2)', () => {
  for (const v of COSE_VECTORS.ed25519) {
    it(`${v.source}: public key and signature are the published ones`, async () => {
      const { key, cose } = await coseOf(EDDSA, hex(v.secret));
      expect(cose).toEqual({ kty: 'OKP', alg: -8, crv: 6, x: hex(v.public) });
      expect(await key.sign(hex(v.message))).toEqual(hex(v.signature));
      expect(encodeCbor(key.publicKey())).toEqual(encodeCbor(encodeCoseKey(cose)));
    });
  }
});

describe('RS256 and PS256 (RFC 8230): 2048-bit keys derived from the sealed seed', () => {
  it('the same seed gives the same key; another seed another; n has 2048 bits and e is 65537', async () => {
    const seed = new Uint8Array(32).fill(7);
    const a = decodeCoseKey((await RS256.load(seed)).publicKey());
    const b = decodeCoseKey((await PS256.load(seed)).publicKey());
    const c = decodeCoseKey((await RS256.load(new Uint8Array(32).fill(8))).publicKey());
    if (a.kty !== 'RSA' || b.kty !== 'RSA' || c.kty !== 'RSA') throw new Error('not RSA');
    expect(a.n).toEqual(b.n);
    expect(a.n).not.toEqual(c.n);
    expect(a.n.length).toBe(256);
    expect(a.n[0]! & 0x80).toBe(0x80);
    expect(a.e).toEqual(Uint8Array.of(1, 0, 1));
    expect([a.alg, b.alg]).toEqual([-257, -37]);
  }, 20_000);

  it('RS256 signs deterministically (PKCS#1 v1.5), PS256 with a fresh salt, and OpenSSL verifies both with the scheme RFC 8230 names', async () => {
    const seed = new Uint8Array(32).fill(9);
    const rs = await RS256.load(seed);
    const ps = await PS256.load(seed);
    const message = new TextEncoder().encode('sign me');
    const spki = createPublicKey({ key: Buffer.from(coseKeyToSpki(decodeCoseKey(rs.publicKey()))), format: 'der', type: 'spki' });
    const rsSig = await rs.sign(message);
    expect(await rs.sign(message)).toEqual(rsSig);
    expect(verify('sha256', message, { key: spki, padding: 1 /* RSA_PKCS1_PADDING */ }, rsSig)).toBe(true);
    const psSig = await ps.sign(message);
    expect(await ps.sign(message)).not.toEqual(psSig);
    expect(verify('sha256', message, { key: spki, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, psSig)).toBe(true);
    expect(verify('sha256', message, { key: spki, padding: 1 }, psSig)).toBe(false);
  }, 20_000);
});
