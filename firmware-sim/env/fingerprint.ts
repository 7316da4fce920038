/**
 * The fingerprint sensor of a key with built-in user verification (CTAP 2.1 §6.7 bio
 * enrollment, §6.5.2.2 performBuiltInUv). Like user presence (presence.ts) it is the world
 * outside the firmware: the firmware asks for a finger; the environment decides whether one
 * comes, which one (an enrolled finger or a wrong one) and how good the sample is.
 *
 * A finger is named by the simulation ("finger-1", "right-thumb"); the firmware keeps the name
 * as the template it enrolled, so a later touch with the same name matches it. A real sensor
 * compares ridges; the simulation compares names.
 *
 * @example
 * ```ts
 * const sensor = new ScriptedFingerprint(['right-thumb', 'right-thumb', 'left-index', null]);
 * // two samples of one finger, then a wrong finger, then nobody touches (a timeout)
 * ```
 */
import { type Timers, realTimers } from './presence.js';

/** A finger the key has enrolled, as the simulated user knows it. */
export interface EnrolledFinger {
  /** The simulation's name of the finger. */
  finger: string;
  /** The templateFriendlyName the platform gave it, if any. */
  friendlyName?: string;
}

export interface CaptureRequest {
  /** `enroll`: a sample for bio enrollment; `verify`: a match attempt (built-in UV). */
  purpose: 'enroll' | 'verify';
  /** Nobody touched after this long: the capture resolves undefined. */
  timeoutMs: number;
  /** Aborted when the host cancels (CTAPHID_CANCEL) or the device power-cycles. */
  signal?: AbortSignal;
  /**
   * The fingers enrolled now. A real sensor needs no such list; the simulated user does, to
   * present an enrolled finger (auto), a finger that is not (deny), or to offer the choice on a
   * terminal (manual).
   */
  enrolled: readonly EnrolledFinger[];
  /** While enrolling: the finger the enrollment in progress has taken samples of. */
  enrolling?: string;
}

/**
 * How a sample turned out besides which finger gave it: the sensor-side causes of CTAP 2.1
 * §6.7's lastEnrollSampleStatus values (the firmware itself finds FP_EXISTS and MERGE_FAILURE).
 */
export const SAMPLE_QUALITIES = [
  'good',
  'tooHigh',
  'tooLow',
  'tooLeft',
  'tooRight',
  'tooFast',
  'tooSlow',
  'poorQuality',
  'tooSkewed',
  'tooShort',
  'noPresenceTransition',
] as const;
export type SampleQuality = (typeof SAMPLE_QUALITIES)[number];

/** One touch of the sensor. */
export interface FingerprintSample {
  finger: string;
  /** Default 'good'. */
  quality?: SampleQuality;
}

export interface FingerprintSensor {
  /** Resolves with the sample taken, or undefined when nobody touched in time or the request was aborted. */
  capture(request: CaptureRequest): Promise<FingerprintSample | undefined>;
}

/** A finger name that is not enrolled: `${base}-N` for the smallest N free. */
export function unenrolledFinger(enrolled: readonly EnrolledFinger[], base = 'finger'): string {
  const taken = new Set(enrolled.map((e) => e.finger));
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** The finger an enrollment sample comes from when the user just goes along: the one being enrolled, or a new one. */
function enrollingFinger(request: CaptureRequest): string {
  return request.enrolling ?? unenrolledFinger(request.enrolled);
}

/**
 * A cooperative user: enrollment samples are good samples of a new finger; a verification is a
 * touch with the first enrolled finger (a match).
 */
export class AutoFingerprint implements FingerprintSensor {
  async capture(request: CaptureRequest): Promise<FingerprintSample | undefined> {
    if (request.signal?.aborted === true) return undefined;
    if (request.purpose === 'enroll') return { finger: enrollingFinger(request) };
    return { finger: request.enrolled[0]?.finger ?? unenrolledFinger(request.enrolled) };
  }
}

/**
 * A stranger at verification: every match attempt is a finger the key has not enrolled, so
 * built-in UV fails and its retries run down. Enrollment still takes good samples, so a test can
 * enroll and then watch verification fail.
 */
export class WrongFingerprint implements FingerprintSensor {
  async capture(request: CaptureRequest): Promise<FingerprintSample | undefined> {
    if (request.signal?.aborted === true) return undefined;
    if (request.purpose === 'enroll') return { finger: enrollingFinger(request) };
    return { finger: unenrolledFinger(request.enrolled, 'wrong-finger') };
  }
}

/** One scripted answer: a finger name (a good sample), a sample, or null (nobody touches). */
export type ScriptedTouch = string | FingerprintSample | null;

/** Answers from a script, in order; `fallback` (default: a cooperative user) once it is used up. */
export class ScriptedFingerprint implements FingerprintSensor {
  readonly #touches: ScriptedTouch[];
  readonly #fallback: FingerprintSensor;
  /** Every request the firmware made, in order. */
  readonly requests: CaptureRequest[] = [];

  constructor(touches: readonly ScriptedTouch[], fallback: FingerprintSensor = new AutoFingerprint()) {
    this.#touches = [...touches];
    this.#fallback = fallback;
  }

  /** Add answers at the end of the script. */
  push(...touches: ScriptedTouch[]): void {
    this.#touches.push(...touches);
  }

  async capture(request: CaptureRequest): Promise<FingerprintSample | undefined> {
    this.requests.push(request);
    if (request.signal?.aborted === true) return undefined;
    if (this.#touches.length === 0) return this.#fallback.capture(request);
    const t = this.#touches.shift()!;
    return t === null ? undefined : typeof t === 'string' ? { finger: t } : t;
  }
}

/**
 * A finger put on the sensor from outside: a person choosing on a terminal, a controller, or a
 * test calling `touch()`. A capture waits until then, or until its timeout (nobody touched).
 */
export class ManualFingerprint implements FingerprintSensor {
  readonly #timers: Timers;
  #pending: { request: CaptureRequest; finish: (sample: FingerprintSample | undefined) => void } | undefined;
  /** Called whenever the firmware starts waiting for a finger (to ask the person). */
  onWaiting: ((request: CaptureRequest) => void) | undefined;

  constructor(timers: Timers = realTimers) {
    this.#timers = timers;
  }

  /** The capture waiting for a finger, if any (what it is for, which fingers are enrolled). */
  get pending(): CaptureRequest | undefined {
    return this.#pending?.request;
  }

  /** Put a finger on the sensor: the waiting capture takes it. Returns false when nothing waited. */
  touch(sample: FingerprintSample | string): boolean {
    const p = this.#pending;
    if (p === undefined) return false;
    p.finish(typeof sample === 'string' ? { finger: sample } : sample);
    return true;
  }

  /** Touch with the n-th enrolled finger (0-based), or the finger being enrolled (or a new one) while enrolling. */
  touchEnrolled(index = 0): boolean {
    const r = this.#pending?.request;
    if (r === undefined) return false;
    if (r.purpose === 'enroll') return this.touch(enrollingFinger(r));
    const finger = r.enrolled[index]?.finger;
    return finger !== undefined && this.touch(finger);
  }

  /** Take the finger away: the waiting capture ends as if nobody touched. Returns false when nothing waited. */
  withdraw(): boolean {
    const p = this.#pending;
    if (p === undefined) return false;
    p.finish(undefined);
    return true;
  }

  /** Touch with a finger the key has not enrolled. */
  touchWrong(): boolean {
    const r = this.#pending?.request;
    return r !== undefined && this.touch(unenrolledFinger(r.enrolled, 'wrong-finger'));
  }

  capture(request: CaptureRequest): Promise<FingerprintSample | undefined> {
    if (request.signal?.aborted === true) return Promise.resolve(undefined);
    // One sensor, one finger: a capture that starts ends the one before it (nobody touched).
    this.#pending?.finish(undefined);
    return new Promise((resolve) => {
      const finish = (sample: FingerprintSample | undefined): void => {
        if (this.#pending?.finish !== finish) return;
        this.#pending = undefined;
        this.#timers.clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(sample);
      };
      const onAbort = (): void => finish(undefined);
      const timer = this.#timers.setTimeout(() => finish(undefined), request.timeoutMs);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending = { request, finish };
      this.onWaiting?.(request);
    });
  }
}
