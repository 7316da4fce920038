/**
 * Built-in user verification with a fingerprint sensor (CTAP 2.1 §6.5.2.2): performBuiltInUv
 * over the environment's sensor (firmware-sim/env/fingerprint.ts) and the templates bio
 * enrollment stored, with the persistent uvRetries counter. Bio enrollment
 * (commands/bio-enrollment.ts) asks the sensor for samples through `captureFinger` too.
 *
 * @example
 * ```ts
 * const fido = await FidoAuthenticator.create(createTestEnvironment({ fingerprint: new ScriptedFingerprint(['finger-1']) }).env, FIDO_PROFILES['yubikey-bio']);
 * ```
 */
import { KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import type { FingerprintSensorProfile } from '../../devices/fido-profile.js';
import type { CtapHidContext } from '../ctaphid/index.js';
import { AutoFingerprint, type DeviceEnvironment, type EnrolledFinger, type FingerprintSample, type FingerprintSensor } from '../env/index.js';
import { type FidoDevice, USER_PRESENCE_TIMEOUT_MS } from './device.js';
import { S, fail } from './errors.js';
import type { FidoProfile } from './profile.js';
import type { BioTemplate } from './state.js';
import type { UserVerifier, UvOutcome } from './user-verification.js';

/** The finger on the sensor when the environment names none: a cooperative user. */
const COOPERATIVE = new AutoFingerprint();

/** The sensor of `env`. */
export function fingerprintSensorOf(env: DeviceEnvironment): FingerprintSensor {
  return env.fingerprint ?? COOPERATIVE;
}

/** The profile's fingerprint sensor; RangeError for a key without one (a bio family on such a key is a bug). */
export function sensorProfile(device: FidoDevice): Readonly<FingerprintSensorProfile> {
  const p = device.profile.fingerprintSensor;
  if (p === undefined) throw new RangeError(`FIDO profile ${device.profile.product} has no fingerprint sensor`);
  return p;
}

/** A template's name for events and people: its friendly name, else its id in hex. */
export function templateLabel(t: BioTemplate): string {
  return t.friendlyName ?? Buffer.from(t.id).toString('hex');
}

/** The enrolled fingers as the simulated user knows them. */
export function enrolledFingers(device: FidoDevice): EnrolledFinger[] {
  return device.store.readTemplates().map((t) => (t.friendlyName === undefined ? { finger: t.finger } : { finger: t.finger, friendlyName: t.friendlyName }));
}

/**
 * Ask the sensor for a finger, with keepalives UPNEEDED meanwhile (the key waits for the user),
 * and an event a person or controller can act on (`uv_requested` for a match,
 * `enroll_sample_requested` for enrollment). Undefined when nobody touched in time;
 * CTAP2_ERR_KEEPALIVE_CANCEL when the host cancelled.
 */
export async function captureFinger(
  device: FidoDevice,
  ctx: CtapHidContext,
  request: { purpose: 'enroll' | 'verify'; reason: string; timeoutMs: number; enrolling?: string },
): Promise<FingerprintSample | undefined> {
  ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
  const capture = fingerprintSensorOf(device.env).capture({
    purpose: request.purpose,
    timeoutMs: request.timeoutMs,
    signal: ctx.signal,
    enrolled: enrolledFingers(device),
    ...(request.enrolling === undefined ? {} : { enrolling: request.enrolling }),
  });
  // Announced once the sensor waits, so whoever answers sees the request it answers.
  device.emit({
    event: request.purpose === 'verify' ? 'uv_requested' : 'enroll_sample_requested',
    reason: request.reason,
    fingers: device.store.readTemplates().map(templateLabel),
  });
  const sample = await capture;
  ctx.keepalive(KEEPALIVE_STATUS.PROCESSING);
  if (ctx.signal.aborted) throw fail(S.CTAP2_ERR_KEEPALIVE_CANCEL);
  return sample;
}

/** performBuiltInUv with the fingerprint sensor (§6.5.2.2). */
export class FingerprintVerifier implements UserVerifier {
  readonly #device: FidoDevice;
  readonly #sensor: Readonly<FingerprintSensorProfile>;

  constructor(device: FidoDevice, sensor: Readonly<FingerprintSensorProfile>) {
    this.#device = device;
    this.#sensor = sensor;
  }

  configured(): boolean {
    return this.#device.store.readTemplates().length > 0;
  }

  /** uvRetries; 0 while the PIN is blocked, which disables built-in UV as well (§6.5.2.2). */
  retries(): number {
    const pin = this.#device.store.readPin();
    if (pin.hash !== undefined && pin.retries <= 0) return 0;
    return this.#device.store.readUvRetries(this.#sensor.maxUvRetries);
  }

  restore(): void {
    if (this.retries() !== this.#sensor.maxUvRetries) this.#device.store.writeUvRetries(this.#sensor.maxUvRetries);
  }

  async perform(ctx: CtapHidContext, why: string, internalRetry: boolean): Promise<UvOutcome> {
    const device = this.#device;
    let left = this.retries();
    if (!this.configured()) return 'failed';
    const attempts = internalRetry ? this.#sensor.maxUvAttemptsForInternalRetries : 1;
    for (let i = 0; i < attempts && left > 0; i++) {
      const sample = await captureFinger(device, ctx, { purpose: 'verify', reason: why, timeoutMs: USER_PRESENCE_TIMEOUT_MS });
      if (sample === undefined) {
        device.emit({ event: 'uv_timeout', reason: why });
        return 'timeout';
      }
      // The attempt counts before the match is known, so pulling the plug mid-match still costs one.
      device.store.writeUvRetries(--left);
      const match = (sample.quality ?? 'good') === 'good' ? device.store.readTemplates().find((t) => t.finger === sample.finger) : undefined;
      if (match !== undefined) {
        device.store.writeUvRetries(this.#sensor.maxUvRetries);
        device.emit({ event: 'uv_verified', reason: why, finger: templateLabel(match) });
        return 'verified';
      }
      device.emit({ event: 'uv_failed', reason: why, uvRetries: left });
    }
    return 'failed';
  }
}

/** The verifier a profile with a fingerprint sensor gets (undefined for a key without one). */
export function fingerprintVerifier(profile: FidoProfile): ((device: FidoDevice) => UserVerifier) | undefined {
  const sensor = profile.fingerprintSensor;
  return sensor === undefined ? undefined : (device) => new FingerprintVerifier(device, sensor);
}
