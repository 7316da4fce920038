/**
 * USB devices generated from device profiles (devices/): the one place that decides which
 * interfaces a simulated token or key presents, in the profile's order, with its USB identity
 * and the token's serial number as iSerialNumber. Every endpoint that presents a USB device
 * (USB/IP) takes its device from here; uhid takes the same report descriptors.
 *
 * @example
 * ```ts
 * const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE);
 * const device = createOtpUsbDevice(env, token); // OTP vendor interface + boot keyboard + CDC-ACM port
 * const key = createFidoUsbDevice(authenticator); // one FIDO interface
 * ```
 */
import type { DeviceProfile, InterfaceProfile } from '../../devices/profile.js';
import type { DeviceEnvironment } from '../env/index.js';
import type { FidoAuthenticator, FidoProfile } from '../fido/index.js';
import type { SimulatedHidInterface, SimulatedSerialInterface } from '../hid-interface.js';
import { OtpKeyboardInterface, OtpSerialInterface, type OtpTokenFirmware, createOtpVendorHid } from '../otp/index.js';
import { CdcAcmFunction } from './cdc-acm-function.js';
import { HidFunction } from './hid-function.js';
import { BOOT_KEYBOARD_INPUT_SIZE, BOOT_KEYBOARD_OUTPUT_SIZE, BOOT_KEYBOARD_REPORT_DESCRIPTOR, FIDO_REPORT_DESCRIPTOR, vendorReportDescriptor } from './hid-report-descriptors.js';
import { SimulatedUsbDevice, type UsbDeviceIdentity } from './usb-device.js';
import type { UsbFunction } from './usb-function.js';

/** The firmware behind each interface kind of a profile; absent kinds are left out of the device. */
export interface UsbDeviceParts {
  fido?: SimulatedHidInterface;
  'otp-vendor'?: SimulatedHidInterface;
  keyboard?: SimulatedHidInterface;
  serial?: SimulatedSerialInterface;
}

/** The interface strings lsusb shows. */
const INTERFACE_NAMES: Readonly<Record<InterfaceProfile['kind'], string>> = {
  fido: 'FIDO CTAPHID',
  'otp-vendor': 'OTP vendor interface',
  keyboard: 'OTP keyboard',
  serial: 'OTP serial port',
};

/** A version `5.4.3` as bcdDevice 0x0543: two BCD digits of major, one each of minor and patch. */
export function bcdFromVersion(version: string | readonly number[]): number {
  const [major = 0, minor = 0, patch = 0] = typeof version === 'string' ? version.split('.').map((x) => Number.parseInt(x, 10) || 0) : version;
  const digit = (n: number): number => Math.min(9, Math.max(0, Math.trunc(n)));
  const m = Math.min(99, Math.max(0, Math.trunc(major)));
  return (Math.floor(m / 10) << 12) | ((m % 10) << 8) | (digit(minor) << 4) | digit(patch);
}

function functionFor(kind: InterfaceProfile, part: SimulatedHidInterface | SimulatedSerialInterface): UsbFunction {
  const name = INTERFACE_NAMES[kind.kind];
  switch (kind.kind) {
    case 'fido':
      return new HidFunction(part as SimulatedHidInterface, { name, reportDescriptor: FIDO_REPORT_DESCRIPTOR });
    case 'otp-vendor':
      return new HidFunction(part as SimulatedHidInterface, { name, reportDescriptor: vendorReportDescriptor(kind.usagePage, kind.usage) });
    case 'keyboard':
      // Boot keyboards poll every 10 ms; the LED report comes by SET_REPORT (no OUT endpoint).
      return new HidFunction(part as SimulatedHidInterface, {
        name,
        reportDescriptor: BOOT_KEYBOARD_REPORT_DESCRIPTOR,
        inputReportSize: BOOT_KEYBOARD_INPUT_SIZE,
        outputReportSize: BOOT_KEYBOARD_OUTPUT_SIZE,
        interruptOut: false,
        bootKeyboard: true,
        interval: 10,
      });
    case 'serial':
      return new CdcAcmFunction(part as SimulatedSerialInterface, { name });
  }
}

/**
 * The USB device of `profile` with the interfaces `parts` provides, in the profile's order.
 * RangeError when a part names an interface the profile lacks, or no part is given.
 */
export function usbDeviceFromProfile(profile: DeviceProfile, parts: UsbDeviceParts, serial?: string): SimulatedUsbDevice {
  for (const kind of Object.keys(parts)) {
    if (parts[kind as keyof UsbDeviceParts] !== undefined && !profile.interfaces.some((i) => i.kind === kind)) throw new RangeError(`device profile ${profile.name} has no ${kind} interface`);
  }
  const functions = profile.interfaces.flatMap((i) => {
    const part = parts[i.kind];
    return part === undefined ? [] : [functionFor(i, part)];
  });
  if (functions.length === 0) throw new RangeError(`no interface of device profile ${profile.name} was given`);
  const identity: UsbDeviceIdentity = {
    vendorId: profile.usb.vendorId,
    productId: profile.usb.productId,
    bcdDevice: bcdFromVersion(profile.firmwareVersion),
    manufacturer: profile.usb.manufacturer,
    product: profile.usb.product,
    ...(serial === undefined ? {} : { serial }),
  };
  return new SimulatedUsbDevice(identity, functions);
}

/**
 * The OTP token as a USB device: each interface of its profile the token implements (the
 * vendor HID interface, the boot keyboard that types the code, the CDC-ACM serial port), with
 * the token's serial number. A profile's FIDO interface needs an authenticator and is left out.
 */
export function createOtpUsbDevice(env: DeviceEnvironment, token: OtpTokenFirmware): SimulatedUsbDevice {
  const kinds = new Set(token.profile.interfaces.map((i) => i.kind));
  return usbDeviceFromProfile(
    token.profile,
    {
      ...(kinds.has('otp-vendor') ? { 'otp-vendor': createOtpVendorHid(env, token) } : {}),
      ...(kinds.has('keyboard') ? { keyboard: new OtpKeyboardInterface(token) } : {}),
      ...(kinds.has('serial') ? { serial: new OtpSerialInterface(token) } : {}),
    },
    token.serial,
  );
}

/**
 * The FIDO authenticator as a USB device with one FIDO interface: the identity of its device
 * profile when it has one (composite-key), else that of its FIDO profile.
 */
export function createFidoUsbDevice(authenticator: FidoAuthenticator, device?: DeviceProfile): SimulatedUsbDevice {
  if (device !== undefined) return usbDeviceFromProfile(device, { fido: authenticator.hid });
  return fidoOnlyDevice(authenticator.profile, authenticator.hid);
}

function fidoOnlyDevice(p: FidoProfile, hid: SimulatedHidInterface): SimulatedUsbDevice {
  return new SimulatedUsbDevice(
    { vendorId: p.vendorId, productId: p.productId, bcdDevice: bcdFromVersion(p.firmwareVersion), manufacturer: p.manufacturer, product: p.product },
    [new HidFunction(hid, { name: INTERFACE_NAMES.fido, reportDescriptor: FIDO_REPORT_DESCRIPTOR })],
  );
}
