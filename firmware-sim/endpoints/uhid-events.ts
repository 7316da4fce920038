/**
 * The Linux uhid ABI (include/uapi/linux/uhid.h): `struct uhid_event` is a u32 type and a
 * union of requests; one event per read() and per write(). One table per request with the
 * header's field names. The fields are the host's byte order (`__u16`, `__u32`); every
 * architecture Node runs Linux on here is little endian, which the tables say.
 *
 * @example
 * ```ts
 * const ev = uhidEvent(UHID.INPUT2, UHID_INPUT2_REQ.encode({ size: 64, data: report }));
 * ```
 */
import { bytes, cstring, defineStruct, u16le, u32le, u8 } from '../../src/protocol/binary-struct.js';

/** enum uhid_event_type (retired legacy types stay visible as comments). */
export const UHID = {
  // __UHID_LEGACY_CREATE: 0
  DESTROY: 1,
  START: 2,
  STOP: 3,
  OPEN: 4,
  CLOSE: 5,
  OUTPUT: 6,
  // __UHID_LEGACY_OUTPUT_EV: 7, __UHID_LEGACY_INPUT: 8
  GET_REPORT: 9,
  GET_REPORT_REPLY: 10,
  CREATE2: 11,
  INPUT2: 12,
  SET_REPORT: 13,
  SET_REPORT_REPLY: 14,
} as const;

/** enum uhid_report_type. */
export const UHID_REPORT_TYPE = { FEATURE: 0, OUTPUT: 1, INPUT: 2 } as const;

/** UHID_DATA_MAX and HID_MAX_DESCRIPTOR_SIZE (include/uapi/linux/hid.h). */
export const UHID_DATA_MAX = 4096;
export const HID_MAX_DESCRIPTOR_SIZE = 4096;
/** include/uapi/linux/input.h: the bus type of a USB HID device. */
export const BUS_USB = 0x03;

/** `struct uhid_event`'s type field. */
export const UHID_EVENT_HEADER = defineStruct('uhid_event', [['type', u32le]] as const);

export const UHID_CREATE2_REQ = defineStruct('uhid_create2_req', [
  ['name', cstring(128)],
  ['phys', cstring(64)],
  ['uniq', cstring(64)],
  ['rd_size', u16le],
  ['bus', u16le],
  ['vendor', u32le],
  ['product', u32le],
  ['version', u32le],
  ['country', u32le],
  ['rd_data', bytes(HID_MAX_DESCRIPTOR_SIZE)],
] as const);

export const UHID_START_REQ = defineStruct('uhid_start_req', [['dev_flags', bytes(8)]] as const);

export const UHID_INPUT2_REQ = defineStruct('uhid_input2_req', [
  ['size', u16le],
  ['data', bytes(UHID_DATA_MAX)],
] as const);

export const UHID_OUTPUT_REQ = defineStruct('uhid_output_req', [
  ['data', bytes(UHID_DATA_MAX)],
  ['size', u16le],
  ['rtype', u8],
] as const);

export const UHID_GET_REPORT_REQ = defineStruct('uhid_get_report_req', [
  ['id', u32le],
  ['rnum', u8],
  ['rtype', u8],
] as const);

export const UHID_GET_REPORT_REPLY_REQ = defineStruct('uhid_get_report_reply_req', [
  ['id', u32le],
  ['err', u16le],
  ['size', u16le],
  ['data', bytes(UHID_DATA_MAX)],
] as const);

export const UHID_SET_REPORT_REQ = defineStruct('uhid_set_report_req', [
  ['id', u32le],
  ['rnum', u8],
  ['rtype', u8],
  ['size', u16le],
  ['data', bytes(UHID_DATA_MAX)],
] as const);

export const UHID_SET_REPORT_REPLY_REQ = defineStruct('uhid_set_report_reply_req', [
  ['id', u32le],
  ['err', u16le],
] as const);

/**
 * sizeof(struct uhid_event): the type and the union of requests. The union is as long as its
 * largest member (uhid_create2_req, 4372 bytes) rounded up to 8, because uhid_start_req's
 * __u64 gives the (unpacked) union 8-byte alignment: 4 + 4376 = 4380.
 */
export const UHID_EVENT_SIZE = UHID_EVENT_HEADER.size + Math.ceil(UHID_CREATE2_REQ.size / 8) * 8;

/**
 * One event to write: the type, then the request. Shorter than UHID_EVENT_SIZE is fine (the
 * kernel fills the rest with zeros), and only the request's used bytes are sent.
 */
export function uhidEvent(type: number, request: Uint8Array = new Uint8Array(0), usedBytes = request.length): Uint8Array {
  const out = new Uint8Array(UHID_EVENT_HEADER.size + usedBytes);
  UHID_EVENT_HEADER.encode({ type }, out);
  out.set(request.subarray(0, usedBytes), UHID_EVENT_HEADER.size);
  return out;
}
