/**
 * The strict OTP verifier, with the semantics services apply (AWS IAM is the reference):
 * - a code is accepted within a window of steps around the expected one, and the step
 *   offset it matched (the token's drift) is returned and remembered (RFC 6238 §6);
 * - single use: a code for a step at or below the last accepted step is refused (replay);
 * - enrollment takes two consecutive codes (step n and n+1, n inside the window);
 * - resync takes two consecutive codes over a much larger window and stores the new offset;
 * - codes are compared in constant time, over the whole window, without early exit;
 * - a throttle/lockout policy hook runs after each failure.
 *
 * Verification is a pure function of (secret, parameters, state, time): the state is a plain
 * serialisable object the caller stores; every call returns the next state.
 */
import { type HashAlgorithm, checkDigits } from './algorithm.js';
import { OtpKey } from './hotp.js';
import { totpCounter } from './totp.js';

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10] as const;

/** What the verifier remembers about one enrolled token. Plain JSON. */
export interface VerifierState {
  /** The highest step (TOTP time step, or HOTP counter) ever accepted; null before enrollment. */
  lastStep: number | null;
  /** Steps the token is ahead (+) or behind (−) the verifier's clock, learned from accepted codes. */
  offset: number;
  /** Consecutive failures since the last success. */
  failures: number;
  /** Unix seconds until which every attempt is refused (set by the lockout policy), or null. */
  lockedUntil: number | null;
}

/** A throttle policy: after a failure, how long (seconds) to lock the token; 0 for not at all. */
export type LockoutPolicy = (state: Readonly<VerifierState>, nowSeconds: number) => number;

/**
 * A lockout after `maxFailures` consecutive failures, for `lockSeconds`, doubling for each
 * further failure (capped at a day).
 *
 * @example
 * ```ts
 * const verifier = new TotpVerifier(secret, { lockout: lockoutAfter(5, 60) });
 * ```
 */
export function lockoutAfter(maxFailures: number, lockSeconds: number): LockoutPolicy {
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError('maxFailures must be a positive integer');
  if (!(lockSeconds >= 0)) throw new RangeError('lockSeconds must be >= 0');
  return (state) => (state.failures < maxFailures ? 0 : Math.min(86_400, lockSeconds * 2 ** (state.failures - maxFailures)));
}

export type RefusalReason = 'invalid' | 'replay' | 'locked' | 'not-enrolled' | 'malformed';

export type VerifyResult =
  | {
      ok: true;
      /** The step the code belongs to. */
      step: number;
      /** Steps between the code and the verifier's clock without any stored offset (the token's total drift). */
      drift: number;
      /** Steps between the code and the expected step (stored offset applied). */
      delta: number;
      state: VerifierState;
    }
  | { ok: false; reason: RefusalReason; state: VerifierState; /** For a replay: the step the code was for. */ step?: number };

export interface TotpVerifierOptions {
  algorithm?: HashAlgorithm;
  digits?: number;
  period?: number;
  t0?: number;
  /** Steps accepted either side of the expected step for sign-in; default 1 (±30 s). */
  window?: number;
  /**
   * Steps either side of now searched for the first code's step n at enrollment; default 2,
   * so a person who waits for code 2 and types both a little late (n+1 one step old) passes.
   */
  enrollWindow?: number;
  /** Steps either side searched at resync; default 2880 + 120: a day and an hour at 30 s. */
  resyncWindow?: number;
  /** Throttle/lockout hook; default: none. */
  lockout?: LockoutPolicy;
}

/** A fresh, unenrolled state. */
export function createVerifierState(): VerifierState {
  return { lastStep: null, offset: 0, failures: 0, lockedUntil: null };
}

/**
 * Check that a stored state is well formed (it comes from a file or a database).
 * Throws TypeError naming the field.
 */
export function checkVerifierState(state: unknown): VerifierState {
  const s = state as Partial<VerifierState> | null;
  if (typeof s !== 'object' || s === null) throw new TypeError('verifier state must be an object');
  if (s.lastStep !== null && !Number.isSafeInteger(s.lastStep)) throw new TypeError('verifier state: lastStep must be an integer or null');
  if (!Number.isSafeInteger(s.offset)) throw new TypeError('verifier state: offset must be an integer');
  if (!Number.isSafeInteger(s.failures) || (s.failures as number) < 0) throw new TypeError('verifier state: failures must be a non-negative integer');
  if (s.lockedUntil !== null && typeof s.lockedUntil !== 'number') throw new TypeError('verifier state: lockedUntil must be a number or null');
  return { lastStep: s.lastStep as number | null, offset: s.offset as number, failures: s.failures as number, lockedUntil: s.lockedUntil as number | null };
}

/** Parse a user's code to its integer value, or -1 when it is not `digits` decimal digits. */
function codeValue(code: string, digits: number): number {
  if (typeof code !== 'string') return -1;
  const c = code.trim();
  if (c.length !== digits) return -1;
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    const d = c.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Verifies TOTP codes for one secret.
 *
 * @example
 * ```ts
 * const v = new TotpVerifier(secret);
 * let state = createVerifierState();
 * const e = v.enroll(code1, code2, state, nowSeconds);       // two consecutive codes
 * if (e.ok) state = e.state;
 * const r = v.verify(code, state, nowSeconds);                 // { ok, drift, state } or { ok:false, reason }
 * ```
 */
export class TotpVerifier {
  readonly digits: number;
  readonly period: number;
  readonly t0: number;
  readonly window: number;
  readonly enrollWindow: number;
  readonly resyncWindow: number;
  readonly #key: OtpKey;
  readonly #lockout: LockoutPolicy | undefined;
  readonly #mod: number;

  constructor(secret: Uint8Array, options: TotpVerifierOptions = {}) {
    this.digits = checkDigits(options.digits ?? 6);
    this.period = options.period ?? 30;
    this.t0 = options.t0 ?? 0;
    totpCounter(this.t0, this.period, this.t0);
    this.window = checkWindow('window', options.window ?? 1);
    this.enrollWindow = checkWindow('enrollWindow', options.enrollWindow ?? 2);
    this.resyncWindow = checkWindow('resyncWindow', options.resyncWindow ?? 3000);
    this.#key = new OtpKey(secret, options.algorithm ?? 'SHA1');
    this.#lockout = options.lockout;
    this.#mod = POW10[this.digits]!;
  }

  /** The verifier clock's step at `nowSeconds`, without offset. */
  stepAt(nowSeconds: number): number {
    return totpCounter(nowSeconds, this.period, this.t0);
  }

  /** The code value of a step (for tests and tools). */
  #value(step: number): number {
    return step < 0 ? -1 : this.#key.truncated(step) % this.#mod;
  }

  /**
   * The matching step in [center - radius, center + radius], scanning all of it (constant
   * time in which step matched), or null.
   */
  #scan(value: number, center: number, radius: number): number | null {
    let found = -1;
    for (let s = center - radius; s <= center + radius; s++) {
      const candidate = this.#value(s);
      // Branch-free select: keep the first match without leaving the loop early.
      const hit = ((candidate ^ value) === 0 && candidate >= 0 ? 1 : 0) & (found < 0 ? 1 : 0);
      found = hit === 1 ? s : found;
    }
    return found < 0 ? null : found;
  }

  #refuse(state: VerifierState, reason: RefusalReason, nowSeconds: number, step?: number): VerifyResult {
    const next: VerifierState = { ...state, failures: state.failures + 1 };
    const lockFor = this.#lockout?.(next, nowSeconds) ?? 0;
    if (lockFor > 0) next.lockedUntil = nowSeconds + lockFor;
    return step === undefined ? { ok: false, reason, state: next } : { ok: false, reason, state: next, step };
  }

  #locked(state: VerifierState, nowSeconds: number): boolean {
    return state.lockedUntil !== null && nowSeconds < state.lockedUntil;
  }

  #accept(state: VerifierState, step: number, nowSeconds: number): VerifyResult {
    const clockStep = this.stepAt(nowSeconds);
    const expected = clockStep + state.offset;
    return {
      ok: true,
      step,
      drift: step - clockStep,
      delta: step - expected,
      state: { lastStep: step, offset: step - clockStep, failures: 0, lockedUntil: null },
    };
  }

  /** Verify one code at `nowSeconds` (Unix seconds). The state must be enrolled. */
  verify(code: string, state: VerifierState, nowSeconds: number): VerifyResult {
    if (state.lastStep === null) return { ok: false, reason: 'not-enrolled', state };
    if (this.#locked(state, nowSeconds)) return { ok: false, reason: 'locked', state };
    const value = codeValue(code, this.digits);
    if (value < 0) return this.#refuse(state, 'malformed', nowSeconds);
    const expected = this.stepAt(nowSeconds) + state.offset;
    const step = this.#scan(value, expected, this.window);
    if (step === null) return this.#refuse(state, 'invalid', nowSeconds);
    // Single use: a step at or below the last accepted one was already spent.
    if (step <= state.lastStep) return this.#refuse(state, 'replay', nowSeconds, step);
    return this.#accept(state, step, nowSeconds);
  }

  /** Two consecutive codes: the step n of the first in [center ± radius], and n+1 for the second. */
  #pair(code1: string, code2: string, center: number, radius: number): number | null | 'malformed' {
    const v1 = codeValue(code1, this.digits);
    const v2 = codeValue(code2, this.digits);
    if (v1 < 0 || v2 < 0) return 'malformed';
    let found = -1;
    for (let s = center - radius; s <= center + radius; s++) {
      if (s < 0) continue;
      // The second code is checked only where the first matched: a 6-digit code matches
      // about one step in a million, so this costs nothing and halves the search.
      if (((this.#value(s) ^ v1) | 0) !== 0) continue;
      if (found < 0 && ((this.#value(s + 1) ^ v2) | 0) === 0) found = s;
    }
    return found < 0 ? null : found;
  }

  /**
   * Enrollment by two consecutive codes (AWS EnableMFADevice): the first code's step must be
   * within `enrollWindow` of now. Returns the enrolled state (lastStep = the second code's step).
   */
  enroll(code1: string, code2: string, state: VerifierState, nowSeconds: number): VerifyResult {
    if (this.#locked(state, nowSeconds)) return { ok: false, reason: 'locked', state };
    const n = this.#pair(code1, code2, this.stepAt(nowSeconds), this.enrollWindow);
    if (n === 'malformed') return this.#refuse(state, 'malformed', nowSeconds);
    if (n === null) return this.#refuse(state, 'invalid', nowSeconds);
    return this.#accept({ ...state, offset: 0 }, n + 1, nowSeconds);
  }

  /**
   * Resync by two consecutive codes (AWS ResyncMFADevice) over `resyncWindow` steps around
   * the expected step. Stores the token's new offset; refuses codes at or below the last
   * accepted step (a token whose clock went back shows codes it already showed: those stay
   * spent until it passes them). On a state not yet enrolled, resync enrolls over the large
   * window: the way out when enrollment failed because the codes came too late.
   */
  resync(code1: string, code2: string, state: VerifierState, nowSeconds: number): VerifyResult {
    if (this.#locked(state, nowSeconds)) return { ok: false, reason: 'locked', state };
    const n = this.#pair(code1, code2, this.stepAt(nowSeconds) + state.offset, this.resyncWindow);
    if (n === 'malformed') return this.#refuse(state, 'malformed', nowSeconds);
    if (n === null) return this.#refuse(state, 'invalid', nowSeconds);
    if (state.lastStep !== null && n + 1 <= state.lastStep) return this.#refuse(state, 'replay', nowSeconds, n + 1);
    return this.#accept(state, n + 1, nowSeconds);
  }

  /** Zero the prepared key. */
  destroy(): void {
    this.#key.destroy();
  }
}

/**
 * Verifies HOTP codes: the counter only moves forward; a code is searched in the `window`
 * counters after the last accepted one (look-ahead), and resync searches `resyncWindow`.
 */
export class HotpVerifier {
  readonly digits: number;
  readonly window: number;
  readonly resyncWindow: number;
  readonly #key: OtpKey;
  readonly #mod: number;

  constructor(secret: Uint8Array, options: { algorithm?: HashAlgorithm; digits?: number; window?: number; resyncWindow?: number } = {}) {
    this.digits = checkDigits(options.digits ?? 6);
    this.window = checkWindow('window', options.window ?? 10);
    this.resyncWindow = checkWindow('resyncWindow', options.resyncWindow ?? 1000);
    this.#key = new OtpKey(secret, options.algorithm ?? 'SHA1');
    this.#mod = POW10[this.digits]!;
  }

  #find(value: number, from: number, count: number): number | null {
    let found = -1;
    for (let c = from; c < from + count; c++) {
      const hit = (this.#key.truncated(c) % this.#mod ^ value) === 0;
      found = hit && found < 0 ? c : found;
    }
    return found < 0 ? null : found;
  }

  /** Verify one code; the state's lastStep is the last accepted counter (null: none yet, start at 0). */
  verify(code: string, state: VerifierState): VerifyResult {
    const value = codeValue(code, this.digits);
    if (value < 0) return { ok: false, reason: 'malformed', state: { ...state, failures: state.failures + 1 } };
    const from = state.lastStep === null ? 0 : state.lastStep + 1;
    const c = this.#find(value, from, this.window);
    if (c === null) return { ok: false, reason: 'invalid', state: { ...state, failures: state.failures + 1 } };
    return { ok: true, step: c, drift: c - from, delta: c - from, state: { lastStep: c, offset: 0, failures: 0, lockedUntil: null } };
  }

  /** Resync by two consecutive codes within `resyncWindow` counters after the last accepted one. */
  resync(code1: string, code2: string, state: VerifierState): VerifyResult {
    const v1 = codeValue(code1, this.digits);
    const v2 = codeValue(code2, this.digits);
    if (v1 < 0 || v2 < 0) return { ok: false, reason: 'malformed', state: { ...state, failures: state.failures + 1 } };
    const from = state.lastStep === null ? 0 : state.lastStep + 1;
    for (let c = from; c < from + this.resyncWindow; c++) {
      if (this.#key.truncated(c) % this.#mod !== v1) continue;
      if (this.#key.truncated(c + 1) % this.#mod === v2) {
        return { ok: true, step: c + 1, drift: c + 1 - from, delta: c + 1 - from, state: { lastStep: c + 1, offset: 0, failures: 0, lockedUntil: null } };
      }
    }
    return { ok: false, reason: 'invalid', state: { ...state, failures: state.failures + 1 } };
  }

  destroy(): void {
    this.#key.destroy();
  }
}

function checkWindow(name: string, w: number): number {
  if (!Number.isSafeInteger(w) || w < 0 || w > 1_000_000) throw new RangeError(`${name} must be an integer from 0 to 1000000, got ${w}`);
  return w;
}
