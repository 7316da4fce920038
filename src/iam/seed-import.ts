/**
 * Hardware tokens the endpoint knows: as AWS knows the seeds of the tokens it sells, the
 * endpoint learns them from seed files (PSKC, CSV, otpauth URIs: the project's seed loaders),
 * so EnableMFADevice can check a hardware token's codes by its serial number. IAM's codes are
 * six digits (authenticationCodeType), and its tokens are TOTP: anything else is refused.
 *
 * @example
 * ```ts
 * const seeds = await loadSeedFile('tokens.pskc', { password });
 * importHardwareTokens(store, seeds, Date.now()); // { imported: 50, known: 0 }
 * ```
 */
import { timingSafeEqual } from 'node:crypto';
import { badInput } from '../errors.js';
import type { TokenSeed } from '../seeds/index.js';
import type { IamStore } from './store/iam-store.js';
import { serialNumberType } from './wire/shapes.js';

function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a seed cannot be an IAM hardware token, or undefined when it can. */
export function hardwareTokenProblem(seed: TokenSeed): string | undefined {
  if (seed.type !== 'totp') return 'it is an HOTP token; IAM assigns TOTP tokens only';
  if (seed.digits !== 6) return `it shows ${seed.digits} digits; IAM codes have 6`;
  if (seed.serial.length < 9 || seed.serial.length > 256 || !serialNumberType.regex!.test(seed.serial)) return 'its serial is not a valid IAM serial number (9 to 256 characters of A-Z a-z 0-9 _+=/:,.@-)';
  if (seed.serial.startsWith('arn:')) return 'its serial is an ARN, which names virtual devices';
  return undefined;
}

/**
 * Add `seeds` as unassigned hardware devices, in one transaction. A serial already known with
 * the same seed is left as it is (re-importing a file is harmless); with another seed it is an
 * error, as is a seed IAM could not use. Nothing is imported when anything is refused.
 */
export function importHardwareTokens(store: IamStore, seeds: readonly TokenSeed[], nowMs: number): { imported: number; known: number } {
  for (const s of seeds) {
    const problem = hardwareTokenProblem(s);
    if (problem !== undefined) throw badInput(`token ${s.serial}: ${problem}`);
  }
  return store.write(() => {
    let imported = 0;
    let known = 0;
    for (const s of seeds) {
      const existing = store.getDevice(s.serial);
      if (existing !== undefined) {
        const same = existing.kind === 'hardware' && sameSecret(existing.secret, s.secret) && existing.algorithm === s.algorithm && existing.period === (s.period ?? 30);
        if (!same) throw badInput(`token ${s.serial}: the endpoint already knows this serial with another seed`);
        known++;
        continue;
      }
      store.insertDevice({
        serial: s.serial,
        kind: 'hardware',
        name: null,
        path: null,
        secret: s.secret,
        algorithm: s.algorithm,
        digits: s.digits,
        period: s.period ?? 30,
        userName: null,
        enableDate: null,
        lastStep: null,
        stepOffset: 0,
        createDate: nowMs,
        tags: '[]',
      });
      imported++;
    }
    return { imported, known };
  });
}
