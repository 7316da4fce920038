/**
 * Device profiles: what a simulated device is (USB identity, HID/serial interfaces, OTP
 * parameters, display time), as plain data with one validator. No behaviour lives here; the
 * firmware in firmware-sim/ reads a profile and acts on it.
 *
 * @example
 * ```ts
 * const profile = validateDeviceProfile(JSON.parse(text)); // throws BAD_INPUT naming the field
 * ```
 */
import { badInput } from '../src/errors.js';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../src/otp/algorithm.js';

/** The OTP a token computes: RFC 6238 TOTP or RFC 4226 HOTP (event) tokens. */
export type OtpParameters =
  | { kind: 'totp'; algorithm: HashAlgorithm; digits: number; period: number }
  | { kind: 'hotp'; algorithm: HashAlgorithm; digits: number; initialCounter: number };

/** USB device descriptor strings and ids (what lsusb and node-hid report). */
export interface UsbIdentity {
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
}

/** One interface a (composite) device exposes. */
export type InterfaceProfile =
  /** FIDO CTAPHID on usage page 0xF1D0. */
  | { kind: 'fido'; usagePage: 0xf1d0; usage: 0x01 }
  /** The OTP token's vendor interface: CTAPHID framing with vendor commands 0x40..0x7F. */
  | { kind: 'otp-vendor'; usagePage: number; usage: number }
  /** A boot keyboard that types the code and Enter on a press. */
  | { kind: 'keyboard'; usagePage: 0x01; usage: 0x06 }
  /** A CDC-ACM serial port speaking docs/serial-protocol.md. */
  | { kind: 'serial' };

export interface DeviceProfile {
  /** Short name used on the command line: `--profile aws-totp`. */
  name: string;
  description: string;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  /** Serial numbers: `prefix` then `digits` decimal digits (GAKT12345678). */
  serialFormat: { prefix: string; digits: number };
  otp: OtpParameters;
  /** How long the display shows a code after a press, in milliseconds. */
  displayTimeMs: number;
  /** Battery life from manufacture; after it the token is dead (a battery fault). */
  batteryLifeDays: number;
  usb: UsbIdentity;
  interfaces: InterfaceProfile[];
}

const INTERFACE_KINDS = ['fido', 'otp-vendor', 'keyboard', 'serial'] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badInput(`device profile: ${field} must be an object`);
  return v as Obj;
}

function str(o: Obj, key: string, field: string, max = 64, commas = false): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw badInput(`device profile: ${field}.${key} must be a non-empty string of at most ${max} characters`);
  // Fields end up in *IDN? answers and USB string descriptors: printable ASCII, no commas.
  if (!/^[\x20-\x7e]+$/.test(v) || (!commas && v.includes(','))) throw badInput(`device profile: ${field}.${key} must be printable ASCII without commas`);
  return v;
}

function int(o: Obj, key: string, field: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw badInput(`device profile: ${field}.${key} must be an integer in ${min}..${max}`);
  return v;
}

function algorithm(o: Obj, field: string): HashAlgorithm {
  const v = o.algorithm;
  if (typeof v !== 'string' || !(HASH_ALGORITHMS as readonly string[]).includes(v)) throw badInput(`device profile: ${field}.algorithm must be one of ${HASH_ALGORITHMS.join(', ')}`);
  return v as HashAlgorithm;
}

function otpParameters(v: unknown): OtpParameters {
  const o = obj(v, 'otp');
  const digits = int(o, 'digits', 'otp', 6, 10);
  if (o.kind === 'totp') return { kind: 'totp', algorithm: algorithm(o, 'otp'), digits, period: int(o, 'period', 'otp', 1, 3600) };
  if (o.kind === 'hotp') return { kind: 'hotp', algorithm: algorithm(o, 'otp'), digits, initialCounter: int(o, 'initialCounter', 'otp', 0, Number.MAX_SAFE_INTEGER) };
  throw badInput('device profile: otp.kind must be "totp" or "hotp"');
}

function interfaceProfile(v: unknown, i: number): InterfaceProfile {
  const field = `interfaces[${i}]`;
  const o = obj(v, field);
  switch (o.kind) {
    case 'fido':
      return { kind: 'fido', usagePage: 0xf1d0, usage: 0x01 };
    case 'keyboard':
      return { kind: 'keyboard', usagePage: 0x01, usage: 0x06 };
    case 'serial':
      return { kind: 'serial' };
    case 'otp-vendor':
      // HID vendor-defined usage pages are 0xFF00..0xFFFF (HID Usage Tables §3).
      return { kind: 'otp-vendor', usagePage: int(o, 'usagePage', field, 0xff00, 0xffff), usage: int(o, 'usage', field, 0, 0xffff) };
    default:
      throw badInput(`device profile: ${field}.kind must be one of ${INTERFACE_KINDS.join(', ')}`);
  }
}

/**
 * Check an untrusted value (a parsed JSON file) and return it as a typed profile. Throws a
 * `BAD_INPUT` `TokenrigError` whose message names the offending field.
 *
 * @example
 * ```ts
 * validateDeviceProfile({ ...AWS_TOTP_PROFILE, displayTimeMs: -1 });
 * // TokenrigError: device profile: .displayTimeMs must be an integer in 1000..600000
 * ```
 */
export function validateDeviceProfile(value: unknown): DeviceProfile {
  const o = obj(value, 'profile');
  const name = o.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw badInput(`device profile: .name must match ${NAME}`);
  const sf = obj(o.serialFormat, 'serialFormat');
  const prefix = sf.prefix;
  if (typeof prefix !== 'string' || !/^[A-Z0-9]{0,8}$/.test(prefix)) throw badInput('device profile: serialFormat.prefix must be 0..8 of A-Z, 0-9');
  const usb = obj(o.usb, 'usb');
  const interfaces = o.interfaces;
  if (!Array.isArray(interfaces) || interfaces.length === 0) throw badInput('device profile: .interfaces must be a non-empty array');
  const parsed = interfaces.map(interfaceProfile);
  const kinds = parsed.map((x) => x.kind);
  if (new Set(kinds).size !== kinds.length) throw badInput('device profile: .interfaces lists an interface kind twice');
  return {
    name,
    description: str(o, 'description', '', 200, true),
    manufacturer: str(o, 'manufacturer', ''),
    model: str(o, 'model', ''),
    firmwareVersion: str(o, 'firmwareVersion', '', 16),
    serialFormat: { prefix, digits: int(sf, 'digits', 'serialFormat', 4, 16) },
    otp: otpParameters(o.otp),
    displayTimeMs: int(o, 'displayTimeMs', '', 1000, 600_000),
    batteryLifeDays: int(o, 'batteryLifeDays', '', 1, 36_500),
    usb: {
      vendorId: int(usb, 'vendorId', 'usb', 0, 0xffff),
      productId: int(usb, 'productId', 'usb', 0, 0xffff),
      manufacturer: str(usb, 'manufacturer', 'usb'),
      product: str(usb, 'product', 'usb'),
    },
    interfaces: parsed,
  };
}

/** True when `serial` has the profile's serial number format. */
export function serialMatchesProfile(profile: DeviceProfile, serial: string): boolean {
  const { prefix, digits } = profile.serialFormat;
  return serial.length === prefix.length + digits && serial.startsWith(prefix) && /^\d+$/.test(serial.slice(prefix.length));
}
