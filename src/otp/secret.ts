/** OTP secrets: generation with injected randomness, and parsing from base32 or hex. */
import { badInput } from '../errors.js';
import { base32Decode } from './base32.js';

/** A source of random bytes; the default is the platform CSPRNG. */
export type RandomBytes = (n: number) => Uint8Array;

export const cryptoRandomBytes: RandomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/**
 * A new random secret. RFC 4226 §4 requires at least 128 bits and recommends 160 (20 bytes,
 * what AWS and most hardware tokens use).
 *
 * @example
 * ```ts
 * base32Encode(generateSecret()); // 32 base32 characters
 * ```
 */
export function generateSecret(bytes = 20, random: RandomBytes = cryptoRandomBytes): Uint8Array {
  if (!Number.isInteger(bytes) || bytes < 10 || bytes > 128) throw new RangeError(`bytes must be an integer from 10 to 128, got ${bytes}`);
  return random(bytes);
}

/** Decode a hex seed (spaces and a 0x prefix allowed), as vendor files and privacyIDEA use. */
export function hexDecode(text: string): Uint8Array {
  const clean = text.replace(/\s/g, '').replace(/^0x/i, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) throw badInput('hex: the seed must be an even number of hex digits');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function hexEncode(data: Uint8Array): string {
  let s = '';
  for (const b of data) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A base32 secret as a user gives it; an empty or too-short seed is a user error. */
export function parseBase32Secret(text: string): Uint8Array {
  const secret = base32Decode(text);
  if (secret.length < 10) throw badInput(`the secret is only ${secret.length} bytes; OTP secrets are at least 10 bytes (16 base32 characters)`);
  return secret;
}
