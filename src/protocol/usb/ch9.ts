/**
 * USB 2.0 chapter 9 ("USB Device Framework"): the setup packet, the standard requests and the
 * standard descriptors, as struct tables with the specification's field names (Linux's
 * include/uapi/linux/usb/ch9.h uses the same names). Shared by the simulated devices, which
 * build descriptors, and the host side, which reads them.
 *
 * @example
 * ```ts
 * const setup = USB_SETUP_PACKET.decode(bytes);
 * if (setup.bRequest === USB_REQ.GET_DESCRIPTOR && setup.wValue >> 8 === USB_DT.DEVICE) ...
 * ```
 */
import { defineStruct, u16le, u8 } from '../binary-struct.js';

/** USB 2.0 Table 9-5 descriptor types, with the class types HID 1.11 §7.1 and CDC 1.2 §5.2.3 add. */
export const USB_DT = {
  DEVICE: 0x01,
  CONFIG: 0x02,
  STRING: 0x03,
  INTERFACE: 0x04,
  ENDPOINT: 0x05,
  DEVICE_QUALIFIER: 0x06,
  OTHER_SPEED_CONFIG: 0x07,
  INTERFACE_POWER: 0x08,
  /** USB 3.2 §9.6.4 (first the Interface Association Descriptor ECN to USB 2.0). */
  INTERFACE_ASSOCIATION: 0x0b,
  BOS: 0x0f,
  /** HID 1.11 §7.1: class descriptors. */
  HID: 0x21,
  REPORT: 0x22,
  /** CDC 1.2 Table 12: functional descriptors. */
  CS_INTERFACE: 0x24,
  CS_ENDPOINT: 0x25,
} as const;

/** USB 2.0 Table 9-4 standard request codes. */
export const USB_REQ = {
  GET_STATUS: 0x00,
  CLEAR_FEATURE: 0x01,
  SET_FEATURE: 0x03,
  SET_ADDRESS: 0x05,
  GET_DESCRIPTOR: 0x06,
  SET_DESCRIPTOR: 0x07,
  GET_CONFIGURATION: 0x08,
  SET_CONFIGURATION: 0x09,
  GET_INTERFACE: 0x0a,
  SET_INTERFACE: 0x0b,
  SYNCH_FRAME: 0x0c,
} as const;

/** USB 2.0 Table 9-6 feature selectors. */
export const USB_FEATURE = {
  ENDPOINT_HALT: 0,
  DEVICE_REMOTE_WAKEUP: 1,
  TEST_MODE: 2,
} as const;

/** USB 2.0 Table 9-2 bmRequestType: bit 7 direction, bits 6..5 type, bits 4..0 recipient. */
export const USB_DIR_IN = 0x80;
export const USB_TYPE = { STANDARD: 0x00, CLASS: 0x20, VENDOR: 0x40 } as const;
export const USB_RECIP = { DEVICE: 0x00, INTERFACE: 0x01, ENDPOINT: 0x02, OTHER: 0x03 } as const;
export const USB_TYPE_MASK = 0x60;
export const USB_RECIP_MASK = 0x1f;

/** USB 2.0 Table 9-13 bmAttributes bits 1..0: transfer type. */
export const USB_ENDPOINT_XFER = { CONTROL: 0, ISOC: 1, BULK: 2, INT: 3 } as const;
export type UsbTransferType = (typeof USB_ENDPOINT_XFER)[keyof typeof USB_ENDPOINT_XFER];

/** Class codes (usb.org "Defined Class Codes"). */
export const USB_CLASS = {
  PER_INTERFACE: 0x00,
  COMM: 0x02,
  HID: 0x03,
  CDC_DATA: 0x0a,
  /** With subclass 0x02 and protocol 0x01: a device built of interface associations. */
  MISC: 0xef,
  VENDOR_SPEC: 0xff,
} as const;

/** USB 2.0 Table 9-10 bmAttributes: bit 7 is reserved and must be one. */
export const USB_CONFIG_ATT_ONE = 0x80;
export const USB_CONFIG_ATT_SELFPOWER = 0x40;
export const USB_CONFIG_ATT_WAKEUP = 0x20;

/** US English, the language every string descriptor here is in (USB LANGIDs 1.0). */
export const LANGID_EN_US = 0x0409;

/** USB 2.0 Table 9-2: the 8-byte setup packet of a control transfer. */
export const USB_SETUP_PACKET = defineStruct('usb_setup_packet', [
  ['bmRequestType', u8],
  ['bRequest', u8],
  ['wValue', u16le],
  ['wIndex', u16le],
  ['wLength', u16le],
] as const);
export type UsbSetupPacket = ReturnType<typeof USB_SETUP_PACKET.decode>;

/** USB 2.0 Table 9-8: the device descriptor. */
export const USB_DEVICE_DESCRIPTOR = defineStruct('usb_device_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['bcdUSB', u16le],
  ['bDeviceClass', u8],
  ['bDeviceSubClass', u8],
  ['bDeviceProtocol', u8],
  ['bMaxPacketSize0', u8],
  ['idVendor', u16le],
  ['idProduct', u16le],
  ['bcdDevice', u16le],
  ['iManufacturer', u8],
  ['iProduct', u8],
  ['iSerialNumber', u8],
  ['bNumConfigurations', u8],
] as const);
export type UsbDeviceDescriptor = ReturnType<typeof USB_DEVICE_DESCRIPTOR.decode>;

/** USB 2.0 Table 9-10: the configuration descriptor (its header; wTotalLength covers all that follows). */
export const USB_CONFIG_DESCRIPTOR = defineStruct('usb_config_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['wTotalLength', u16le],
  ['bNumInterfaces', u8],
  ['bConfigurationValue', u8],
  ['iConfiguration', u8],
  ['bmAttributes', u8],
  ['bMaxPower', u8],
] as const);
export type UsbConfigDescriptor = ReturnType<typeof USB_CONFIG_DESCRIPTOR.decode>;

/** USB 2.0 Table 9-12: the interface descriptor. */
export const USB_INTERFACE_DESCRIPTOR = defineStruct('usb_interface_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['bInterfaceNumber', u8],
  ['bAlternateSetting', u8],
  ['bNumEndpoints', u8],
  ['bInterfaceClass', u8],
  ['bInterfaceSubClass', u8],
  ['bInterfaceProtocol', u8],
  ['iInterface', u8],
] as const);
export type UsbInterfaceDescriptor = ReturnType<typeof USB_INTERFACE_DESCRIPTOR.decode>;

/** USB 2.0 Table 9-13: the endpoint descriptor. */
export const USB_ENDPOINT_DESCRIPTOR = defineStruct('usb_endpoint_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['bEndpointAddress', u8],
  ['bmAttributes', u8],
  ['wMaxPacketSize', u16le],
  ['bInterval', u8],
] as const);
export type UsbEndpointDescriptor = ReturnType<typeof USB_ENDPOINT_DESCRIPTOR.decode>;

/** The Interface Association Descriptor (USB 3.2 Table 9-22; the IAD ECN to USB 2.0). */
export const USB_INTERFACE_ASSOC_DESCRIPTOR = defineStruct('usb_interface_assoc_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['bFirstInterface', u8],
  ['bInterfaceCount', u8],
  ['bFunctionClass', u8],
  ['bFunctionSubClass', u8],
  ['bFunctionProtocol', u8],
  ['iFunction', u8],
] as const);

/** USB 2.0 Tables 9-15/9-16: the two-byte header of a string descriptor (then UTF-16LE or LANGIDs). */
export const USB_STRING_DESCRIPTOR_HEADER = defineStruct('usb_string_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
] as const);

/** A string descriptor is at most 255 bytes: 126 UTF-16 code units after the header. */
export const USB_MAX_STRING_LENGTH = 126;

/** USB 2.0 §9.6.7: string descriptor `text` (UTF-16LE); RangeError when it is too long. */
export function stringDescriptor(text: string): Uint8Array {
  if (text.length > USB_MAX_STRING_LENGTH) throw new RangeError(`a USB string holds at most ${USB_MAX_STRING_LENGTH} UTF-16 units, got ${text.length}`);
  const out = new Uint8Array(2 + 2 * text.length);
  USB_STRING_DESCRIPTOR_HEADER.encode({ bLength: out.length, bDescriptorType: USB_DT.STRING }, out);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + 2 * i] = c & 0xff;
    out[3 + 2 * i] = c >> 8;
  }
  return out;
}

/** USB 2.0 Table 9-15: string descriptor zero, the LANGIDs the device supports. */
export function languageDescriptor(langIds: readonly number[] = [LANGID_EN_US]): Uint8Array {
  const out = new Uint8Array(2 + 2 * langIds.length);
  USB_STRING_DESCRIPTOR_HEADER.encode({ bLength: out.length, bDescriptorType: USB_DT.STRING }, out);
  langIds.forEach((id, i) => {
    out[2 + 2 * i] = id & 0xff;
    out[3 + 2 * i] = id >> 8;
  });
  return out;
}

/** The text of a string descriptor (UTF-16LE after the header); RangeError when malformed. */
export function parseStringDescriptor(desc: Uint8Array): string {
  if (desc.length < 2 || desc[1] !== USB_DT.STRING || desc[0]! > desc.length || desc[0]! % 2 !== 0) throw new RangeError('not a string descriptor');
  let s = '';
  for (let i = 2; i + 1 < desc[0]!; i += 2) s += String.fromCharCode(desc[i]! | (desc[i + 1]! << 8));
  return s;
}

/** One descriptor inside a configuration: its type and its bytes (bLength of them). */
export interface DescriptorEntry {
  bDescriptorType: number;
  bytes: Uint8Array;
}

/**
 * Split a configuration descriptor (wTotalLength bytes: configuration, interfaces, class
 * descriptors, endpoints) into its descriptors. RangeError for a zero or overlong bLength.
 */
export function splitDescriptors(config: Uint8Array): DescriptorEntry[] {
  const out: DescriptorEntry[] = [];
  for (let i = 0; i < config.length; ) {
    const length = config[i]!;
    if (length < 2 || i + length > config.length) throw new RangeError(`descriptor at offset ${i} has bLength ${length}, past the end or too short`);
    out.push({ bDescriptorType: config[i + 1]!, bytes: config.subarray(i, i + length) });
    i += length;
  }
  return out;
}

/** Endpoint address helpers (USB 2.0 Table 9-13 bEndpointAddress). */
export function endpointNumber(bEndpointAddress: number): number {
  return bEndpointAddress & 0x0f;
}
export function isInEndpoint(bEndpointAddress: number): boolean {
  return (bEndpointAddress & USB_DIR_IN) !== 0;
}
