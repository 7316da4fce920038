/**
 * RSA credential keys (RFC 8230: RS256 is RSASSA-PKCS1-v1_5 with SHA-256, PS256 RSASSA-PSS
 * with SHA-256, MGF1-SHA-256 and a 32-byte salt; keys of 2048 bits, §2 and §6.1) for rs256.ts
 * and ps256.ts.
 *
 * An RSA private key is far too large to seal into a credential ID, so the ID seals a 32-byte
 * seed and the key is derived from it (the layout docs/fido-simulator.md describes for large
 * keys): an HMAC-SHA-256 counter-mode stream from the seed gives the starting points of two
 * 1024-bit prime searches (the top two bits set, so n has exactly 2048 bits); each search
 * steps by 2 past candidates a small-prime sieve rules out, and OpenSSL's primality test
 * (node:crypto checkPrimeSync) decides the rest. The same seed always gives the same key;
 * a new key takes some tens of milliseconds, and the device caches loaded keys.
 */
import { type KeyObject, checkPrimeSync, constants, createHmac, createPrivateKey, sign } from 'node:crypto';
import type { CborValue } from '../../../src/protocol/cbor.js';
import { encodeCoseKey } from '../../../src/protocol/cose.js';
import type { RandomSource } from '../../env/index.js';
import type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

const SEED_LENGTH = 32;
const PRIME_BITS = 1024;
const E = 65537n;

/** Odd primes below 2000, for the sieve. */
const SMALL_PRIMES: readonly number[] = (() => {
  const out: number[] = [];
  for (let n = 3; n < 2000; n += 2) if (out.every((p) => p * p > n || n % p !== 0)) out.push(n);
  return out;
})();

function toBigInt(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
}

function toBytes(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const b64 = (v: bigint): string => Buffer.from(toBytes(v)).toString('base64url');

/** `length` bytes of HMAC-SHA-256(seed, label ‖ counter) blocks. */
function stream(seed: Uint8Array, label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, off = 0; off < length; counter++, off += 32) {
    const block = createHmac('sha256', seed).update(`tokenrig rsa ${label} ${counter}`).digest();
    out.set(block.subarray(0, Math.min(32, length - off)), off);
  }
  return out;
}

/** The first prime p ≥ start (start odd) with gcd(p − 1, e) = 1, stepping by 2 past sieved candidates. */
function nextPrime(start: bigint): bigint {
  const residues = SMALL_PRIMES.map((p) => Number(start % BigInt(p)));
  for (let step = 0; ; step += 2) {
    let sieved = false;
    for (let i = 0; i < SMALL_PRIMES.length; i++) {
      if ((residues[i]! + step) % SMALL_PRIMES[i]! === 0) {
        sieved = true;
        break;
      }
    }
    if (sieved) continue;
    const candidate = start + BigInt(step);
    if ((candidate - 1n) % E === 0n) continue; // e must be invertible mod p − 1
    if (checkPrimeSync(candidate)) return candidate;
  }
}

function primeFrom(seed: Uint8Array, label: string): bigint {
  const bytes = stream(seed, label, PRIME_BITS / 8);
  bytes[0] = bytes[0]! | 0xc0; // the top two bits: p·q then has all 2048 bits
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! | 1;
  return nextPrime(toBigInt(bytes));
}

/** x⁻¹ mod m (extended Euclid); m and x coprime. */
function modInverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [((x % m) + m) % m, m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [u, v] = [v, u - q * v];
  }
  return ((u % m) + m) % m;
}

/** The RSA private key a 32-byte seed stands for. */
export function deriveRsaKey(seed: Uint8Array): { key: KeyObject; n: bigint; e: bigint } {
  const p = primeFrom(seed, 'p');
  let q = primeFrom(seed, 'q');
  for (let i = 2; q === p; i++) q = primeFrom(seed, `q${i}`); // astronomically unlikely; still never p = q
  const n = p * q;
  const d = modInverse(E, (p - 1n) * (q - 1n));
  const jwk = { kty: 'RSA', n: b64(n), e: b64(E), d: b64(d), p: b64(p), q: b64(q), dp: b64(d % (p - 1n)), dq: b64(d % (q - 1n)), qi: b64(modInverse(q, p)) };
  return { key: createPrivateKey({ key: jwk, format: 'jwk' }), n, e: E };
}

/** What distinguishes RS256 from PS256: the COSE identifier and the padding. */
export interface RsaScheme {
  readonly alg: number;
  readonly name: string;
  readonly padding: 'pkcs1' | 'pss';
}

class RsaKey implements CredentialKey {
  readonly #scheme: RsaScheme;
  readonly privateKey: Uint8Array;
  readonly #key: KeyObject;
  readonly n: Uint8Array;
  readonly e: Uint8Array;

  constructor(scheme: RsaScheme, seed: Uint8Array) {
    this.#scheme = scheme;
    this.privateKey = new Uint8Array(seed);
    const derived = deriveRsaKey(seed);
    this.#key = derived.key;
    this.n = toBytes(derived.n);
    this.e = toBytes(derived.e);
  }

  get alg(): number {
    return this.#scheme.alg;
  }

  publicKey(): Map<number, CborValue> {
    return encodeCoseKey({ kty: 'RSA', alg: this.#scheme.alg, n: this.n, e: this.e });
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    const options =
      this.#scheme.padding === 'pss'
        ? { key: this.#key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } // RFC 8230 §2: salt = hash length
        : { key: this.#key, padding: constants.RSA_PKCS1_PADDING };
    return Promise.resolve(new Uint8Array(sign('sha256', message, options)));
  }
}

/** The CredentialAlgorithm of an RSA scheme: keys sealed as 32-byte seeds. */
export function rsaAlgorithm(scheme: RsaScheme): CredentialAlgorithm {
  const load = (seed: Uint8Array): Promise<CredentialKey> => {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) return Promise.reject(new RangeError(`an ${scheme.name} credential key is a 32-byte seed`));
    return Promise.resolve(new RsaKey(scheme, seed));
  };
  return { alg: scheme.alg, name: scheme.name, load, generate: (random: RandomSource) => load(random.bytes(SEED_LENGTH)) };
}
