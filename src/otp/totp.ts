/**
 * TOTP, RFC 6238: HOTP over T = floor((time - T0) / X). Times are Unix seconds; counters past
 * 2^32 steps (and times past 2038 and 2106) are exact because the counter is 64-bit.
 */
import { type HashAlgorithm, checkDigits } from './algorithm.js';
import { OtpKey } from './hotp.js';

export interface TotpParameters {
  algorithm?: HashAlgorithm;
  /** 6..10, default 6. */
  digits?: number;
  /** The step X in seconds, default 30. */
  period?: number;
  /** T0 in Unix seconds, default 0. */
  t0?: number;
}

/** RFC 6238 §4.2: the time step counter for `timeSeconds`. */
export function totpCounter(timeSeconds: number, period = 30, t0 = 0): number {
  if (typeof timeSeconds !== 'number' || !Number.isFinite(timeSeconds)) throw new TypeError('time must be a finite number of seconds');
  if (!Number.isSafeInteger(period) || period < 1) throw new RangeError(`period must be a positive whole number of seconds, got ${period}`);
  const t = Math.floor((Math.floor(timeSeconds) - t0) / period);
  if (t < 0) throw new RangeError('time is before T0');
  return t;
}

/**
 * A TOTP generator for one secret. The key is prepared once; `generate` is cheap.
 *
 * @example
 * ```ts
 * const totp = new Totp(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'));
 * totp.generate(59, 8); // '94287082' (RFC 6238 Appendix B)
 * ```
 */
export class Totp {
  readonly algorithm: HashAlgorithm;
  readonly digits: number;
  readonly period: number;
  readonly t0: number;
  readonly key: OtpKey;

  constructor(secret: Uint8Array, params: TotpParameters = {}) {
    this.algorithm = params.algorithm ?? 'SHA1';
    this.digits = checkDigits(params.digits ?? 6);
    this.period = params.period ?? 30;
    this.t0 = params.t0 ?? 0;
    totpCounter(this.t0, this.period, this.t0);
    this.key = new OtpKey(secret, this.algorithm);
  }

  /** The counter (time step) at `timeSeconds`. */
  counterAt(timeSeconds: number): number {
    return totpCounter(timeSeconds, this.period, this.t0);
  }

  /** The code at `timeSeconds` (Unix seconds); `digits` overrides the configured count. */
  generate(timeSeconds: number, digits = this.digits): string {
    return this.key.hotp(this.counterAt(timeSeconds), digits);
  }

  /** The code for a time step counter. */
  atCounter(counter: number | bigint): string {
    return this.key.hotp(counter, this.digits);
  }

  /** Seconds left in the step that contains `timeSeconds`. */
  remaining(timeSeconds: number): number {
    const into = (Math.floor(timeSeconds) - this.t0) % this.period;
    return this.period - into;
  }

  destroy(): void {
    this.key.destroy();
  }
}

/**
 * One TOTP code (RFC 6238).
 *
 * @example
 * ```ts
 * totp(new TextEncoder().encode('12345678901234567890'), 59, { digits: 8 }); // '94287082'
 * ```
 */
export function totp(secret: Uint8Array, timeSeconds: number, params: TotpParameters = {}): string {
  const t = new Totp(secret, params);
  try {
    return t.generate(timeSeconds);
  } finally {
    t.destroy();
  }
}
