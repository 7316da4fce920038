/**
 * Codes checked the way IAM and STS check them, with the shared strict verifier
 * (src/otp/verifier.ts) over the device's stored state: enrollment and resync by two
 * consecutive codes, sign-in by one, and a code's step never accepted twice (the stored
 * `last_step` only grows, inside the call's transaction).
 */
import { type HashAlgorithm, TotpVerifier, type VerifierState, type VerifyResult } from '../../otp/index.js';
import type { MfaDeviceRow } from '../store/iam-store.js';
import type { MfaWindows } from './action.js';

function verifierFor(d: MfaDeviceRow, windows: MfaWindows): TotpVerifier {
  return new TotpVerifier(d.secret, {
    algorithm: d.algorithm as HashAlgorithm,
    digits: d.digits,
    period: d.period,
    window: windows.window,
    enrollWindow: windows.enrollWindow,
    resyncWindow: windows.resyncWindow,
  });
}

function stateOf(d: MfaDeviceRow): VerifierState {
  return { lastStep: d.lastStep, offset: d.stepOffset, failures: 0, lockedUntil: null };
}

function using(d: MfaDeviceRow, windows: MfaWindows, f: (v: TotpVerifier) => VerifyResult): VerifyResult {
  const v = verifierFor(d, windows);
  try {
    return f(v);
  } finally {
    v.destroy();
  }
}

/**
 * EnableMFADevice's check. The verifier's enrollment does not look at earlier history, but a
 * device that was assigned before (then deactivated) keeps its last accepted step: codes at or
 * below it stay spent.
 */
export function checkEnrollment(d: MfaDeviceRow, code1: string, code2: string, nowMs: number, windows: MfaWindows): VerifyResult {
  const r = using(d, windows, (v) => v.enroll(code1, code2, stateOf(d), Math.floor(nowMs / 1000)));
  if (r.ok && d.lastStep !== null && r.step - 1 <= d.lastStep) return { ok: false, reason: 'replay', state: stateOf(d), step: r.step };
  return r;
}

export function checkResync(d: MfaDeviceRow, code1: string, code2: string, nowMs: number, windows: MfaWindows): VerifyResult {
  return using(d, windows, (v) => v.resync(code1, code2, stateOf(d), Math.floor(nowMs / 1000)));
}

export function checkSignIn(d: MfaDeviceRow, code: string, nowMs: number, windows: MfaWindows): VerifyResult {
  return using(d, windows, (v) => v.verify(code, stateOf(d), Math.floor(nowMs / 1000)));
}
