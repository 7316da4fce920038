/**
 * HOTP, RFC 4226: HMAC over an 8-byte big-endian counter, dynamically truncated (§5.3) to a
 * 6–10 digit decimal code. `OtpKey` prepares what depends only on the key (the HMAC inner and
 * outer pad states), so each further code costs two hash compressions.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { type HashAlgorithm, checkDigits } from './algorithm.js';
import { SHA1_IV, sha1Compress } from './sha1-block.js';

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10] as const;
const MAX_COUNTER = (1n << 64n) - 1n;

/** A counter as RFC 4226 allows it: an unsigned 64-bit integer. */
export type Counter = number | bigint;

function counterWords(counter: Counter): [number, number] {
  if (typeof counter === 'number') {
    if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`counter must be a non-negative integer, got ${counter}`);
    return [Math.floor(counter / 0x1_0000_0000) >>> 0, counter >>> 0];
  }
  if (typeof counter !== 'bigint') throw new TypeError('counter must be a number or bigint');
  if (counter < 0n || counter > MAX_COUNTER) throw new RangeError('counter must fit in 64 unsigned bits');
  return [Number(counter >> 32n), Number(counter & 0xffffffffn)];
}

/**
 * A key prepared for fast code generation. Hold one per token; it keeps a copy of the
 * HMAC states, never the raw secret, and `destroy()` zeroes them.
 *
 * @example
 * ```ts
 * const key = new OtpKey(new TextEncoder().encode('12345678901234567890'));
 * key.hotp(0); // '755224' (RFC 4226 Appendix D)
 * ```
 */
export class OtpKey {
  readonly algorithm: HashAlgorithm;
  // SHA-1 fast path: the pad states after the first block.
  readonly #inner = new Uint32Array(5);
  readonly #outer = new Uint32Array(5);
  readonly #state = new Uint32Array(5);
  readonly #w = new Uint32Array(80);
  // SHA-256/512: a keyed noble HMAC to clone.
  readonly #keyed: ReturnType<typeof hmac.create> | undefined;
  readonly #msg = new Uint8Array(8);

  constructor(secret: Uint8Array, algorithm: HashAlgorithm = 'SHA1') {
    if (!(secret instanceof Uint8Array)) throw new TypeError('secret must be a Uint8Array');
    if (secret.length === 0) throw new RangeError('secret must not be empty');
    this.algorithm = algorithm;
    if (algorithm === 'SHA1') {
      // RFC 2104 §2: keys longer than the block are hashed first, shorter ones zero-padded.
      const block = new Uint8Array(64);
      block.set(secret.length > 64 ? sha1(secret) : secret);
      this.#padState(block, 0x36, this.#inner);
      this.#padState(block, 0x5c, this.#outer);
      block.fill(0);
      this.#keyed = undefined;
    } else if (algorithm === 'SHA256') {
      this.#keyed = hmac.create(sha256, secret);
    } else if (algorithm === 'SHA512') {
      this.#keyed = hmac.create(sha512, secret);
    } else {
      throw new RangeError(`unknown algorithm ${String(algorithm)}`);
    }
  }

  #padState(block: Uint8Array, pad: number, out: Uint32Array): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      w[i] = (((block[4 * i]! ^ pad) << 24) | ((block[4 * i + 1]! ^ pad) << 16) | ((block[4 * i + 2]! ^ pad) << 8) | (block[4 * i + 3]! ^ pad)) >>> 0;
    }
    out.set(SHA1_IV);
    sha1Compress(out, w);
  }

  /** The 31-bit dynamically truncated value (RFC 4226 §5.3) for `counter`. */
  truncated(counter: Counter): number {
    const [hi, lo] = counterWords(counter);
    if (this.#keyed === undefined) return this.#sha1Truncated(hi, lo);
    const msg = this.#msg;
    const view = new DataView(msg.buffer);
    view.setUint32(0, hi);
    view.setUint32(4, lo);
    const mac = this.#keyed.clone().update(msg).digest();
    return dynamicTruncation(mac);
  }

  #sha1Truncated(hi: number, lo: number): number {
    const w = this.#w;
    const s = this.#state;
    // Inner hash: one block holding the 8-byte counter, the 0x80 pad bit and the bit length
    // of (64-byte ipad block + 8 bytes) = 576.
    w[0] = hi;
    w[1] = lo;
    w[2] = 0x80000000;
    w.fill(0, 3, 15);
    w[15] = 576;
    s.set(this.#inner);
    sha1Compress(s, w);
    // Outer hash: the 20-byte inner digest, padding, length (64 + 20) * 8 = 672.
    w[0] = s[0]!;
    w[1] = s[1]!;
    w[2] = s[2]!;
    w[3] = s[3]!;
    w[4] = s[4]!;
    w[5] = 0x80000000;
    w.fill(0, 6, 15);
    w[15] = 672;
    s.set(this.#outer);
    sha1Compress(s, w);
    // RFC 4226 §5.3: offset = low nibble of byte 19; take 4 bytes there, drop the top bit.
    const offset = s[4]! & 0xf;
    const word = offset >>> 2;
    const shift = (offset & 3) * 8;
    const v = shift === 0 ? s[word]! : (s[word]! << shift) | (s[word + 1]! >>> (32 - shift));
    return v & 0x7fffffff;
  }

  /** The HOTP code for `counter`, zero-padded to `digits`. */
  hotp(counter: Counter, digits = 6): string {
    checkDigits(digits);
    return String(this.truncated(counter) % POW10[digits]!).padStart(digits, '0');
  }

  /** Zero the prepared states. The key cannot be used afterwards. */
  destroy(): void {
    this.#inner.fill(0);
    this.#outer.fill(0);
    this.#state.fill(0);
    this.#w.fill(0);
    this.#keyed?.destroy();
  }
}

/** RFC 4226 §5.3 dynamic truncation of a full HMAC value. */
export function dynamicTruncation(mac: Uint8Array): number {
  const offset = mac[mac.length - 1]! & 0xf;
  return ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
}

/**
 * One HOTP code (RFC 4226). For many codes of one key, keep an `OtpKey`.
 *
 * @example
 * ```ts
 * hotp(new TextEncoder().encode('12345678901234567890'), 1); // '287082'
 * ```
 */
export function hotp(secret: Uint8Array, counter: Counter, options: { algorithm?: HashAlgorithm; digits?: number } = {}): string {
  const key = new OtpKey(secret, options.algorithm ?? 'SHA1');
  try {
    return key.hotp(counter, options.digits ?? 6);
  } finally {
    key.destroy();
  }
}
