/**
 * The USB/IP wire format, from the kernel's Documentation/usb/usbip_protocol.rst (protocol
 * version 1.1.1): the operation messages that list and import devices, and the URB messages
 * (CMD_SUBMIT / RET_SUBMIT, CMD_UNLINK / RET_UNLINK) that follow an import. Every field is big
 * endian ("network byte order"). One table per message with the document's field names; the
 * server (firmware-sim/endpoints) and the client transport (src/transports) both use them.
 *
 * @example
 * ```ts
 * const header = USBIP_CMD_SUBMIT.decode(bytes);
 * if (header.command === USBIP_CMD.SUBMIT && header.direction === USBIP_DIR.IN) ...
 * ```
 */
import { bytes, cstring, defineStruct, i32be, u16be, u32be, u8 } from '../binary-struct.js';

/** The documented protocol version, 1.1.1 (tools/usb/usbip/configure.ac). */
export const USBIP_VERSION = 0x0111;
/** The IANA-registered USB/IP port. */
export const USBIP_PORT = 3240;

/** Operation codes of OP_REQ_* and OP_REP_*. */
export const USBIP_OP = {
  REQ_DEVLIST: 0x8005,
  REP_DEVLIST: 0x0005,
  REQ_IMPORT: 0x8003,
  REP_IMPORT: 0x0003,
} as const;

/**
 * Status of an OP_REP_* message. The document says "0 for OK, 1 for error"; usbip(8) knows
 * these finer codes (tools/usb/usbip/libsrc/usbip_common.h) and prints their meaning.
 */
export const USBIP_ST = {
  OK: 0,
  NA: 1,
  DEV_BUSY: 2,
  DEV_ERR: 3,
  NODEV: 4,
  ERROR: 5,
} as const;

/** `command` of the URB messages (usbip_header_basic). */
export const USBIP_CMD = {
  SUBMIT: 0x0000_0001,
  UNLINK: 0x0000_0002,
  RET_SUBMIT: 0x0000_0003,
  RET_UNLINK: 0x0000_0004,
} as const;

export const USBIP_DIR = { OUT: 0, IN: 1 } as const;

/** include/uapi/linux/usbip.h: transfer_flags bits that matter to a device. */
export const USBIP_URB = {
  SHORT_NOT_OK: 0x0001,
  ZERO_PACKET: 0x0040,
  DIR_IN: 0x0200,
} as const;

/** enum usb_device_speed (include/uapi/linux/usb/ch9.h), the `speed` of usbip_usb_device. */
export const USB_SPEED = { UNKNOWN: 0, LOW: 1, FULL: 2, HIGH: 3, WIRELESS: 4, SUPER: 5 } as const;

/**
 * `number_of_packets` of a transfer that is not isochronous. The document's table says
 * 0xffffffff, but its own example capture, the kernel's vhci-hcd (6.1: 0 in every CMD_SUBMIT)
 * and Wireshark's dissector (which reads any other value as a count of ISO descriptors) all
 * use 0; the Linux server (stub) echoes what the client sent. So do we.
 */
export const USBIP_NOT_ISO = 0;

/** Linux errno values carried (negated) in RET_SUBMIT and RET_UNLINK `status`. */
export const ERRNO = {
  ENOENT: 2,
  ENOMEM: 12,
  EPIPE: 32,
  EOVERFLOW: 75,
  ECONNRESET: 104,
  ESHUTDOWN: 108,
} as const;

/** OP_REQ_DEVLIST, OP_REQ_IMPORT's first 8 bytes, OP_REP_IMPORT's first 8 bytes: the common header. */
export const OP_COMMON = defineStruct('op_common', [
  ['version', u16be],
  ['code', u16be],
  ['status', u32be],
] as const);

/** OP_REQ_IMPORT: the common header and the busid to import. */
export const OP_REQ_IMPORT = defineStruct('OP_REQ_IMPORT', [
  ['version', u16be],
  ['code', u16be],
  ['status', u32be],
  ['busid', cstring(32)],
] as const);

/** OP_REP_DEVLIST up to the number of devices; `ndev` device records follow. */
export const OP_REP_DEVLIST_HEADER = defineStruct('OP_REP_DEVLIST', [
  ['version', u16be],
  ['code', u16be],
  ['status', u32be],
  ['ndev', u32be],
] as const);

/**
 * struct usbip_usb_device: one exported device, 0x138 bytes. OP_REP_DEVLIST follows each with
 * bNumInterfaces interface records; OP_REP_IMPORT carries one after its status (and no interfaces).
 */
export const USBIP_USB_DEVICE = defineStruct('usbip_usb_device', [
  ['path', cstring(256)],
  ['busid', cstring(32)],
  ['busnum', u32be],
  ['devnum', u32be],
  ['speed', u32be],
  ['idVendor', u16be],
  ['idProduct', u16be],
  ['bcdDevice', u16be],
  ['bDeviceClass', u8],
  ['bDeviceSubClass', u8],
  ['bDeviceProtocol', u8],
  ['bConfigurationValue', u8],
  ['bNumConfigurations', u8],
  ['bNumInterfaces', u8],
] as const);
export type UsbIpUsbDevice = ReturnType<typeof USBIP_USB_DEVICE.decode>;

/** struct usbip_usb_interface: one interface of a listed device. */
export const USBIP_USB_INTERFACE = defineStruct('usbip_usb_interface', [
  ['bInterfaceClass', u8],
  ['bInterfaceSubClass', u8],
  ['bInterfaceProtocol', u8],
  ['padding', u8],
] as const);
export type UsbIpUsbInterface = ReturnType<typeof USBIP_USB_INTERFACE.decode>;

/** usbip_header_basic: the first 20 bytes of every URB message. */
const HEADER_BASIC = [
  ['command', u32be],
  ['seqnum', u32be],
  ['devid', u32be],
  ['direction', u32be],
  ['ep', u32be],
] as const;
export const USBIP_HEADER_BASIC = defineStruct('usbip_header_basic', HEADER_BASIC);

/** USBIP_CMD_SUBMIT: 0x30 bytes; an OUT transfer's transfer_buffer_length bytes follow. */
export const USBIP_CMD_SUBMIT = defineStruct('USBIP_CMD_SUBMIT', [
  ...HEADER_BASIC,
  ['transfer_flags', u32be],
  ['transfer_buffer_length', i32be],
  ['start_frame', i32be],
  ['number_of_packets', i32be],
  ['interval', i32be],
  ['setup', bytes(8)],
] as const);
export type UsbIpCmdSubmit = ReturnType<typeof USBIP_CMD_SUBMIT.decode>;

/** USBIP_RET_SUBMIT: 0x30 bytes; an IN transfer's actual_length bytes follow. */
export const USBIP_RET_SUBMIT = defineStruct('USBIP_RET_SUBMIT', [
  ...HEADER_BASIC,
  ['status', i32be],
  ['actual_length', i32be],
  ['start_frame', i32be],
  ['number_of_packets', i32be],
  ['error_count', i32be],
  ['padding', bytes(8)],
] as const);
export type UsbIpRetSubmit = ReturnType<typeof USBIP_RET_SUBMIT.decode>;

/** USBIP_CMD_UNLINK: 0x30 bytes. */
export const USBIP_CMD_UNLINK = defineStruct('USBIP_CMD_UNLINK', [...HEADER_BASIC, ['unlink_seqnum', u32be], ['padding', bytes(24)]] as const);
export type UsbIpCmdUnlink = ReturnType<typeof USBIP_CMD_UNLINK.decode>;

/** USBIP_RET_UNLINK: 0x30 bytes. */
export const USBIP_RET_UNLINK = defineStruct('USBIP_RET_UNLINK', [...HEADER_BASIC, ['status', i32be], ['padding', bytes(24)]] as const);
export type UsbIpRetUnlink = ReturnType<typeof USBIP_RET_UNLINK.decode>;

/** usbip_iso_packet_descriptor: follows the transfer buffer of an isochronous transfer. */
export const USBIP_ISO_PACKET_DESCRIPTOR = defineStruct('usbip_iso_packet_descriptor', [
  ['offset', u32be],
  ['length', u32be],
  ['actual_length', u32be],
  ['status', u32be],
] as const);

/** Every URB message header is this long (the document pads them to one size). */
export const USBIP_HEADER_SIZE = 0x30;

/** One exported device as OP_REP_DEVLIST describes it. */
export interface UsbIpExportedDevice {
  device: UsbIpUsbDevice;
  interfaces: UsbIpUsbInterface[];
}

/** OP_REP_DEVLIST for `devices`. */
export function encodeDevlistReply(devices: readonly UsbIpExportedDevice[]): Uint8Array {
  const size = OP_REP_DEVLIST_HEADER.size + devices.reduce((n, d) => n + USBIP_USB_DEVICE.size + d.interfaces.length * USBIP_USB_INTERFACE.size, 0);
  const out = new Uint8Array(size);
  OP_REP_DEVLIST_HEADER.encode({ version: USBIP_VERSION, code: USBIP_OP.REP_DEVLIST, status: USBIP_ST.OK, ndev: devices.length }, out);
  let at = OP_REP_DEVLIST_HEADER.size;
  for (const d of devices) {
    if (d.interfaces.length !== d.device.bNumInterfaces) throw new RangeError(`${d.device.busid}: bNumInterfaces is ${d.device.bNumInterfaces} but ${d.interfaces.length} interfaces are listed`);
    USBIP_USB_DEVICE.encode(d.device, out, at);
    at += USBIP_USB_DEVICE.size;
    for (const i of d.interfaces) {
      USBIP_USB_INTERFACE.encode(i, out, at);
      at += USBIP_USB_INTERFACE.size;
    }
  }
  return out;
}

/** OP_REP_IMPORT: the device on success, the bare header with `status` otherwise. */
export function encodeImportReply(status: number, device?: UsbIpUsbDevice): Uint8Array {
  const header = OP_COMMON.encode({ version: USBIP_VERSION, code: USBIP_OP.REP_IMPORT, status });
  if (status !== USBIP_ST.OK || device === undefined) return header;
  const out = new Uint8Array(OP_COMMON.size + USBIP_USB_DEVICE.size);
  out.set(header);
  USBIP_USB_DEVICE.encode(device, out, OP_COMMON.size);
  return out;
}

/**
 * RET_SUBMIT with its IN data (empty for OUT transfers). `numberOfPackets` echoes the
 * command's, as the Linux stub does (0 for a transfer that is not isochronous).
 */
export function encodeRetSubmit(seqnum: number, status: number, actualLength: number, data: Uint8Array = new Uint8Array(0), numberOfPackets = USBIP_NOT_ISO): Uint8Array {
  const out = new Uint8Array(USBIP_HEADER_SIZE + data.length);
  USBIP_RET_SUBMIT.encode(
    {
      command: USBIP_CMD.RET_SUBMIT,
      seqnum,
      // The document: devid, direction and ep "shall be set to 0" by the server.
      devid: 0,
      direction: 0,
      ep: 0,
      status,
      actual_length: actualLength,
      start_frame: 0,
      number_of_packets: numberOfPackets,
      error_count: 0,
      padding: new Uint8Array(8),
    },
    out,
  );
  out.set(data, USBIP_HEADER_SIZE);
  return out;
}

/** RET_UNLINK: `status` is −ECONNRESET when the URB was unlinked, 0 when it had completed. */
export function encodeRetUnlink(seqnum: number, status: number): Uint8Array {
  return USBIP_RET_UNLINK.encode({ command: USBIP_CMD.RET_UNLINK, seqnum, devid: 0, direction: 0, ep: 0, status, padding: new Uint8Array(24) });
}

/** CMD_SUBMIT with its OUT data (`data` empty for IN transfers, whose length is `length`). */
export function encodeCmdSubmit(o: {
  seqnum: number;
  devid: number;
  direction: number;
  ep: number;
  length: number;
  setup?: Uint8Array;
  data?: Uint8Array;
  interval?: number;
}): Uint8Array {
  const data = o.direction === USBIP_DIR.OUT ? (o.data ?? new Uint8Array(0)) : new Uint8Array(0);
  if (o.direction === USBIP_DIR.OUT && data.length !== o.length) throw new RangeError('an OUT transfer carries exactly transfer_buffer_length bytes');
  const out = new Uint8Array(USBIP_HEADER_SIZE + data.length);
  USBIP_CMD_SUBMIT.encode(
    {
      command: USBIP_CMD.SUBMIT,
      seqnum: o.seqnum,
      devid: o.devid,
      direction: o.direction,
      ep: o.ep,
      transfer_flags: o.direction === USBIP_DIR.IN ? USBIP_URB.DIR_IN : 0,
      transfer_buffer_length: o.length,
      start_frame: 0,
      number_of_packets: USBIP_NOT_ISO,
      interval: o.interval ?? 0,
      setup: o.setup ?? new Uint8Array(8),
    },
    out,
  );
  out.set(data, USBIP_HEADER_SIZE);
  return out;
}

/** CMD_UNLINK of `unlinkSeqnum`. */
export function encodeCmdUnlink(seqnum: number, devid: number, unlinkSeqnum: number): Uint8Array {
  return USBIP_CMD_UNLINK.encode({ command: USBIP_CMD.UNLINK, seqnum, devid, direction: 0, ep: 0, unlink_seqnum: unlinkSeqnum, padding: new Uint8Array(24) });
}
