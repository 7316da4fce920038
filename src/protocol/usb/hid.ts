/**
 * HID 1.11 (Device Class Definition for Human Interface Devices): the HID class descriptor,
 * the class requests, and report descriptor items — an encoder the simulated devices write
 * their report descriptors with, and a reader the host side uses to tell a FIDO interface
 * from a vendor or keyboard one.
 *
 * @example
 * ```ts
 * const rd = hidReportDescriptor([usagePage(0xf1d0), usage(1), collection(COLLECTION.APPLICATION), ..., endCollection()]);
 * reportDescriptorUsage(rd); // { usagePage: 0xf1d0, usage: 1 }
 * ```
 */
import { defineStruct, u16le, u8 } from '../binary-struct.js';

/**
 * HID 1.11 §6.2.1: the HID descriptor with one class descriptor (the report descriptor).
 * The specification names the last two fields bDescriptorType and wDescriptorLength again;
 * a table needs unique names, so they carry Linux's `desc[0].` prefix (struct hid_descriptor).
 */
export const HID_DESCRIPTOR = defineStruct('hid_descriptor', [
  ['bLength', u8],
  ['bDescriptorType', u8],
  ['bcdHID', u16le],
  ['bCountryCode', u8],
  ['bNumDescriptors', u8],
  ['desc[0].bDescriptorType', u8],
  ['desc[0].wDescriptorLength', u16le],
] as const);

/** HID 1.11 §7.2 class-specific requests. */
export const HID_REQ = {
  GET_REPORT: 0x01,
  GET_IDLE: 0x02,
  GET_PROTOCOL: 0x03,
  SET_REPORT: 0x09,
  SET_IDLE: 0x0a,
  SET_PROTOCOL: 0x0b,
} as const;

/** HID 1.11 §7.2.1: the report type in the high byte of wValue of GET_REPORT/SET_REPORT. */
export const HID_REPORT_TYPE = { INPUT: 0x01, OUTPUT: 0x02, FEATURE: 0x03 } as const;

/** HID 1.11 §4.2 subclass (boot interface) and §4.3 protocol codes. */
export const HID_SUBCLASS_BOOT = 0x01;
export const HID_PROTOCOL = { NONE: 0x00, KEYBOARD: 0x01, MOUSE: 0x02 } as const;
/** HID 1.11 §7.2.5/§7.2.6: SET_PROTOCOL wValue. */
export const HID_PROTOCOL_MODE = { BOOT: 0, REPORT: 1 } as const;

/** HID 1.11 §6.2.2.4: Collection item data. */
export const COLLECTION = { PHYSICAL: 0x00, APPLICATION: 0x01, LOGICAL: 0x02 } as const;

/** HID 1.11 §6.2.2.4: Input/Output/Feature item data bits (bit 0 Constant, bit 1 Variable, bit 2 Relative). */
export const MAIN_DATA = { DATA_ARRAY_ABS: 0x00, CONST_ARRAY_ABS: 0x01, DATA_VAR_ABS: 0x02 } as const;

/** HID 1.11 §6.2.2.2 item types. */
const ITEM_TYPE = { MAIN: 0, GLOBAL: 1, LOCAL: 2 } as const;

/** One short item (HID 1.11 §6.2.2.2): prefix byte (tag, type, size) and 0, 1, 2 or 4 data bytes. */
export interface HidItem {
  type: number;
  tag: number;
  /** Absent for items without data (End Collection). */
  value?: number;
  /** Minimum/Maximum items hold signed values; the rest unsigned. */
  signed?: boolean;
}

function item(type: number, tag: number, value?: number, signed = false): HidItem {
  return { type, tag, ...(value === undefined ? {} : { value }), signed };
}

// Main items (§6.2.2.4).
export const input = (data: number): HidItem => item(ITEM_TYPE.MAIN, 0x8, data);
export const output = (data: number): HidItem => item(ITEM_TYPE.MAIN, 0x9, data);
export const feature = (data: number): HidItem => item(ITEM_TYPE.MAIN, 0xb, data);
export const collection = (kind: number): HidItem => item(ITEM_TYPE.MAIN, 0xa, kind);
export const endCollection = (): HidItem => item(ITEM_TYPE.MAIN, 0xc);
// Global items (§6.2.2.7).
export const usagePage = (page: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x0, page);
export const logicalMinimum = (n: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x1, n, true);
export const logicalMaximum = (n: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x2, n, true);
export const reportSize = (bits: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x7, bits);
export const reportId = (id: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x8, id);
export const reportCount = (n: number): HidItem => item(ITEM_TYPE.GLOBAL, 0x9, n);
// Local items (§6.2.2.8).
export const usage = (u: number): HidItem => item(ITEM_TYPE.LOCAL, 0x0, u);
export const usageMinimum = (u: number): HidItem => item(ITEM_TYPE.LOCAL, 0x1, u);
export const usageMaximum = (u: number): HidItem => item(ITEM_TYPE.LOCAL, 0x2, u);

/** Data bytes an item's value needs: 1, 2 or 4 (the size code is 1, 2 or 3). */
function dataSize(value: number, signed: boolean): 1 | 2 | 4 {
  if (signed) {
    if (value >= -0x80 && value <= 0x7f) return 1;
    if (value >= -0x8000 && value <= 0x7fff) return 2;
    if (value >= -0x8000_0000 && value <= 0x7fff_ffff) return 4;
  } else {
    if (value >= 0 && value <= 0xff) return 1;
    if (value >= 0 && value <= 0xffff) return 2;
    if (value >= 0 && value <= 0xffff_ffff) return 4;
  }
  throw new RangeError(`HID item value ${value} does not fit in 4 bytes`);
}

/** Encode items into report descriptor bytes, each value in the fewest bytes that hold it. */
export function hidReportDescriptor(items: readonly HidItem[]): Uint8Array {
  const out: number[] = [];
  for (const it of items) {
    if (it.value === undefined) {
      out.push((it.tag << 4) | (it.type << 2));
      continue;
    }
    const n = dataSize(it.value, it.signed === true);
    out.push((it.tag << 4) | (it.type << 2) | (n === 4 ? 3 : n));
    for (let i = 0; i < n; i++) out.push(Math.floor(it.value / 2 ** (8 * i)) & 0xff);
  }
  return Uint8Array.from(out);
}

/**
 * The usage page and usage of a report descriptor's first application collection: what
 * hidapi reports as `usagePage`/`usage` (0xF1D0/1 for FIDO). Undefined when there is none.
 */
export function reportDescriptorUsage(desc: Uint8Array): { usagePage: number; usage: number } | undefined {
  let page: number | undefined;
  let use: number | undefined;
  for (let i = 0; i < desc.length; ) {
    const prefix = desc[i]!;
    if (prefix === 0xfe) {
      // HID 1.11 §6.2.2.3 long item: bDataSize then bLongItemTag, then the data.
      i += 3 + (desc[i + 1] ?? 0);
      continue;
    }
    const sizeCode = prefix & 0x03;
    const size = sizeCode === 3 ? 4 : sizeCode;
    let value = 0;
    for (let k = 0; k < size; k++) value += (desc[i + 1 + k] ?? 0) * 2 ** (8 * k);
    const type = (prefix >> 2) & 0x03;
    const tag = prefix >> 4;
    if (type === ITEM_TYPE.GLOBAL && tag === 0x0) page = value;
    else if (type === ITEM_TYPE.LOCAL && tag === 0x0) use = size === 4 ? value & 0xffff : value;
    else if (type === ITEM_TYPE.MAIN && tag === 0xa) return page === undefined || use === undefined ? undefined : { usagePage: page, usage: use };
    i += 1 + size;
  }
  return undefined;
}
