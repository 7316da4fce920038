/**
 * ECDSA credential keys on a named curve (FIPS 186-5 §6; COSE ES256/ES384/ES512 in RFC 9053
 * §2.1, ES256K in RFC 8812 §3.2), on the platform's native crypto (OpenSSL through
 * node:crypto): P-256 signs in well under 100 µs where a pure-JS signer takes about 2 ms
 * (DESIGN.md "Dependencies", measured in docs/fido-simulator.md). Each algorithm module
 * (es256.ts, es384.ts, es512.ts, es256k.ts) is one curve description handed to
 * `ecdsaAlgorithm`.
 *
 * Private scalars always come from the injected random source (a seeded source makes every
 * key reproducible); OpenSSL's ECDH derives the public point, and the OpenSSL key object that
 * signs is imported only when something signs with the key. Signatures are DER
 * (WebAuthn §6.5.6 "ECDSA signatures ... ASN.1 DER Ecdsa-Sig-Value") with a low S.
 */
import { type ECDH, type KeyObject, createECDH, createPrivateKey, sign } from 'node:crypto';
import type { CborValue } from '../../../src/protocol/cbor.js';
import { encodeCoseKey } from '../../../src/protocol/cose.js';
import { ecdsaDerSignature } from '../../../src/protocol/der.js';
import type { RandomSource } from '../../env/index.js';
import type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

/** One curve and the digest its COSE algorithm signs with. */
export interface EcdsaCurve {
  /** COSE algorithm identifier. */
  readonly alg: number;
  /** The registry's name ('ES384'). */
  readonly name: string;
  /** COSE curve (COSE_CRV). */
  readonly crv: number;
  /** OpenSSL's curve name ('secp384r1'). */
  readonly opensslCurve: string;
  /** The JWK `crv` node:crypto imports ('P-384'). */
  readonly jwkCrv: string;
  /** The digest node:crypto signs with ('sha384'). */
  readonly hash: string;
  /** The order n of the group, big-endian, `size` bytes. */
  readonly order: Uint8Array;
}

/** An ECDSA key pair ready to sign. */
export interface EcdsaKey extends CredentialKey {
  /** The private scalar, `size` bytes big-endian (kept only where it must persist, encrypted). */
  readonly d: Uint8Array;
  /** The public point, x and y, `size` bytes each. */
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  /** The OpenSSL key object, imported on first use. */
  readonly signingKey: KeyObject;
}

const b64 = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.length).toString('base64url');

/** True when `d` is a valid private scalar for a group of order `order` (1 ≤ d < n, same length). */
export function isValidScalarFor(order: Uint8Array, d: Uint8Array): boolean {
  if (d.length !== order.length) return false;
  let any = 0;
  for (const b of d) any |= b;
  if (any === 0) return false;
  // Big-endian: the first byte that differs from n's decides whether d < n.
  for (let i = 0; i < d.length; i++) if (d[i] !== order[i]) return d[i]! < order[i]!;
  return false; // d = n
}

/** Bytes from a hex literal (curve constants). */
export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * A key whose OpenSSL object is made only when something signs with it: a new credential's
 * key never signs under batch attestation, and the JWK import is the most expensive step of
 * a makeCredential (≈130 µs on P-256, more than the signature).
 */
class LazyEcdsaKey implements EcdsaKey {
  readonly #curve: EcdsaCurve;
  readonly d: Uint8Array;
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  #signingKey: KeyObject | undefined;

  constructor(curve: EcdsaCurve, d: Uint8Array, x: Uint8Array, y: Uint8Array) {
    this.#curve = curve;
    this.d = d;
    this.x = x;
    this.y = y;
  }

  get alg(): number {
    return this.#curve.alg;
  }

  get signingKey(): KeyObject {
    this.#signingKey ??= createPrivateKey({ key: { kty: 'EC', crv: this.#curve.jwkCrv, d: b64(this.d), x: b64(this.x), y: b64(this.y) }, format: 'jwk' });
    return this.#signingKey;
  }

  get privateKey(): Uint8Array {
    return this.d;
  }

  publicKey(): Map<number, CborValue> {
    return encodeCoseKey({ kty: 'EC2', alg: this.#curve.alg, crv: this.#curve.crv, x: this.x, y: this.y });
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(signEcdsa(this.#curve, this, message));
  }
}

/** Low S (s ≤ n/2): both forms are valid ECDSA, but strict verifiers (noble's default, Bitcoin rules for secp256k1) accept only the low one. */
function normalizeLowS(order: Uint8Array, raw: Uint8Array): void {
  const size = order.length;
  let n = 0n;
  let s = 0n;
  for (const b of order) n = (n << 8n) | BigInt(b);
  for (const b of raw.subarray(size)) s = (s << 8n) | BigInt(b);
  if (s <= n >> 1n) return;
  let v = n - s;
  for (let i = 2 * size - 1; i >= size; i--) {
    raw[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** The ECDSA signature over `message`, DER-encoded as WebAuthn and U2F expect. */
export function signEcdsa(curve: EcdsaCurve, key: EcdsaKey, message: Uint8Array): Uint8Array {
  const raw = new Uint8Array(sign(curve.hash, message, { key: key.signingKey, dsaEncoding: 'ieee-p1363' }));
  normalizeLowS(curve.order, raw);
  return ecdsaDerSignature(raw);
}

/** An ECDSA CredentialAlgorithm whose keys expose their scalar and point. */
export interface EcdsaAlgorithm extends CredentialAlgorithm {
  generate(random: RandomSource): Promise<EcdsaKey>;
  load(privateKey: Uint8Array): Promise<EcdsaKey>;
}

/** The key algorithm of one curve. */
export function ecdsaAlgorithm(curve: EcdsaCurve): EcdsaAlgorithm {
  const size = curve.order.length;
  /** Bits of the order's top byte: a draw is masked to them, so P-521's 66 bytes are not rejected 99% of the time. */
  const topMask = (1 << (32 - Math.clz32(curve.order[0]!))) - 1;
  /** One ECDH object derives every public point: setting a new private key replaces the old one, and constructing it costs as much as a derivation. */
  let deriver: ECDH | undefined;
  const load = (d: Uint8Array): Promise<EcdsaKey> => {
    if (!isValidScalarFor(curve.order, d)) return Promise.reject(new RangeError(`d must be a valid ${curve.jwkCrv} private scalar`));
    deriver ??= createECDH(curve.opensslCurve);
    deriver.setPrivateKey(d);
    const point = deriver.getPublicKey(); // uncompressed: 0x04 || x || y
    return Promise.resolve(new LazyEcdsaKey(curve, new Uint8Array(d), new Uint8Array(point.subarray(1, 1 + size)), new Uint8Array(point.subarray(1 + size))));
  };
  return {
    alg: curve.alg,
    name: curve.name,
    load,
    /** A new key from `random` (rejection sampling: a draw outside 1..n-1 is drawn again). */
    async generate(random: RandomSource): Promise<EcdsaKey> {
      for (;;) {
        const d = random.bytes(size);
        d[0] = d[0]! & topMask;
        if (isValidScalarFor(curve.order, d)) return load(d);
      }
    },
  };
}
