/**
 * `tokenrig sim fido --uv auto|manual|deny`: the finger on a simulated key's fingerprint
 * sensor (keys with one, e.g. `--profile yubikey-bio`), like `--touch` for the button.
 *
 * - auto: enrollment samples are good, a verification is an enrolled finger (a match)
 * - deny: every verification is a finger the key does not know (enrollment still works)
 * - manual: a person (or a controller writing lines to stdin) chooses: when the key asks for a
 *   finger (`uv_requested` / `enroll_sample_requested` events), a line `1`..`N` touches with the
 *   N-th enrolled finger, `w` with a wrong one, `p` gives a poor sample, an empty line the first
 *   enrolled finger (or the finger being enrolled); nobody answering for 30 s is a timeout.
 */
import { type FingerprintSample, type FingerprintSensor, AutoFingerprint, type CaptureRequest, ManualFingerprint, WrongFingerprint } from '../../../firmware-sim/env/index.js';

export const UV_MODES = ['auto', 'manual', 'deny'] as const;
export type UvMode = (typeof UV_MODES)[number];

/** The sensor `--uv MODE` stands for. */
export function fingerprintSensorFor(mode: UvMode): FingerprintSensor {
  return mode === 'manual' ? new ManualFingerprint() : mode === 'deny' ? new WrongFingerprint() : new AutoFingerprint();
}

/** What a person is asked when the key wants a finger. */
export function fingerPrompt(request: CaptureRequest): string {
  if (request.purpose === 'enroll') return 'enrollment sample requested: Enter touches with the finger being enrolled, p gives a poor sample, w a finger already enrolled';
  const fingers = request.enrolled.map((f, i) => `${i + 1} = ${f.friendlyName ?? f.finger}`).join(', ');
  return `fingerprint requested: ${fingers}, w = a wrong finger (Enter: 1)`;
}

/**
 * Answer the waiting capture with a person's line; undefined when nothing waited or the line
 * means nothing (the capture keeps waiting), else what the finger was.
 */
export function answerFinger(sensor: ManualFingerprint, line: string): string | undefined {
  const request = sensor.pending;
  if (request === undefined) return undefined;
  const choice = line.trim().toLowerCase();
  if (choice === 'w') {
    // While enrolling, a "wrong" finger is one the key knows already (FP_EXISTS); else a stranger.
    const known = request.purpose === 'enroll' ? request.enrolled[0]?.finger : undefined;
    return (known === undefined ? sensor.touchWrong() : sensor.touch(known)) ? 'wrong finger' : undefined;
  }
  if (choice === 'p') {
    const finger = request.enrolling ?? request.enrolled[0]?.finger ?? 'finger-1';
    return sensor.touch({ finger, quality: 'poorQuality' } satisfies FingerprintSample) ? 'poor sample' : undefined;
  }
  if (choice === '') return sensor.touchEnrolled(0) ? (request.purpose === 'enroll' ? 'sample' : 'finger 1') : undefined;
  if (/^\d+$/.test(choice) && request.purpose === 'verify') {
    const n = Number(choice);
    return n >= 1 && sensor.touchEnrolled(n - 1) ? `finger ${n}` : undefined;
  }
  return undefined;
}
