/**
 * RFC 4648 §6 base32, as authenticator apps and services use it for OTP seeds. Decoding
 * accepts what users paste (lower case, spaces, hyphens, missing `=` padding) and rejects
 * everything else with a message that names the problem.
 */
import { badInput } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  LOOKUP[ALPHABET.charCodeAt(i)] = i;
  LOOKUP[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

/**
 * Encode bytes as base32.
 *
 * @example
 * ```ts
 * base32Encode(new TextEncoder().encode('foo')); // 'MZXW6==='
 * base32Encode(bytes, { padding: false });        // 'MZXW6'
 * ```
 */
export function base32Encode(data: Uint8Array, options: { padding?: boolean } = {}): string {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.padding !== false) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * Decode base32 as users type it. Spaces, tabs, hyphens and trailing `=` are ignored; case
 * does not matter. Characters outside the alphabet, misplaced padding and impossible
 * lengths are errors (`BAD_INPUT`).
 *
 * @example
 * ```ts
 * base32Decode('jbsw y3dp ehpk 3pxp'); // the bytes of 'Hello!\xde\xad\xbe\xef'
 * ```
 */
export function base32Decode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const cleaned = text.replace(/[\s-]/g, '');
  const firstPad = cleaned.indexOf('=');
  const body = firstPad === -1 ? cleaned : cleaned.slice(0, firstPad);
  if (firstPad !== -1 && !/^=+$/.test(cleaned.slice(firstPad))) throw badInput('base32: padding "=" may only appear at the end');
  if (body.length === 0) throw badInput('base32: the secret is empty');
  // A wrong character says more than a wrong length: check characters first.
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 128 || LOOKUP[c]! < 0) {
      const hint = '018'.includes(body[i]!) ? ' (base32 has no 0, 1 or 8; did you mean O, I/L or B?)' : '';
      throw badInput(`base32: invalid character ${JSON.stringify(body[i])} at position ${i + 1}${hint}`);
    }
  }
  // 5 bits a character: lengths 1, 3 and 6 (mod 8) cannot end on a byte boundary.
  if ([1, 3, 6].includes(body.length % 8)) throw badInput(`base32: a length of ${body.length} characters is not possible (truncated secret?)`);
  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < body.length; i++) {
    const v = LOOKUP[body.charCodeAt(i)]!;
    buffer = ((buffer << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[j++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}
