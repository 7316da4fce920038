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
import { reportDescriptorUsage } from '../../src/protocol/usb/hid.js';
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

/** How a HID interface of a profile looks: its report descriptor, report sizes and endpoints. */
export interface HidInterfaceSpec {
  kind: 'fido' | 'otp-vendor' | 'keyboard';
  /** The interface's string; also names the uhid device. */
  name: string;
  reportDescriptor: Uint8Array;
  inputReportSize: number;
  outputReportSize: number;
  /** Output reports on an interrupt OUT endpoint (else only by SET_REPORT). */
  interruptOut: boolean;
  bootKeyboard: boolean;
  /** bInterval in ms (full speed). */
  interval: number;
}

/** The HID layout of one interface of a profile; undefined for the serial port. */
export function hidInterfaceSpec(i: InterfaceProfile): HidInterfaceSpec | undefined {
  const name = INTERFACE_NAMES[i.kind];
  switch (i.kind) {
    case 'fido':
      return { kind: 'fido', name, reportDescriptor: FIDO_REPORT_DESCRIPTOR, inputReportSize: 64, outputReportSize: 64, interruptOut: true, bootKeyboard: false, interval: 2 };
    case 'otp-vendor':
      return { kind: 'otp-vendor', name, reportDescriptor: vendorReportDescriptor(i.usagePage, i.usage), inputReportSize: 64, outputReportSize: 64, interruptOut: true, bootKeyboard: false, interval: 2 };
    case 'keyboard':
      // Boot keyboards poll every 10 ms; the LED report comes by SET_REPORT (no OUT endpoint).
      return {
        kind: 'keyboard',
        name,
        reportDescriptor: BOOT_KEYBOARD_REPORT_DESCRIPTOR,
        inputReportSize: BOOT_KEYBOARD_INPUT_SIZE,
        outputReportSize: BOOT_KEYBOARD_OUTPUT_SIZE,
        interruptOut: false,
        bootKeyboard: true,
        interval: 10,
      };
    case 'serial':
      return undefined;
  }
}

/** The device identity a profile gives its USB (and uhid) devices. */
export function usbIdentity(profile: DeviceProfile, serial?: string): UsbDeviceIdentity {
  return {
    vendorId: profile.usb.vendorId,
    productId: profile.usb.productId,
    bcdDevice: bcdFromVersion(profile.firmwareVersion),
    manufacturer: profile.usb.manufacturer,
    product: profile.usb.product,
    ...(serial === undefined ? {} : { serial }),
  };
}

/** One HID interface of a device being built: its layout and its firmware. */
export interface UsbHidPart {
  spec: HidInterfaceSpec;
  iface: SimulatedHidInterface;
}

/**
 * The HID layout of a running interface of `kind`: the kind's, with an OTP vendor interface's
 * usage page read from its own report descriptor (which its profile chose).
 */
export function hidSpecOfPart(part: { kind: HidInterfaceSpec['kind']; iface: SimulatedHidInterface }): HidInterfaceSpec {
  if (part.kind === 'otp-vendor') {
    const usage = reportDescriptorUsage(part.iface.reportDescriptor);
    return hidInterfaceSpec({ kind: 'otp-vendor', usagePage: usage?.usagePage ?? 0xff00, usage: usage?.usage ?? 0x01 })!;
  }
  return hidInterfaceSpec(part.kind === 'fido' ? { kind: 'fido', usagePage: 0xf1d0, usage: 0x01 } : { kind: 'keyboard', usagePage: 0x01, usage: 0x06 })!;
}

/**
 * A USB device of `identity` with these HID interfaces (in this order) and, when given, the
 * CDC-ACM serial port last: the one place a simulated USB device is put together.
 */
export function usbDeviceFromParts(identity: UsbDeviceIdentity, hid: readonly UsbHidPart[], serial?: SimulatedSerialInterface): SimulatedUsbDevice {
  const functions: UsbFunction[] = hid.map((p) => new HidFunction(p.iface, p.spec));
  if (serial !== undefined) functions.push(new CdcAcmFunction(serial, { name: INTERFACE_NAMES.serial }));
  if (functions.length === 0) throw new RangeError('the device has no interface a USB device could carry');
  return new SimulatedUsbDevice(identity, functions);
}

/**
 * The USB device of `profile` with the interfaces `parts` provides: the HID interfaces in the
 * profile's order, the CDC-ACM serial port last. RangeError when a part names an interface the
 * profile lacks, or no part is given.
 */
export function usbDeviceFromProfile(profile: DeviceProfile, parts: UsbDeviceParts, serial?: string): SimulatedUsbDevice {
  for (const kind of Object.keys(parts)) {
    if (parts[kind as keyof UsbDeviceParts] !== undefined && !profile.interfaces.some((i) => i.kind === kind)) throw new RangeError(`device profile ${profile.name} has no ${kind} interface`);
  }
  const hid = profile.interfaces.flatMap((i) => {
    const spec = hidInterfaceSpec(i);
    const iface = i.kind === 'serial' ? undefined : parts[i.kind];
    return spec === undefined || iface === undefined ? [] : [{ spec, iface }];
  });
  if (hid.length === 0 && parts.serial === undefined) throw new RangeError(`no interface of device profile ${profile.name} was given`);
  return usbDeviceFromParts(usbIdentity(profile, serial), hid, parts.serial);
}

/**
 * The OTP token as a USB device: each interface of its profile the token implements (the
 * vendor HID interface, the boot keyboard that types the code, the CDC-ACM serial port), with
 * the token's serial number. A profile's FIDO interface needs an authenticator and is left out.
 */
export function createOtpUsbDevice(env: DeviceEnvironment, token: OtpTokenFirmware): SimulatedUsbDevice {
  return usbDeviceFromProfile(token.profile, createOtpParts(env, token), token.serial);
}

/**
 * Fresh firmware for each interface of the token's profile it implements (one set per
 * endpoint: each keeps its own CTAPHID channels or line buffer; the token is shared).
 */
export function createOtpParts(env: DeviceEnvironment, token: OtpTokenFirmware, only?: readonly InterfaceProfile['kind'][]): UsbDeviceParts {
  const kinds = new Set(token.profile.interfaces.map((i) => i.kind).filter((k) => only === undefined || only.includes(k)));
  return {
    ...(kinds.has('otp-vendor') ? { 'otp-vendor': createOtpVendorHid(env, token) } : {}),
    ...(kinds.has('keyboard') ? { keyboard: new OtpKeyboardInterface(token) } : {}),
    ...(kinds.has('serial') ? { serial: new OtpSerialInterface(token) } : {}),
  };
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
  return new SimulatedUsbDevice(fidoIdentity(p), [new HidFunction(hid, hidInterfaceSpec({ kind: 'fido', usagePage: 0xf1d0, usage: 0x01 })!)]);
}

/** The USB identity of a FIDO key without a device profile. */
export function fidoIdentity(p: FidoProfile): UsbDeviceIdentity {
  return { vendorId: p.vendorId, productId: p.productId, bcdDevice: bcdFromVersion(p.firmwareVersion), manufacturer: p.manufacturer, product: p.product };
}
