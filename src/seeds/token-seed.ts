/**
 * The token-set model: what a seed file holds for one hardware or virtual OTP token, and the
 * generation of new seeds with serials in a profile's format. Pure: randomness is injected.
 *
 * @example
 * ```ts
 * const [seed] = generateSeeds(1, builtinSeedProfile('aws-hardware'));
 * seed.serial; // 'GAKT03917364'
 * ```
 */
import { badInput } from '../errors.js';
import { type HashAlgorithm, type RandomBytes, checkDigits, checkPeriod, cryptoRandomBytes, generateSecret } from '../otp/index.js';

/** One token: its identity and its OTP parameters. `period` for TOTP, `counter` for HOTP. */
export interface TokenSeed {
  serial: string;
  secret: Uint8Array;
  type: 'totp' | 'hotp';
  algorithm: HashAlgorithm;
  digits: number;
  /** TOTP step in seconds (TOTP only). */
  period?: number;
  /** HOTP moving factor (HOTP only). */
  counter?: bigint;
  issuer?: string;
  account?: string;
  manufacturer?: string;
  model?: string;
}

/** How `seed generate` makes tokens: the serial format and the OTP parameters. */
export interface SeedProfile {
  name: string;
  manufacturer: string;
  model: string;
  serialPrefix: string;
  serialDigits: number;
  type: 'totp' | 'hotp';
  algorithm: HashAlgorithm;
  digits: number;
  period?: number;
  counter?: bigint;
}

/** Built-in profiles, used when no device profile of that name exists. */
export const BUILTIN_SEED_PROFILES: Readonly<Record<string, SeedProfile>> = {
  'aws-hardware': { name: 'aws-hardware', manufacturer: 'Tokenrig', model: 'OTP 110 (sim)', serialPrefix: 'GAKT', serialDigits: 8, type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 },
  'feitian-c200': { name: 'feitian-c200', manufacturer: 'Tokenrig', model: 'C200 (sim)', serialPrefix: 'FT', serialDigits: 10, type: 'totp', algorithm: 'SHA1', digits: 6, period: 60 },
  hotp: { name: 'hotp', manufacturer: 'Tokenrig', model: 'E100 (sim)', serialPrefix: 'EVT', serialDigits: 9, type: 'hotp', algorithm: 'SHA1', digits: 6, counter: 0n },
};

/**
 * A built-in profile by name; BAD_INPUT naming the choices otherwise.
 *
 * @example
 * ```ts
 * builtinSeedProfile('hotp').type; // 'hotp'
 * ```
 */
export function builtinSeedProfile(name: string): SeedProfile {
  const p = Object.hasOwn(BUILTIN_SEED_PROFILES, name) ? BUILTIN_SEED_PROFILES[name] : undefined;
  if (p === undefined) throw badInput(`unknown seed profile ${JSON.stringify(name)}: use one of ${Object.keys(BUILTIN_SEED_PROFILES).join(', ')}`);
  return p;
}

/**
 * `count` new tokens with random 20-byte seeds and distinct random serials `prefix + digits`.
 *
 * @example
 * ```ts
 * generateSeeds(3, builtinSeedProfile('hotp')).map((s) => s.serial); // ['EVT000812345', ...]
 * ```
 */
export function generateSeeds(count: number, profile: SeedProfile, random: RandomBytes = cryptoRandomBytes): TokenSeed[] {
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new RangeError(`count must be an integer from 1 to 100000, got ${count}`);
  if (count > 10 ** profile.serialDigits / 2) throw new RangeError(`count ${count} is too many for ${profile.serialDigits}-digit serials`);
  const serials = new Set<string>();
  const out: TokenSeed[] = [];
  while (out.length < count) {
    const serial = profile.serialPrefix + randomDigits(profile.serialDigits, random);
    if (serials.has(serial)) continue;
    serials.add(serial);
    const seed: TokenSeed = { serial, secret: generateSecret(20, random), type: profile.type, algorithm: profile.algorithm, digits: profile.digits, manufacturer: profile.manufacturer, model: profile.model };
    if (profile.type === 'totp') seed.period = profile.period ?? 30;
    else seed.counter = profile.counter ?? 0n;
    out.push(seed);
  }
  return out;
}

function randomDigits(n: number, random: RandomBytes): string {
  let s = '';
  while (s.length < n) {
    for (const b of random(n)) {
      // Rejection sampling keeps the digits uniform: 250 is the largest multiple of 10 below 256.
      if (b < 250 && s.length < n) s += String(b % 10);
    }
  }
  return s;
}

/**
 * Checks a seed's fields (from a file or a caller); returns it. RangeError names the field.
 *
 * @example
 * ```ts
 * checkTokenSeed({ serial: 'GAKT12345678', secret, type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 });
 * ```
 */
export function checkTokenSeed(seed: TokenSeed): TokenSeed {
  if (seed.serial === '') throw new RangeError('serial must not be empty');
  if (seed.secret.length < 1) throw new RangeError('secret must not be empty');
  checkDigits(seed.digits);
  if (seed.type === 'totp') {
    if (seed.period === undefined) throw new RangeError('a TOTP token needs a period');
    checkPeriod(seed.period);
  }
  if (seed.type === 'hotp' && (seed.counter === undefined || seed.counter < 0n || seed.counter >= 1n << 64n)) throw new RangeError(`counter must be a 64-bit unsigned integer, got ${String(seed.counter)}`);
  return seed;
}

/**
 * A seed as JSON-safe data with the secret hidden, unless `reveal`.
 *
 * @example
 * ```ts
 * describeSeed(seed, false, (s) => base32Encode(s)); // { serial: 'GAKT…', type: 'totp', … } (no secret field)
 * ```
 */
export function describeSeed(seed: TokenSeed, reveal: boolean, encodeSecret: (s: Uint8Array) => string): Record<string, string | number> {
  const out: Record<string, string | number> = { serial: seed.serial, type: seed.type, algorithm: seed.algorithm, digits: seed.digits };
  if (seed.period !== undefined) out.period = seed.period;
  if (seed.counter !== undefined) out.counter = seed.counter.toString();
  for (const k of ['issuer', 'account', 'manufacturer', 'model'] as const) {
    const v = seed[k];
    if (v !== undefined) out[k] = v;
  }
  if (reveal) out.secret = encodeSecret(seed.secret);
  return out;
}
