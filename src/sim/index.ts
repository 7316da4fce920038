/**
 * `tokenrig/sim`: simulated OTP tokens and FIDO keys started in this process, reachable the
 * way hardware is (a pty or TCP serial port, HID over UDP), for tests that want a device of
 * their own without spawning `tokenrig sim`. Each start function resolves once the device's
 * endpoints are open and returns a handle with their device specs; `close()` (or
 * `await using`) stops it.
 *
 * @example
 * ```ts
 * import { openOtpTokenDriver } from 'tokenrig';
 * import { startOtpToken } from 'tokenrig/sim';
 *
 * await using token = await startOtpToken({ profile: 'aws-totp', hid: 'udp:0' });
 * const driver = await openOtpTokenDriver(token.endpoints.hid!);
 * console.log(token.serial, await driver.press());
 * await driver.close();
 * ```
 */
export { startOtpToken, type OtpToken, type OtpTokenStatus, type SimulatedDevice } from './otp-token.js';
export { startFidoKey, type FidoKey, type SimCredential } from './fido-key.js';
export { startSecurityKey, type SecurityKey } from './security-key.js';
export type { DeviceStartOptions, OtpStartOptions, FidoStartOptions, TouchMode, UvMode } from './device.js';
export { DEFAULT_UDP_PORTS, type EndpointOptions, type EndpointSettings, type HidInterfaceKind, type SimEndpoints } from './endpoints.js';
export type { SimEvent } from './events.js';
export { startUsbIpServer, type SimUsbIpServer, type UsbIpServerStartOptions } from './usbip-server.js';
export {
  DEVICE_PROFILES,
  AWS_TOTP_PROFILE,
  TOTP60_PROFILE,
  HOTP_PROFILE,
  COMPOSITE_KEY_PROFILE,
  deviceProfile,
  validateDeviceProfile,
  type DeviceProfile,
  type InterfaceProfile,
  type OtpParameters,
  type UsbIdentity,
} from '../../devices/index.js';
export { TOKEN_FAULTS, type TokenFault } from '../../firmware-sim/otp/otp-token-firmware.js';
export { DEFAULT_FIDO_PROFILE, FIDO_PROFILES, FIDO_QUIRKS, type FidoProfile, fidoPersonality } from '../../firmware-sim/fido/profile.js';
export { ScriptedFingerprint, type CaptureRequest, type FingerprintSample, type FingerprintSensor } from '../../firmware-sim/env/fingerprint.js';
export { ManualClock, DriftingClock, systemClock, type Clock } from '../clock/index.js';
