/**
 * The USB descriptors generated from every device profile: consistent (lengths, totals,
 * counts, endpoint numbers, one owner per endpoint, string indexes, associations), the
 * token's serial number as iSerialNumber, and the HID report descriptors byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMPOSITE_KEY_PROFILE, DEVICE_PROFILES, type DeviceProfile } from '../../devices/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { OtpKeyboardInterface, OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../../firmware-sim/otp/index.js';
import { FIDO_REPORT_DESCRIPTOR as CTAPHID_FIRMWARE_DESCRIPTOR } from '../../firmware-sim/ctaphid/index.js';
import {
  BOOT_KEYBOARD_REPORT_DESCRIPTOR,
  FIDO_REPORT_DESCRIPTOR,
  type SimulatedUsbDevice,
  bcdFromVersion,
  createFidoUsbDevice,
  createOtpUsbDevice,
  usbDeviceFromProfile,
  vendorReportDescriptor,
} from '../../firmware-sim/usb/index.js';
import { CDC_DESCRIPTOR_SUBTYPE } from '../../src/protocol/usb/cdc.js';
import { USB_CLASS, USB_CONFIG_DESCRIPTOR, USB_DEVICE_DESCRIPTOR, USB_DT, USB_ENDPOINT_XFER, parseStringDescriptor } from '../../src/protocol/usb/ch9.js';
import { reportDescriptorUsage } from '../../src/protocol/usb/hid.js';
import { base32Decode } from '../../src/otp/base32.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/usb/hid-report-descriptors.json', import.meta.url), 'utf8')) as Record<string, { source: string; hex: string }>;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');

function otpDevice(profile: DeviceProfile): { device: SimulatedUsbDevice; serial: string } {
  const { env } = createTestEnvironment();
  const token = OtpTokenFirmware.open(env, profile, { secret: SECRET });
  return { device: createOtpUsbDevice(env, token), serial: token.serial };
}

/**
 * Walks a configuration descriptor the plain way (no project parser) and checks every rule a
 * host relies on. Returns what it found for further checks.
 */
interface FoundInterface {
  number: number;
  cls: number;
  /** The 9-byte interface descriptor. */
  bytes: Uint8Array;
  endpoints: { address: number; type: number; size: number }[];
  /** Class-specific descriptors after the interface descriptor. */
  classDescriptors: Uint8Array[];
}

function checkConfiguration(device: SimulatedUsbDevice): { interfaces: FoundInterface[] } {
  const { configuration: cfg, device: dev, strings } = device.descriptors;
  expect(dev.length).toBe(18);
  expect(dev[0]).toBe(18);
  const d = USB_DEVICE_DESCRIPTOR.decode(dev);
  expect(d.bcdUSB).toBe(0x0200);
  expect(d.bMaxPacketSize0).toBe(64);
  expect(d.bNumConfigurations).toBe(1);
  for (const i of [d.iManufacturer, d.iProduct, d.iSerialNumber]) if (i !== 0) expect(strings[i]).toBeDefined();
  const c = USB_CONFIG_DESCRIPTOR.decode(cfg);
  expect(c.bLength).toBe(9);
  expect(c.bDescriptorType).toBe(USB_DT.CONFIG);
  expect(c.wTotalLength).toBe(cfg.length);
  expect(c.bmAttributes & 0x80).toBe(0x80);
  const interfaces: FoundInterface[] = [];
  const owners = new Map<number, number>();
  const iads: { first: number; count: number }[] = [];
  for (let at = 9; at < cfg.length; ) {
    const len = cfg[at]!;
    const type = cfg[at + 1]!;
    expect(len).toBeGreaterThanOrEqual(2);
    expect(at + len).toBeLessThanOrEqual(cfg.length);
    const b = cfg.subarray(at, at + len);
    if (type === USB_DT.INTERFACE) {
      expect(len).toBe(9);
      interfaces.push({ number: b[2]!, cls: b[5]!, bytes: b, endpoints: [], classDescriptors: [] });
      if (b[8] !== 0) expect(strings[b[8]!]).toBeDefined();
    } else if (type === USB_DT.ENDPOINT) {
      expect(len).toBe(7);
      const address = b[2]!;
      const number = address & 0x0f;
      expect(number).toBeGreaterThanOrEqual(1);
      expect(number).toBeLessThanOrEqual(15);
      expect(address & 0x70).toBe(0);
      // One owner per endpoint address.
      expect(owners.has(address), `endpoint 0x${address.toString(16)} twice`).toBe(false);
      owners.set(address, interfaces.at(-1)!.number);
      const size = b[4]! | (b[5]! << 8);
      const xfer = b[3]! & 3;
      // Full speed: interrupt ≤ 64, bulk 8/16/32/64 (USB 2.0 §5.7.3, §5.8.3); interval 1..255 for interrupt.
      if (xfer === USB_ENDPOINT_XFER.INT) {
        expect(size).toBeLessThanOrEqual(64);
        expect(b[6]).toBeGreaterThanOrEqual(1);
      } else {
        expect(xfer).toBe(USB_ENDPOINT_XFER.BULK);
        expect([8, 16, 32, 64]).toContain(size);
      }
      interfaces.at(-1)!.endpoints.push({ address, type: xfer, size });
    } else if (type === USB_DT.INTERFACE_ASSOCIATION) {
      expect(len).toBe(8);
      iads.push({ first: b[2]!, count: b[3]! });
    } else {
      interfaces.at(-1)!.classDescriptors.push(b);
    }
    at += len;
  }
  expect(interfaces.map((i) => i.number)).toEqual(interfaces.map((_, k) => k));
  expect(c.bNumInterfaces).toBe(interfaces.length);
  // Each interface descriptor's bNumEndpoints equals the endpoint descriptors that follow it.
  for (const i of interfaces) expect(i.bytes[4], `interface ${i.number}`).toBe(i.endpoints.length);
  // An association covers contiguous interfaces that exist; the device class says so.
  for (const a of iads) expect(a.first + a.count).toBeLessThanOrEqual(interfaces.length);
  expect(d.bDeviceClass).toBe(iads.length > 0 ? USB_CLASS.MISC : 0);
  return { interfaces };
}

describe('USB descriptors generated from device profiles', () => {
  it('every built-in OTP profile gives a consistent device with the token serial as iSerialNumber', () => {
    for (const profile of Object.values(DEVICE_PROFILES)) {
      const { device, serial } = otpDevice(profile);
      const { interfaces } = checkConfiguration(device);
      const d = USB_DEVICE_DESCRIPTOR.decode(device.descriptors.device);
      expect(d.idVendor).toBe(profile.usb.vendorId);
      expect(d.idProduct).toBe(profile.usb.productId);
      expect(d.bcdDevice).toBe(bcdFromVersion(profile.firmwareVersion));
      expect(parseStringDescriptor(device.descriptors.strings[d.iManufacturer]!)).toBe(profile.usb.manufacturer);
      expect(parseStringDescriptor(device.descriptors.strings[d.iProduct]!)).toBe(profile.usb.product);
      expect(parseStringDescriptor(device.descriptors.strings[d.iSerialNumber]!)).toBe(serial);
      // The token implements every interface of its profile except FIDO; CDC-ACM is two.
      const kinds = profile.interfaces.map((i) => i.kind).filter((k) => k !== 'fido');
      expect(interfaces.length).toBe(kinds.length + (kinds.includes('serial') ? 1 : 0));
    }
  });

  it('the composite key: vendor HID, boot keyboard, and a CDC-ACM port in an association', () => {
    const { device } = otpDevice(COMPOSITE_KEY_PROFILE);
    const { interfaces } = checkConfiguration(device);
    expect(interfaces.map((i) => i.cls)).toEqual([USB_CLASS.HID, USB_CLASS.HID, USB_CLASS.COMM, USB_CLASS.CDC_DATA]);
    const [vendor, keyboard, control, data] = interfaces;
    expect(vendor!.endpoints.map((e) => [e.address, e.type, e.size])).toEqual([
      [0x81, USB_ENDPOINT_XFER.INT, 64],
      [0x02, USB_ENDPOINT_XFER.INT, 64],
    ]);
    expect(keyboard!.endpoints.map((e) => [e.address, e.size])).toEqual([[0x83, 8]]);
    expect(vendor!.classDescriptors.map((b) => b[1])).toEqual([USB_DT.HID]);
    expect(control!.endpoints.map((e) => e.type)).toEqual([USB_ENDPOINT_XFER.INT]);
    expect(data!.endpoints.map((e) => [e.type, e.size, e.address & 0x80])).toEqual([
      [USB_ENDPOINT_XFER.BULK, 64, 0],
      [USB_ENDPOINT_XFER.BULK, 64, 0x80],
    ]);
    // Boot keyboard: subclass 1, protocol 1 (HID 1.11 §4.2, §4.3).
    expect([...keyboard!.bytes.subarray(5, 8)]).toEqual([3, 1, 1]);
    // CDC: header, call management (data interface 3), ACM, union of interfaces 2 and 3.
    const cdc = control!.classDescriptors;
    expect(cdc.map((b) => [b[1], b[2]])).toEqual([
      [USB_DT.CS_INTERFACE, CDC_DESCRIPTOR_SUBTYPE.HEADER],
      [USB_DT.CS_INTERFACE, CDC_DESCRIPTOR_SUBTYPE.CALL_MANAGEMENT],
      [USB_DT.CS_INTERFACE, CDC_DESCRIPTOR_SUBTYPE.ACM],
      [USB_DT.CS_INTERFACE, CDC_DESCRIPTOR_SUBTYPE.UNION],
    ]);
    expect(cdc[1]![4]).toBe(3);
    expect([cdc[3]![3], cdc[3]![4]]).toEqual([2, 3]);
    expect(data!.classDescriptors).toEqual([]);
  });

  it('the HID class descriptor names each interface’s report descriptor and its length', () => {
    const { env } = createTestEnvironment();
    const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: SECRET });
    const device = usbDeviceFromProfile(COMPOSITE_KEY_PROFILE, { 'otp-vendor': createOtpVendorHid(env, token), keyboard: new OtpKeyboardInterface(token), serial: new OtpSerialInterface(token) });
    const hidDescs = checkConfiguration(device).interfaces.flatMap((i) => i.classDescriptors.filter((b) => b[1] === USB_DT.HID));
    expect(hidDescs.map((b) => b[7]! | (b[8]! << 8))).toEqual([vendorReportDescriptor(0xff00, 1).length, BOOT_KEYBOARD_REPORT_DESCRIPTOR.length]);
    expect(hidDescs.map((b) => [b.length, b[2], b[3], b[5], b[6]])).toEqual([
      [9, 0x11, 0x01, 1, USB_DT.REPORT],
      [9, 0x11, 0x01, 1, USB_DT.REPORT],
    ]);
  });

  it('the FIDO key alone, and with the composite key’s identity', async () => {
    const { env } = createTestEnvironment();
    const authenticator = await FidoAuthenticator.create(env);
    const plain = createFidoUsbDevice(authenticator);
    const { interfaces } = checkConfiguration(plain);
    expect(interfaces.length).toBe(1);
    expect(USB_DEVICE_DESCRIPTOR.decode(plain.descriptors.device)).toMatchObject({ idVendor: 0x1209, idProduct: 0x7172, iSerialNumber: 0, bDeviceClass: 0 });
    const composite = createFidoUsbDevice(authenticator, COMPOSITE_KEY_PROFILE);
    checkConfiguration(composite);
    expect(USB_DEVICE_DESCRIPTOR.decode(composite.descriptors.device)).toMatchObject({ idVendor: 0x1050, idProduct: 0x0407, bcdDevice: 0x0543 });
  });

  it('refuses a part the profile has no interface for, and an empty device', () => {
    const { env } = createTestEnvironment();
    const token = OtpTokenFirmware.open(env, DEVICE_PROFILES['aws-totp']!, { secret: SECRET });
    expect(() => usbDeviceFromProfile(DEVICE_PROFILES['aws-totp']!, { keyboard: new OtpKeyboardInterface(token) })).toThrow(/no keyboard interface/);
    expect(() => usbDeviceFromProfile(DEVICE_PROFILES['aws-totp']!, {})).toThrow(/no interface/);
  });

  it('bcdDevice is the firmware version in BCD', () => {
    expect(bcdFromVersion('5.4.3')).toBe(0x0543);
    expect(bcdFromVersion('1.0.0')).toBe(0x0100);
    expect(bcdFromVersion('12.3.4')).toBe(0x1234);
    expect(bcdFromVersion([2, 10, 0])).toBe(0x0290);
  });
});

describe('HID report descriptors', () => {
  it('are byte for byte the published ones', () => {
    expect(hex(FIDO_REPORT_DESCRIPTOR)).toBe(vectors.fido!.hex);
    expect(hex(vendorReportDescriptor(0xff00, 0x01))).toBe(vectors['otp-vendor']!.hex);
    expect(hex(BOOT_KEYBOARD_REPORT_DESCRIPTOR)).toBe(vectors['boot-keyboard']!.hex);
    // The CTAPHID firmware announces the same descriptor.
    expect(hex(CTAPHID_FIRMWARE_DESCRIPTOR)).toBe(vectors.fido!.hex);
  });

  it('say their usage page and usage', () => {
    expect(reportDescriptorUsage(FIDO_REPORT_DESCRIPTOR)).toEqual({ usagePage: 0xf1d0, usage: 1 });
    expect(reportDescriptorUsage(vendorReportDescriptor(0xff42, 7))).toEqual({ usagePage: 0xff42, usage: 7 });
    expect(reportDescriptorUsage(BOOT_KEYBOARD_REPORT_DESCRIPTOR)).toEqual({ usagePage: 1, usage: 6 });
    expect(reportDescriptorUsage(Uint8Array.of(0xc0))).toBeUndefined();
  });
});
