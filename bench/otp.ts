/**
 * OTP benchmarks: tokenrig against otpauth, otplib and speakeasy, same secret, same time, in
 * the same run. Cases:
 * - generate: one TOTP code (SHA-1, 6 digits, 30 s) from a prepared generator;
 * - generate SHA-256 / SHA-512: the same with the RFC 6238 32- and 64-byte seeds;
 * - verify ±1 (valid): a code of the current step, window of one step either side;
 * - verify ±1 (wrong): a code matching no step in the window (every impl scans all of it);
 * - resync 24 h: two consecutive codes of a token 23 h 20 min fast, searched over ±2880 steps.
 * tokenrig verifies with its TotpVerifier (constant-time scan, no early exit); the peers with
 * their own validate/check calls, which stop at the first match. Every impl's answer is
 * checked once before it is measured.
 */
import otplib from 'otplib';
import * as OTPAuth from 'otpauth';
import speakeasy from 'speakeasy';
import { Totp, TotpVerifier, createVerifierState, hexEncode } from '../src/otp/index.js';
import { type BenchRow, type SuiteOptions, measureInterleaved } from './harness.js';

const SECRET = new TextEncoder().encode('12345678901234567890');
const HEX = hexEncode(SECRET);
const NOW = 1_700_000_015; // seconds
const NOW_MS = NOW * 1000;
const DAY_STEPS = 2880;
const DRIFT = 2800; // steps the resync token runs fast

type Impl = 'tokenrig' | 'otpauth' | 'otplib' | 'speakeasy';

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench/otp: ${what} gave a wrong answer; refusing to measure it`);
}

export function run(options: SuiteOptions): BenchRow[] {
  const rows: BenchRow[] = [];
  /** Measure every impl of one case, interleaved (see measureInterleaved). */
  const add = (caseName: string, fns: Record<Impl, () => unknown>): void => {
    // Each impl gets the per-case time budget.
    const rates = measureInterleaved(fns, { timeMs: options.timeMs });
    for (const impl of Object.keys(fns) as Impl[]) rows.push({ suite: 'otp', case: caseName, impl, opsPerSec: rates[impl]! });
  };

  const ours = new Totp(SECRET);
  const step = ours.counterAt(NOW);
  const code = ours.generate(NOW);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  check([-1, 0, 1].every((d) => ours.atCounter(step + d) !== wrong), 'the wrong code');
  const resync1 = ours.atCounter(step + DRIFT);
  const resync2 = ours.atCounter(step + DRIFT + 1);

  const oa = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromHex(HEX), algorithm: 'SHA1', digits: 6, period: 30 });
  const ol = otplib.totp.clone({ encoding: 'hex' as never, epoch: NOW_MS, step: 30, digits: 6, window: 1 });
  const olDay = otplib.totp.clone({ encoding: 'hex' as never, epoch: NOW_MS, step: 30, digits: 6, window: DAY_STEPS });
  const se = (extra: Partial<speakeasy.TotpVerifyOptions>): speakeasy.TotpVerifyOptions => ({ secret: HEX, encoding: 'hex', time: NOW, step: 30, digits: 6, token: code, ...extra });

  // generate
  check(oa.generate({ timestamp: NOW_MS }) === code && ol.generate(HEX) === code && speakeasy.totp({ secret: HEX, encoding: 'hex', time: NOW }) === code, 'generate');
  add('generate', {
    tokenrig: () => ours.generate(NOW),
    otpauth: () => oa.generate({ timestamp: NOW_MS }),
    otplib: () => ol.generate(HEX),
    speakeasy: () => speakeasy.totp({ secret: HEX, encoding: 'hex', time: NOW }),
  });

  // generate, SHA-256 and SHA-512 (RFC 6238 seeds of the hash's length)
  for (const [alg, seedText] of [
    ['SHA256', '12345678901234567890123456789012'],
    ['SHA512', '1234567890123456789012345678901234567890123456789012345678901234'],
  ] as const) {
    const seed = new TextEncoder().encode(seedText);
    const hex = hexEncode(seed);
    const lower = alg.toLowerCase() as 'sha256' | 'sha512';
    const t = new Totp(seed, { algorithm: alg });
    const o1 = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromHex(hex), algorithm: alg });
    const o2 = otplib.totp.clone({ encoding: 'hex' as never, epoch: NOW_MS, algorithm: lower as never });
    const expected = t.generate(NOW);
    const caseName = `generate ${alg.replace('SHA', 'SHA-')}`;
    check(o1.generate({ timestamp: NOW_MS }) === expected && o2.generate(hex) === expected && speakeasy.totp({ secret: hex, encoding: 'hex', time: NOW, algorithm: lower }) === expected, caseName);
    add(caseName, {
      tokenrig: () => t.generate(NOW),
      otpauth: () => o1.generate({ timestamp: NOW_MS }),
      otplib: () => o2.generate(hex),
      speakeasy: () => speakeasy.totp({ secret: hex, encoding: 'hex', time: NOW, algorithm: lower }),
    });
    t.destroy();
  }

  // verify ±1
  const verifier = new TotpVerifier(SECRET, { window: 1, resyncWindow: DAY_STEPS });
  const enrolled = { ...createVerifierState(), lastStep: step - 5 };
  for (const [name, token, expectOk] of [
    ['verify ±1 (valid)', code, true],
    ['verify ±1 (wrong)', wrong, false],
  ] as const) {
    check(verifier.verify(token, enrolled, NOW).ok === expectOk, `tokenrig ${name}`);
    check((oa.validate({ token, timestamp: NOW_MS, window: 1 }) !== null) === expectOk, `otpauth ${name}`);
    check(ol.check(token, HEX) === expectOk, `otplib ${name}`);
    check((speakeasy.totp.verifyDelta(se({ token, window: 1 })) !== undefined) === expectOk, `speakeasy ${name}`);
    add(name, {
      tokenrig: () => verifier.verify(token, enrolled, NOW),
      otpauth: () => oa.validate({ token, timestamp: NOW_MS, window: 1 }),
      otplib: () => ol.check(token, HEX),
      speakeasy: () => speakeasy.totp.verifyDelta(se({ token, window: 1 })),
    });
  }

  // resync over a day: find the first code in ±2880 steps, then the second at the next step.
  const name = 'resync 24 h';
  const oaResync = (): boolean => {
    const d = oa.validate({ token: resync1, timestamp: NOW_MS, window: DAY_STEPS });
    return d !== null && oa.generate({ timestamp: NOW_MS + (d + 1) * 30_000 }) === resync2;
  };
  const olResync = (): boolean => {
    const d = olDay.checkDelta(resync1, HEX);
    return d !== null && otplib.totp.clone({ encoding: 'hex' as never, epoch: NOW_MS + (d + 1) * 30_000 }).generate(HEX) === resync2;
  };
  const seResync = (): boolean => {
    const r = speakeasy.totp.verifyDelta(se({ token: resync1, window: DAY_STEPS }));
    return r !== undefined && speakeasy.totp({ secret: HEX, encoding: 'hex', time: NOW + (r.delta + 1) * 30 }) === resync2;
  };
  const state = createVerifierState();
  const r = verifier.resync(resync1, resync2, state, NOW);
  check(r.ok && r.step === step + DRIFT + 1, 'tokenrig resync');
  check(oaResync() && olResync() && seResync(), 'peer resync');
  add(name, {
    tokenrig: () => verifier.resync(resync1, resync2, state, NOW),
    otpauth: oaResync,
    otplib: olResync,
    speakeasy: seResync,
  });

  ours.destroy();
  verifier.destroy();
  return rows;
}
