/**
 * `sim fido --uv manual` and `startFidoKey({ uv: 'manual' })`: what a person is asked when the
 * key wants a finger, and what each answer (a stdin line, or `placeFinger`) puts on the sensor.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureRequest } from '../../firmware-sim/env/index.js';
import { answerFinger, fingerPrompt } from '../../src/cli/commands/sim-fido-uv.js';
import type { FidoKey } from '../../src/sim/index.js';

const verify: CaptureRequest = { purpose: 'verify', timeoutMs: 30_000, enrolled: [{ finger: 'finger-1', friendlyName: 'thumb' }, { finger: 'finger-2' }] };

/** A key whose sensor waits for `request` and records what was placed. */
function waitingKey(request: CaptureRequest | undefined) {
  const placed: unknown[] = [];
  const key = {
    fingerRequest: () => request,
    placeFinger: (f: unknown) => {
      if (typeof f === 'number' && request?.purpose === 'verify' && f > request.enrolled.length) return false;
      placed.push(f);
      return true;
    },
  } as unknown as FidoKey;
  return { key, placed };
}

describe('sim fido --uv manual', () => {
  it('asks with the enrolled fingers by name, and for enrollment samples', () => {
    expect(fingerPrompt(verify)).toBe('fingerprint requested: 1 = thumb, 2 = finger-2, w = a wrong finger (Enter: 1)');
    expect(fingerPrompt({ ...verify, purpose: 'enroll' })).toMatch(/^enrollment sample requested: Enter touches/);
  });

  it('turns each line into a finger; nonsense, or no request, keeps the sensor as it is', () => {
    expect(answerFinger(waitingKey(undefined).key, '1')).toBeUndefined();
    const { key, placed } = waitingKey(verify);
    expect(['', '2', 'w', 'p', 'n', 'banana', '3', '-1'].map((l) => answerFinger(key, l))).toEqual(['finger 1', 'finger 2', 'wrong finger', 'poor sample', 'no finger', undefined, undefined, undefined]);
    expect(placed).toEqual([1, 2, 'wrong', 'poor', 'none']);
    const enrolling = waitingKey({ purpose: 'enroll', timeoutMs: 30_000, enrolled: [], enrolling: 'finger-2' });
    expect(['', '2'].map((l) => answerFinger(enrolling.key, l))).toEqual(['sample', undefined]);
  });
});
