/**
 * `startFidoKey`: a simulated FIDO2/U2F security key in this process, reachable over UDP HID
 * (the SoloKeys contract python-fido2, libfido2's test tools and `tokenrig fido` speak).
 */
import { DEVICE_PROFILES } from '../../devices/index.js';
import { FIDO_PROFILES, type FidoProfile, fidoPersonality } from '../../firmware-sim/fido/index.js';
import { type CaptureRequest, ManualFingerprint, ManualPresence } from '../../firmware-sim/env/index.js';
import type { Clock } from '../clock/index.js';
import { badInput } from '../errors.js';
import { toBase64Url } from '../webauthn/base64url.js';
import { type Device, type DeviceStartOptions, type FidoStartOptions, type TouchMode, type UvMode, hasFido, resolveProfile, startDevice, wrongProfile } from './device.js';
import { type SimulatedDevice, deviceControls } from './otp-token.js';

/** A resident (discoverable) credential the key holds: who it is for, never its key. */
export interface SimCredential {
  /** The credential ID, base64url (what `allowCredentials` and the assertion's `id` carry). */
  readonly id: string;
  readonly rpId: string;
  /** The user handle, base64url. */
  readonly userId: string;
  readonly userName: string | undefined;
  readonly displayName: string | undefined;
  /** When it was made, on the key's clock (ISO 8601). */
  readonly created: string;
}

/** A running simulated FIDO key. */
export interface FidoKey extends SimulatedDevice {
  /** Its identity: AAGUID, USB ids, product name, attestation kind, firmware version. */
  readonly fidoProfile: FidoProfile;
  /** How touches are answered. */
  readonly touchMode: TouchMode;
  /** Touch the key (`touch: 'manual'`): every request waiting for a touch is granted; returns how many. */
  touch(): number;
  /** How the finger on the fingerprint sensor is answered (keys with one; `custom`: a sensor of the caller's). */
  readonly uvMode: UvMode | 'custom';
  /** What the sensor waits for (`uv: 'manual'`): a match or an enrollment sample, with the fingers enrolled; undefined when nothing. */
  fingerRequest(): CaptureRequest | undefined;
  /**
   * Put a finger on the sensor (`uv: 'manual'`): `n` the n-th enrolled finger (1-based; while
   * enrolling, the finger being enrolled), `'wrong'` one the key does not know (while enrolling,
   * one it has already: FP_EXISTS), `'poor'` a poor sample, `'none'` nobody (as a timeout).
   * Returns false when the sensor waited for nothing (or there is no n-th finger).
   */
  placeFinger(finger: number | 'wrong' | 'poor' | 'none'): boolean;
  /** The resident credentials it holds, oldest first. */
  credentials(): SimCredential[];
  /** Unplug and plug it back in: PIN tokens and channels dropped, the 10 s reset window opens again. */
  powerCycle(): void;
}

/** The FIDO controls of a device that has an authenticator. */
export function fidoControls(device: Device): Omit<FidoKey, keyof SimulatedDevice> {
  const authenticator = device.authenticator!;
  return {
    fidoProfile: authenticator.profile,
    touchMode: device.touch,
    touch: () => (device.presence instanceof ManualPresence ? device.presence.press() : 0),
    uvMode: device.uv,
    fingerRequest: () => (device.fingerprint instanceof ManualFingerprint ? device.fingerprint.pending : undefined),
    placeFinger: (finger) => (device.fingerprint instanceof ManualFingerprint ? placeFinger(device.fingerprint, finger) : false),
    credentials: () =>
      [...authenticator.residentCredentials()]
        .sort((a, b) => a.createdMs - b.createdMs)
        .map((c) => ({ id: toBase64Url(c.id), rpId: c.rpId, userId: toBase64Url(c.userId), userName: c.userName, displayName: c.displayName, created: new Date(c.createdMs).toISOString() })),
    powerCycle: () => authenticator.powerCycle(),
  };
}

function placeFinger(sensor: ManualFingerprint, finger: number | 'wrong' | 'poor' | 'none'): boolean {
  const request = sensor.pending;
  if (request === undefined) return false;
  if (finger === 'none') return sensor.withdraw();
  if (finger === 'poor') return sensor.touch({ finger: request.enrolling ?? request.enrolled[0]?.finger ?? 'finger-1', quality: 'poorQuality' });
  if (finger === 'wrong') {
    const known = request.purpose === 'enroll' ? request.enrolled[0]?.finger : undefined;
    return known === undefined ? sensor.touchWrong() : sensor.touch(known);
  }
  return Number.isInteger(finger) && finger >= 1 && (request.purpose === 'enroll' ? sensor.touchEnrolled() : sensor.touchEnrolled(finger - 1));
}

/** A FIDO key's close refuses a touch still waiting, so no request hangs on a closed key. */
export function fidoDeviceControls(device: Device): SimulatedDevice {
  const base = deviceControls(device);
  const close = async (): Promise<void> => {
    const fingerWaited = device.fingerprint instanceof ManualFingerprint && device.fingerprint.withdraw();
    if ((device.presence instanceof ManualPresence && device.presence.deny() > 0) || fingerWaited) {
      // Let the refusal reach the host (CTAP2_ERR_OPERATION_DENIED) before the endpoints close.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await base.close();
  };
  return { endpoints: base.endpoints, close, [Symbol.asyncDispose]: close };
}

/**
 * Start a simulated FIDO2/U2F key in this process: CTAP 2.1 and U2F, resident keys, PIN
 * protocols 1 and 2, packed attestation, credential management, authenticatorConfig. `profile`
 * names a key personality (`yubikey-5`, `yubikey-bio` — a key with a fingerprint sensor, whose
 * finger `uv` answers —, `ctap20`, `u2f-only`, `solo1`; docs/fido-simulator.md) or a device
 * profile with a FIDO interface; with a composite one (`composite-key`) the same device also
 * serves its OTP interfaces (see `startSecurityKey` to drive both).
 *
 * @example
 * ```ts
 * import { CtapHidDevice, WebAuthnClient, openHidTransport } from 'tokenrig';
 * import { startFidoKey } from 'tokenrig/sim';
 *
 * await using key = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
 * const device = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!));
 * const registration = await new WebAuthnClient(device).create(creationOptionsJSON, 'https://rp.example');
 * key.credentials(); // the resident credentials, when the RP asked for one
 * await device.close();
 * ```
 */
export async function startFidoKey<C extends Clock = Clock>(options: DeviceStartOptions<C> & FidoStartOptions = {}): Promise<FidoKey> {
  // A key personality (FIDO_PROFILES: yubikey-5, ctap20, u2f-only, solo1, ...) by name: the
  // authenticator is that key, with its own USB identity; `fido` may still amend it.
  const personality = typeof options.profile === 'string' ? fidoPersonality(options.profile) : undefined;
  if (personality !== undefined) {
    const device = await startDevice('fido', undefined, { ...options, fido: { ...personality, ...options.fido } });
    return { ...fidoDeviceControls(device), ...fidoControls(device) };
  }
  if (typeof options.profile === 'string' && !Object.hasOwn(DEVICE_PROFILES, options.profile)) {
    const fits = Object.values(DEVICE_PROFILES).filter(hasFido).map((p) => p.name);
    throw badInput(`unknown FIDO profile ${JSON.stringify(options.profile)}: use a key personality (${Object.keys(FIDO_PROFILES).join(', ')}) or a device with a FIDO interface (${fits.join(', ')})`);
  }
  const profile = resolveProfile(options.profile);
  if (profile !== undefined && !hasFido(profile)) throw wrongProfile(profile, 'FIDO interface', hasFido);
  const device = await startDevice('fido', profile, options);
  return { ...fidoDeviceControls(device), ...fidoControls(device) };
}
