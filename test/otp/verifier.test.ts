import { describe, expect, it } from 'vitest';
import { DriftingClock, ManualClock } from '../../src/clock/index.js';
import { HotpVerifier, OtpKey, Totp, TotpVerifier, checkVerifierState, createVerifierState, lockoutAfter } from '../../src/otp/index.js';

const SECRET = new TextEncoder().encode('tokenrig-verifier-secret');
const START = 1_700_000_000; // seconds; a step boundary is at 1_699_999_980

/** A token (its own crystal) and the service clock, both on one manual base clock. */
function rig(tokenOffsetSeconds = 0) {
  const base = new ManualClock(START * 1000);
  const crystal = new DriftingClock(base, { offsetMs: tokenOffsetSeconds * 1000 });
  const totp = new Totp(SECRET);
  return {
    base,
    /** What the token shows now. */
    code: () => totp.generate(crystal.now() / 1000),
    now: () => base.now() / 1000,
    advance: (s: number) => base.advance(s * 1000),
  };
}

function enrolled(v: TotpVerifier, r: ReturnType<typeof rig>) {
  const c1 = r.code();
  r.advance(30);
  const c2 = r.code();
  const e = v.enroll(c1, c2, createVerifierState(), r.now());
  expect(e.ok).toBe(true);
  return e.state;
}

describe('TotpVerifier', () => {
  it('enrolls two consecutive codes and accepts the next step', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const state = enrolled(v, r);
    expect(state.lastStep).toBe(v.stepAt(r.now()));
    r.advance(30);
    const ok = v.verify(r.code(), state, r.now());
    expect(ok).toMatchObject({ ok: true, drift: 0, delta: 0 });
  });

  it('refuses two codes that are not consecutive', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const c1 = r.code();
    r.advance(60);
    const c3 = r.code();
    expect(v.enroll(c1, c3, createVerifierState(), r.now())).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('finds the drift of a token one step fast and remembers it', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    let state = enrolled(v, r);
    // The token's crystal gains 30 s: its codes are one step ahead of the service clock.
    const fast = new Totp(SECRET);
    r.advance(30);
    const res = v.verify(fast.generate(r.now() + 30), state, r.now());
    expect(res).toMatchObject({ ok: true, drift: 1, delta: 1 });
    state = res.state;
    expect(state.offset).toBe(1);
    // With the offset stored, the next code one step ahead is expected (delta 0).
    r.advance(30);
    expect(v.verify(fast.generate(r.now() + 30), state, r.now())).toMatchObject({ ok: true, drift: 1, delta: 0 });
  });

  it('refuses a replayed code and an older code (single use)', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    let state = enrolled(v, r);
    r.advance(30);
    const code = r.code();
    const first = v.verify(code, state, r.now());
    expect(first.ok).toBe(true);
    state = first.state;
    expect(v.verify(code, state, r.now())).toMatchObject({ ok: false, reason: 'replay' });
    // The enrollment's second code is inside the window but at an already-spent step.
    const previous = new Totp(SECRET).generate(r.now() - 30);
    expect(v.verify(previous, state, r.now())).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('rejects a wrong or malformed code and counts failures', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const state = enrolled(v, r);
    const wrong = String((Number(r.code()) + 1) % 1e6).padStart(6, '0');
    const a = v.verify(wrong, state, r.now() + 30);
    expect(a).toMatchObject({ ok: false, reason: 'invalid' });
    expect(a.state.failures).toBe(1);
    expect(v.verify('12a456', a.state, r.now())).toMatchObject({ ok: false, reason: 'malformed', state: { failures: 2 } });
    expect(v.verify('1234567', a.state, r.now())).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('enrollment with codes entered too late fails, then resync succeeds', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    // The QA engineer reads two codes, then types them 10 minutes later.
    const c1 = r.code();
    r.advance(30);
    const c2 = r.code();
    r.advance(600);
    const late = v.enroll(c1, c2, createVerifierState(), r.now());
    expect(late).toMatchObject({ ok: false, reason: 'invalid' });
    // Resync with the same late pair searches the large window and enrolls, recording the lag.
    const resynced = v.resync(c1, c2, late.state, r.now());
    expect(resynced).toMatchObject({ ok: true, drift: -20 });
    expect(resynced.state.offset).toBe(-20);
    // A token that really runs 10 minutes slow is now accepted with delta 0.
    const slow = new Totp(SECRET);
    r.advance(30);
    expect(v.verify(slow.generate(r.now() - 600), resynced.state, r.now())).toMatchObject({ ok: true, delta: 0, drift: -20 });
  });

  it('an enrolled token that drifts 10 minutes fast fails sign-in, then resync succeeds', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const state = enrolled(v, r);
    const fast = new Totp(SECRET);
    r.advance(30);
    const s1 = fast.generate(r.now() + 600);
    expect(v.verify(s1, state, r.now())).toMatchObject({ ok: false, reason: 'invalid' });
    r.advance(30);
    const s2 = fast.generate(r.now() + 600);
    const resynced = v.resync(s1, s2, state, r.now());
    expect(resynced).toMatchObject({ ok: true, drift: 20 });
    r.advance(30);
    expect(v.verify(fast.generate(r.now() + 600), resynced.state, r.now())).toMatchObject({ ok: true, delta: 0, drift: 20 });
  });

  it('resyncs a token that drifted a whole day, and not beyond the window', () => {
    const v = new TotpVerifier(SECRET);
    const narrow = new TotpVerifier(SECRET, { resyncWindow: 100 });
    const t = new Totp(SECRET);
    for (const day of [86_400, -86_400]) {
      const r = rig();
      // Fast: resync from an enrolled state. Slow: from a fresh one (an enrolled state would
      // refuse steps it already spent, see the next test).
      const state = day > 0 ? enrolled(v, r) : createVerifierState();
      r.advance(30);
      const c1 = t.generate(r.now() + day);
      const c2 = t.generate(r.now() + day + 30);
      const res = v.resync(c1, c2, state, r.now());
      expect(res).toMatchObject({ ok: true, drift: day / 30 + 1 });
      expect(narrow.resync(c1, c2, state, r.now())).toMatchObject({ ok: false, reason: 'invalid' });
    }
  });

  it('an enrolled token whose clock went back shows spent steps: resync refuses them as replays', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const state = enrolled(v, r);
    const t = new Totp(SECRET);
    r.advance(30);
    const res = v.resync(t.generate(r.now() - 600), t.generate(r.now() - 570), state, r.now());
    expect(res).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('resync refuses codes at or below the last accepted step', () => {
    const v = new TotpVerifier(SECRET);
    const r = rig();
    const t = new Totp(SECRET);
    const c1 = r.code();
    r.advance(30);
    const c2 = r.code();
    const e = v.enroll(c1, c2, createVerifierState(), r.now());
    expect(e.ok).toBe(true);
    expect(v.resync(c1, c2, e.state, r.now())).toMatchObject({ ok: false, reason: 'replay' });
    expect(t.generate(r.now())).toBe(c2);
  });

  it('locks out after repeated failures through the policy hook', () => {
    const v = new TotpVerifier(SECRET, { lockout: lockoutAfter(3, 60) });
    const r = rig();
    let state = enrolled(v, r);
    for (let i = 0; i < 3; i++) state = v.verify('000000', state, r.now()).state;
    expect(state.lockedUntil).toBe(r.now() + 60);
    r.advance(30);
    // A correct code during the lockout is refused too.
    expect(v.verify(r.code(), state, r.now())).toMatchObject({ ok: false, reason: 'locked' });
    r.advance(31);
    expect(v.verify(r.code(), state, r.now())).toMatchObject({ ok: true });
  });

  it('refuses to verify before enrollment, and validates stored state', () => {
    const v = new TotpVerifier(SECRET);
    expect(v.verify('123456', createVerifierState(), START)).toMatchObject({ ok: false, reason: 'not-enrolled' });
    const round = checkVerifierState(JSON.parse(JSON.stringify({ lastStep: 5, offset: -2, failures: 0, lockedUntil: null })));
    expect(round).toEqual({ lastStep: 5, offset: -2, failures: 0, lockedUntil: null });
    expect(() => checkVerifierState({ lastStep: 'x', offset: 0, failures: 0, lockedUntil: null })).toThrow(/lastStep/);
  });

  it('honours digits, period and algorithm', () => {
    const v = new TotpVerifier(SECRET, { digits: 8, period: 60, algorithm: 'SHA256', window: 0 });
    const t = new Totp(SECRET, { digits: 8, period: 60, algorithm: 'SHA256' });
    const e = v.enroll(t.generate(START), t.generate(START + 60), createVerifierState(), START + 60);
    expect(e).toMatchObject({ ok: true, drift: 0 });
    // START + 120 and START + 130 share a 60-second step (the next starts at START + 160).
    expect(v.verify(t.generate(START + 120), e.state, START + 130)).toMatchObject({ ok: true });
    expect(v.verify(t.generate(START + 120), e.state, START + 170)).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('HotpVerifier', () => {
  it('accepts within the look-ahead, refuses replays, resyncs by two codes', () => {
    const key = new OtpKey(SECRET);
    const v = new HotpVerifier(SECRET, { window: 5, resyncWindow: 100 });
    let state = createVerifierState();
    const r1 = v.verify(key.hotp(3), state);
    expect(r1).toMatchObject({ ok: true, step: 3 });
    state = r1.state;
    expect(v.verify(key.hotp(3), state)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(v.verify(key.hotp(40), state)).toMatchObject({ ok: false });
    const rs = v.resync(key.hotp(40), key.hotp(41), state);
    expect(rs).toMatchObject({ ok: true, step: 41 });
    expect(v.verify(key.hotp(42), rs.state)).toMatchObject({ ok: true, step: 42 });
  });
});

describe('base32 errors name the real problem', () => {
  it('reports a bad character before an impossible length', async () => {
    const { base32Decode } = await import('../../src/otp/index.js');
    // 9 characters is an impossible length, but the 1 is what the user must fix.
    expect(() => base32Decode('JBSWY3DP1')).toThrow(/invalid character "1" at position 9/);
    expect(() => base32Decode('JBSWY3DPE')).toThrow(/length of 9/);
  });
});
