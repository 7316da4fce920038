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
import type { RandomBytes } from '../otp/index.js';

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
