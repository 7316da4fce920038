/**
 * `sim fido --uv manual`: what a person is asked when the key wants a finger, and what each
 * answer puts on the sensor (the line protocol the CLI reads from stdin).
 */
import { describe, expect, it } from 'vitest';
import { type CaptureRequest, ManualFingerprint } from '../../firmware-sim/env/index.js';
import { answerFinger, fingerPrompt, fingerprintSensorFor } from '../../src/cli/commands/sim-fido-uv.js';

const verify: CaptureRequest = { purpose: 'verify', timeoutMs: 30_000, enrolled: [{ finger: 'finger-1', friendlyName: 'thumb' }, { finger: 'finger-2' }] };

describe('sim fido --uv manual', () => {
  it('asks with the enrolled fingers by name, and for enrollment samples', () => {
    expect(fingerPrompt(verify)).toBe('fingerprint requested: 1 = thumb, 2 = finger-2, w = a wrong finger (Enter: 1)');
    expect(fingerPrompt({ ...verify, purpose: 'enroll' })).toMatch(/^enrollment sample requested: Enter touches/);
  });

  it('turns each answer into a finger on the sensor; nonsense keeps it waiting', async () => {
    const sensor = new ManualFingerprint();
    expect(answerFinger(sensor, '1')).toBeUndefined(); // nothing waits
    const answers: [string, string | undefined, unknown][] = [
      ['', 'finger 1', { finger: 'finger-1' }],
      ['2', 'finger 2', { finger: 'finger-2' }],
      ['w', 'wrong finger', { finger: 'wrong-finger-1' }],
    ];
    for (const [line, said, sample] of answers) {
      const capture = sensor.capture(verify);
      expect(answerFinger(sensor, 'banana')).toBeUndefined();
      expect(answerFinger(sensor, '3')).toBeUndefined(); // only two are enrolled
      expect(answerFinger(sensor, line)).toBe(said);
      expect(await capture).toEqual(sample);
    }
    const enrolling = sensor.capture({ purpose: 'enroll', timeoutMs: 30_000, enrolled: [{ finger: 'finger-1' }], enrolling: 'finger-2' });
    expect(answerFinger(sensor, 'p')).toBe('poor sample');
    expect(await enrolling).toEqual({ finger: 'finger-2', quality: 'poorQuality' });
    const again = sensor.capture({ purpose: 'enroll', timeoutMs: 30_000, enrolled: [{ finger: 'finger-1' }], enrolling: 'finger-2' });
    expect(answerFinger(sensor, 'w')).toBe('wrong finger');
    expect(await again).toEqual({ finger: 'finger-1' }); // an enrolled finger: the key answers FP_EXISTS
  });

  it('auto, manual and deny are the three sensors', () => {
    expect(fingerprintSensorFor('auto').constructor.name).toBe('AutoFingerprint');
    expect(fingerprintSensorFor('manual').constructor.name).toBe('ManualFingerprint');
    expect(fingerprintSensorFor('deny').constructor.name).toBe('WrongFingerprint');
  });
});
