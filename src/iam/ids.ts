/**
 * Identifiers as IAM and STS mint them: unique IDs with their type prefix (AIDA users, AROA
 * roles), access key IDs (AKIA long-term, ASIA temporary), 40-character secret keys, session
 * tokens, 12-digit account IDs and UUID request IDs. Randomness is injected.
 *
 * @example
 * ```ts
 * const ids = new IdMinter(cryptoRandomBytes);
 * ids.accessKeyId(); // 'AKIA3QZ7K2M5XW4R8PLN'
 * ```
 */
import { type RandomBytes, cryptoRandomBytes } from '../otp/index.js';

/**
 * Random bytes served from a block drawn 4 KiB at a time from `source` (each draw from the
 * CSPRNG has a fixed cost; a call mints four IDs). Bytes handed out are copied and wiped from
 * the block; a request larger than the block goes to the source directly.
 */
export function pooledRandom(source: RandomBytes = cryptoRandomBytes, blockSize = 4096): RandomBytes {
  let block: Uint8Array = new Uint8Array(0);
  let used = 0;
  return (n) => {
    if (n > blockSize) return source(n);
    if (used + n > block.length) {
      block.fill(0);
      block = source(blockSize);
      used = 0;
    }
    const out = block.slice(used, used + n);
    block.fill(0, used, used + n);
    used += n;
    return out;
  };
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export class IdMinter {
  readonly #random: RandomBytes;

  constructor(random: RandomBytes) {
    this.#random = random;
  }

  /** `n` characters drawn uniformly from `alphabet` (whose length divides 256). */
  #chars(alphabet: string, n: number): string {
    let s = '';
    for (const b of this.#random(n)) s += alphabet[b % alphabet.length];
    return s;
  }

  userId(): string {
    return `AIDA${this.#chars(UPPER_ALNUM, 17)}`;
  }
  roleId(): string {
    return `AROA${this.#chars(UPPER_ALNUM, 17)}`;
  }
  accessKeyId(): string {
    return `AKIA${this.#chars(UPPER_ALNUM, 16)}`;
  }
  temporaryAccessKeyId(): string {
    return `ASIA${this.#chars(UPPER_ALNUM, 16)}`;
  }
  secretAccessKey(): string {
    return this.#chars(BASE64, 40);
  }
  sessionToken(): string {
    return Buffer.from(this.#random(120)).toString('base64');
  }
  /** A fresh OTP seed of `bytes` bytes. */
  mfaSeed(bytes: number): Uint8Array {
    return this.#random(bytes);
  }
  /** Twelve digits, the first not zero. */
  accountId(): string {
    let s = '';
    while (s.length < 12) for (const b of this.#random(16)) if (b < 250 && s.length < 12 && !(s === '' && b % 10 === 0)) s += String(b % 10);
    return s;
  }
  /** A version 4 UUID (RFC 9562 §5.4), as AWS request IDs are. */
  requestId(): string {
    const b = this.#random(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
