/**
 * The built-in device profiles. Data only: each is checked by `validateDeviceProfile` in the
 * tests, and `deviceProfile(name)` is how the CLI and the firmware find them.
 *
 * @example
 * ```ts
 * const p = deviceProfile('aws-totp'); // SafeNet OTP 110 class: SHA-1, 6 digits, 30 s
 * ```
 */
import { badInput } from '../src/errors.js';
import type { DeviceProfile } from './profile.js';

export * from './profile.js';

/**
 * A hardware TOTP token of the kind AWS IAM sells and accepts (SafeNet OTP 110 class):
 * SHA-1, 6 digits, 30-second steps, serials like GAKT12345678. It has no USB port on real
 * hardware; the simulator gives it a serial port and a vendor HID interface so rigs can read it.
 */
export const AWS_TOTP_PROFILE: DeviceProfile = {
  name: 'aws-totp',
  description: 'AWS-style hardware TOTP key fob (SafeNet OTP 110 class): SHA-1, 6 digits, 30 s',
  manufacturer: 'Tokenrig',
  model: 'OTP 110 (sim)',
  firmwareVersion: '1.0.0',
  serialFormat: { prefix: 'GAKT', digits: 8 },
  otp: { kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30 },
  displayTimeMs: 15_000,
  batteryLifeDays: 5 * 365,
  usb: { vendorId: 0x1209, productId: 0x7f01, manufacturer: 'Tokenrig', product: 'Simulated OTP 110' },
  interfaces: [{ kind: 'otp-vendor', usagePage: 0xff00, usage: 0x01 }, { kind: 'serial' }],
};

/** A 60-second TOTP token (Feitian c200 class): SHA-1, 6 digits, 60 s. */
export const TOTP60_PROFILE: DeviceProfile = {
  name: 'totp60',
  description: '60-second hardware TOTP token (Feitian c200 class): SHA-1, 6 digits, 60 s',
  manufacturer: 'Tokenrig',
  model: 'C200 (sim)',
  firmwareVersion: '2.1.0',
  serialFormat: { prefix: 'FT', digits: 10 },
  otp: { kind: 'totp', algorithm: 'SHA1', digits: 6, period: 60 },
  displayTimeMs: 30_000,
  batteryLifeDays: 3 * 365,
  usb: { vendorId: 0x1209, productId: 0x7f02, manufacturer: 'Tokenrig', product: 'Simulated C200' },
  interfaces: [{ kind: 'otp-vendor', usagePage: 0xff00, usage: 0x01 }, { kind: 'serial' }],
};

/** An event (HOTP) token: each press advances the counter, 6 digits, SHA-1. */
export const HOTP_PROFILE: DeviceProfile = {
  name: 'hotp',
  description: 'HOTP event token: SHA-1, 6 digits, counter advances on every press',
  manufacturer: 'Tokenrig',
  model: 'E100 (sim)',
  firmwareVersion: '1.2.0',
  serialFormat: { prefix: 'EVT', digits: 9 },
  otp: { kind: 'hotp', algorithm: 'SHA1', digits: 6, initialCounter: 0 },
  displayTimeMs: 30_000,
  batteryLifeDays: 5 * 365,
  usb: { vendorId: 0x1209, productId: 0x7f03, manufacturer: 'Tokenrig', product: 'Simulated E100' },
  interfaces: [{ kind: 'otp-vendor', usagePage: 0xff00, usage: 0x01 }, { kind: 'serial' }],
};

/**
 * A composite security key in the YubiKey 5 mould: FIDO (CTAPHID), the OTP vendor interface
 * and a boot keyboard that types the code. USB ids are Yubico's YubiKey 5 OTP+FIDO+CCID
 * (1050:0407) so host software that matches on them finds it; the strings say it is simulated.
 */
export const COMPOSITE_KEY_PROFILE: DeviceProfile = {
  name: 'composite-key',
  description: 'YubiKey-like composite key: FIDO + OTP vendor interface + boot keyboard (TOTP, 30 s)',
  manufacturer: 'Tokenrig',
  model: 'Key 5 (sim)',
  firmwareVersion: '5.4.3',
  serialFormat: { prefix: '', digits: 8 },
  otp: { kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30 },
  displayTimeMs: 5_000,
  batteryLifeDays: 36_500,
  usb: { vendorId: 0x1050, productId: 0x0407, manufacturer: 'Tokenrig', product: 'Simulated Key 5 OTP+FIDO' },
  interfaces: [{ kind: 'fido', usagePage: 0xf1d0, usage: 0x01 }, { kind: 'otp-vendor', usagePage: 0xff00, usage: 0x01 }, { kind: 'keyboard', usagePage: 0x01, usage: 0x06 }, { kind: 'serial' }],
};

export const DEVICE_PROFILES: Readonly<Record<string, DeviceProfile>> = {
  [AWS_TOTP_PROFILE.name]: AWS_TOTP_PROFILE,
  [TOTP60_PROFILE.name]: TOTP60_PROFILE,
  [HOTP_PROFILE.name]: HOTP_PROFILE,
  [COMPOSITE_KEY_PROFILE.name]: COMPOSITE_KEY_PROFILE,
};

/** A built-in profile by name; BAD_INPUT listing the names otherwise. */
export function deviceProfile(name: string): DeviceProfile {
  const p = Object.hasOwn(DEVICE_PROFILES, name) ? DEVICE_PROFILES[name] : undefined;
  if (p === undefined) throw badInput(`unknown device profile ${JSON.stringify(name)}: use one of ${Object.keys(DEVICE_PROFILES).join(', ')}`);
  return p;
}
export * from './fido-profile.js';
