/**
 * The fingerprint sensor twins of firmware-sim/env/fingerprint.ts: a cooperative user, a
 * stranger, a script, and a finger put on from outside (with its timeout and abort).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.js';
import { AutoFingerprint, type CaptureRequest, ManualFingerprint, ScriptedFingerprint, WrongFingerprint, unenrolledFinger } from '../../firmware-sim/env/index.js';
import { ManualTimers } from '../support/manual-timers.js';

const verify = (enrolled: string[], extra: Partial<CaptureRequest> = {}): CaptureRequest => ({ purpose: 'verify', timeoutMs: 1000, enrolled: enrolled.map((finger) => ({ finger })), ...extra });
const enroll = (enrolled: string[], enrolling?: string): CaptureRequest => ({ purpose: 'enroll', timeoutMs: 1000, enrolled: enrolled.map((finger) => ({ finger })), ...(enrolling === undefined ? {} : { enrolling }) });

describe('fingerprint sensor twins', () => {
  it('AutoFingerprint enrolls new fingers and verifies with an enrolled one; WrongFingerprint never matches', async () => {
    const auto = new AutoFingerprint();
    expect(await auto.capture(enroll(['finger-1']))).toEqual({ finger: 'finger-2' });
    expect(await auto.capture(enroll(['finger-1'], 'finger-2'))).toEqual({ finger: 'finger-2' });
    expect(await auto.capture(verify(['thumb', 'index']))).toEqual({ finger: 'thumb' });
    const wrong = new WrongFingerprint();
    expect(await wrong.capture(enroll([]))).toEqual({ finger: 'finger-1' });
    expect(await wrong.capture(verify(['wrong-finger-1']))).toEqual({ finger: 'wrong-finger-2' });
    const aborted = new AbortController();
    aborted.abort();
    expect(await auto.capture(verify(['thumb'], { signal: aborted.signal }))).toBeUndefined();
    expect(unenrolledFinger([{ finger: 'finger-1' }, { finger: 'finger-3' }])).toBe('finger-2');
  });

  it('ScriptedFingerprint answers in order, records the requests, then falls back', async () => {
    const s = new ScriptedFingerprint(['thumb', null, { finger: 'thumb', quality: 'tooFast' }], new WrongFingerprint());
    expect(await s.capture(verify(['thumb']))).toEqual({ finger: 'thumb' });
    expect(await s.capture(verify(['thumb']))).toBeUndefined();
    expect(await s.capture(verify(['thumb']))).toEqual({ finger: 'thumb', quality: 'tooFast' });
    expect(await s.capture(verify(['thumb']))).toEqual({ finger: 'wrong-finger-1' });
    expect(s.requests.length).toBe(4);
  });

  it('ManualFingerprint waits for a touch, times out, and stops on abort', async () => {
    const clock = new ManualClock(0);
    const timers = new ManualTimers(clock);
    const m = new ManualFingerprint(timers);
    const asked: string[] = [];
    m.onWaiting = (r) => asked.push(r.purpose);
    expect(m.touch('thumb')).toBe(false); // nothing waits
    const first = m.capture(verify(['thumb', 'index']));
    expect(m.pending?.enrolled.length).toBe(2);
    expect(m.touchEnrolled(1)).toBe(true);
    expect(await first).toEqual({ finger: 'index' });
    const second = m.capture(verify(['thumb']));
    expect(m.touchWrong()).toBe(true);
    expect(await second).toEqual({ finger: 'wrong-finger-1' });
    const third = m.capture(verify(['thumb']));
    timers.advance(999);
    expect(m.pending).toBeDefined();
    timers.advance(1);
    expect(await third).toBeUndefined();
    expect(m.pending).toBeUndefined();
    const ctl = new AbortController();
    const fourth = m.capture(verify(['thumb'], { signal: ctl.signal }));
    ctl.abort();
    expect(await fourth).toBeUndefined();
    expect(timers.pending).toBe(0);
    const fifth = m.capture(enroll([], 'finger-7'));
    expect(m.touchEnrolled()).toBe(true);
    expect(await fifth).toEqual({ finger: 'finger-7' });
    expect(asked).toEqual(['verify', 'verify', 'verify', 'verify', 'enroll']);
  });
});
