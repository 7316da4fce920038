/** The HMAC hash functions OTP tokens use (RFC 4226 SHA-1; RFC 6238 adds SHA-256 and SHA-512). */
import { badInput } from '../errors.js';

export const HashAlgorithm = { SHA1: 'SHA1', SHA256: 'SHA256', SHA512: 'SHA512' } as const;
export type HashAlgorithm = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/** Accepts `sha1`, `SHA-256`, `HmacSHA512`-ish spellings users and files use. */
export function parseHashAlgorithm(text: string): HashAlgorithm {
  const norm = String(text).toUpperCase().replace(/^HMAC-?/, '').replace(/[-_]/g, '');
  if (norm === 'SHA1' || norm === 'SHA256' || norm === 'SHA512') return norm;
  throw badInput(`unknown algorithm ${JSON.stringify(text)}: use SHA1, SHA256 or SHA512`);
}

/** RFC 4226 §5.3 allows 6 or more digits; 10 is the most a 31-bit value can fill. */
export function checkDigits(digits: number): number {
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError(`digits must be an integer from 6 to 10, got ${digits}`);
  return digits;
}

/**
 * The longest TOTP step a token or an enrollment URI may name: a day. RFC 6238 §5.2
 * recommends 30 s; tokens use 30 or 60 s. Anything longer is a mistake in a file or a URI.
 */
export const MAX_PERIOD_SECONDS = 86_400;

/** A TOTP period in whole seconds from 1 to MAX_PERIOD_SECONDS; RangeError otherwise. */
export function checkPeriod(period: number): number {
  if (!Number.isInteger(period) || period < 1 || period > MAX_PERIOD_SECONDS) throw new RangeError(`period must be a whole number of seconds from 1 to ${MAX_PERIOD_SECONDS}, got ${period}`);
  return period;
}
