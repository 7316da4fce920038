/**
 * HOTP, RFC 4226: HMAC over an 8-byte big-endian counter, dynamically truncated (§5.3) to a
 * 6–10 digit decimal code. `OtpKey` prepares what depends only on the key (the HMAC inner and
 * outer pad states), so each further code costs two hash compressions.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { type HashAlgorithm, checkDigits } from './algorithm.js';
import { SHA1_IV, sha1Block, sha1HotpInner, sha1HotpOuter } from './sha1-block.js';

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10] as const;
const MAX_COUNTER = (1n << 64n) - 1n;
const TWO_32 = 0x1_0000_0000;
/** '000'..'999': a code is formatted from 3-digit groups, with no padStart. */
const TRIPLES: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const ZEROS: readonly string[] = Array.from({ length: 11 }, (_, i) => '0'.repeat(i));

/** What OtpKey uses of a noble HMAC instance. */
interface KeyedHmac {
  readonly outputLen: number;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
  _cloneInto(to?: KeyedHmac): KeyedHmac;
  destroy(): void;
}

/** A counter as RFC 4226 allows it: an unsigned 64-bit integer. */
export type Counter = number | bigint;

function badCounter(counter: unknown): Error {
  if (typeof counter === 'bigint') return new RangeError('counter must fit in 64 unsigned bits');
  if (typeof counter === 'number') return new RangeError(`counter must be a non-negative integer, got ${counter}`);
  return new TypeError('counter must be a number or bigint');
}

/** `value` (0 <= value < 10^digits) as exactly `digits` decimal digits. */
function formatCode(value: number, digits: number): string {
  if (digits === 6) return TRIPLES[(value / 1000) | 0]! + TRIPLES[value % 1000]!;
  if (digits === 8) return TRIPLES[(value / 1e6) | 0]!.slice(1) + TRIPLES[((value / 1000) | 0) % 1000]! + TRIPLES[value % 1000]!;
  const s = String(value);
  return s.length === digits ? s : ZEROS[digits - s.length]! + s;
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
  // SHA-1 fast path: the pad states after the first block (int32 words, as sha1Block keeps them).
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #state = new Int32Array(5);
  // SHA-256/512: a keyed noble HMAC, copied into one reused instance per code (no allocation).
  readonly #keyed: KeyedHmac | undefined;
  readonly #work: KeyedHmac | undefined;
  readonly #mac = new Uint8Array(64);
  readonly #msg = new Uint8Array(8);
  readonly #view = new DataView(this.#msg.buffer);

  constructor(secret: Uint8Array, algorithm: HashAlgorithm = 'SHA1') {
    if (!(secret instanceof Uint8Array)) throw new TypeError('secret must be a Uint8Array');
    if (secret.length === 0) throw new RangeError('secret must not be empty');
    this.algorithm = algorithm;
    if (algorithm === 'SHA1') {
      // RFC 2104 §2: keys longer than the block are hashed first, shorter ones zero-padded.
      const block = new Uint8Array(64);
      block.set(secret.length > 64 ? sha1(secret) : secret);
      padState(block, 0x36, this.#inner);
      padState(block, 0x5c, this.#outer);
      block.fill(0);
      this.#keyed = undefined;
      this.#work = undefined;
    } else if (algorithm === 'SHA256' || algorithm === 'SHA512') {
      const keyed: KeyedHmac = hmac.create(algorithm === 'SHA256' ? sha256 : sha512, secret);
      this.#keyed = keyed;
      this.#work = keyed._cloneInto();
    } else {
      throw new RangeError(`unknown algorithm ${String(algorithm)}`);
    }
  }

  /** The 31-bit dynamically truncated value (RFC 4226 §5.3) for `counter`. */
  truncated(counter: Counter): number {
    let hi: number;
    let lo: number;
    if (typeof counter === 'number') {
      if (!Number.isSafeInteger(counter) || counter < 0) throw badCounter(counter);
      // `| 0` keeps the low 32 bits (ToInt32 is modulo 2^32) for any safe integer.
      hi = counter < TWO_32 ? 0 : (counter / TWO_32) | 0;
      lo = counter | 0;
    } else {
      if (typeof counter !== 'bigint' || counter < 0n || counter > MAX_COUNTER) throw badCounter(counter);
      hi = Number(counter >> 32n) | 0;
      lo = Number(counter & 0xffffffffn) | 0;
    }
    if (this.#keyed === undefined) return this.#sha1Truncated(hi, lo);
    this.#view.setInt32(0, hi);
    this.#view.setInt32(4, lo);
    // _cloneInto resets the reused instance to the keyed state (noble's own clone() path).
    const h = this.#keyed._cloneInto(this.#work);
    h.update(this.#msg);
    h.digestInto(this.#mac);
    return truncateAt(this.#mac, h.outputLen);
  }

  #sha1Truncated(hi: number, lo: number): number {
    const s = this.#state;
    // Inner hash: one block holding the 8-byte counter, the 0x80 pad bit and the bit length
    // of (64-byte ipad block + 8 bytes) = 576.
    sha1HotpInner(this.#inner, s, hi, lo);
    // Outer hash: the 20-byte inner digest, padding, length (64 + 20) * 8 = 672.
    sha1HotpOuter(this.#outer, s, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!);
    // RFC 4226 §5.3: offset = low nibble of byte 19; take 4 bytes there, drop the top bit.
    const offset = s[4]! & 0xf;
    const word = offset >>> 2;
    const shift = (offset & 3) << 3;
    const v = shift === 0 ? s[word]! : (s[word]! << shift) | (s[word + 1]! >>> (32 - shift));
    return v & 0x7fffffff;
  }

  /** The HOTP code for `counter`, zero-padded to `digits`. */
  hotp(counter: Counter, digits = 6): string {
    if (digits !== 6) checkDigits(digits);
    return formatCode(this.truncated(counter) % POW10[digits]!, digits);
  }

  /** Zero the prepared states. The key cannot be used afterwards. */
  destroy(): void {
    this.#inner.fill(0);
    this.#outer.fill(0);
    this.#state.fill(0);
    this.#msg.fill(0);
    this.#mac.fill(0);
    this.#keyed?.destroy();
    this.#work?.destroy();
  }
}

/** The SHA-1 state after one block of `key ^ pad` (RFC 2104: ipad 0x36, opad 0x5c). */
function padState(block: Uint8Array, pad: number, out: Int32Array): void {
  const w = new Int32Array(16);
  for (let i = 0; i < 16; i++) {
    w[i] = ((block[4 * i]! ^ pad) << 24) | ((block[4 * i + 1]! ^ pad) << 16) | ((block[4 * i + 2]! ^ pad) << 8) | (block[4 * i + 3]! ^ pad);
  }
  out.set(SHA1_IV.map((x) => x | 0));
  sha1Block(out, out, w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, w[6]!, w[7]!, w[8]!, w[9]!, w[10]!, w[11]!, w[12]!, w[13]!, w[14]!, w[15]!);
  w.fill(0);
}

/** RFC 4226 §5.3 dynamic truncation of a full HMAC value. */
export function dynamicTruncation(mac: Uint8Array): number {
  return truncateAt(mac, mac.length);
}

/** Dynamic truncation of the HMAC value in `mac[0..length)`. */
function truncateAt(mac: Uint8Array, length: number): number {
  const offset = mac[length - 1]! & 0xf;
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
