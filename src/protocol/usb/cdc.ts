/**
 * USB Communications Device Class 1.2 and its PSTN 1.2 subclass document: the functional
 * descriptors of an Abstract Control Model (ACM) serial port, the line coding structure and
 * the class requests a host sends to a virtual COM port (Linux cdc_acm, Windows usbser.sys).
 *
 * @example
 * ```ts
 * const coding = CDC_LINE_CODING.decode(data); // { dwDTERate: 115200, bCharFormat: 0, bParityType: 0, bDataBits: 8 }
 * ```
 */
import { defineStruct, u16le, u32le, u8 } from '../binary-struct.js';

/** CDC 1.2 Table 4 (Communications class subclass codes) and Table 5 (protocol codes). */
export const CDC_SUBCLASS_ACM = 0x02;
/** No class-specific protocol: the serial line carries docs/serial-protocol.md, not V.250 AT commands. */
export const CDC_PROTOCOL_NONE = 0x00;

/** CDC 1.2 Table 13: functional descriptor subtypes. */
export const CDC_DESCRIPTOR_SUBTYPE = {
  HEADER: 0x00,
  CALL_MANAGEMENT: 0x01,
  ACM: 0x02,
  UNION: 0x06,
} as const;

/** CDC 1.2 Table 19 and PSTN 1.2 Table 13: class requests of an ACM interface. */
export const CDC_REQ = {
  SEND_ENCAPSULATED_COMMAND: 0x00,
  GET_ENCAPSULATED_RESPONSE: 0x01,
  SET_LINE_CODING: 0x20,
  GET_LINE_CODING: 0x21,
  SET_CONTROL_LINE_STATE: 0x22,
  SEND_BREAK: 0x23,
} as const;

/** PSTN 1.2 Table 18: SET_CONTROL_LINE_STATE wValue bits. */
export const CDC_CONTROL_LINE = { DTR: 0x01, RTS: 0x02 } as const;

/** PSTN 1.2 Table 4 bmCapabilities: D1 = the device supports Set/Get_Line_Coding, Set_Control_Line_State, Serial_State. */
export const CDC_ACM_CAP_LINE = 0x02;

/** CDC 1.2 Table 15: Header Functional Descriptor. */
export const CDC_HEADER_DESCRIPTOR = defineStruct('cdc_header_functional_descriptor', [
  ['bFunctionLength', u8],
  ['bDescriptorType', u8],
  ['bDescriptorSubtype', u8],
  ['bcdCDC', u16le],
] as const);

/** PSTN 1.2 Table 3: Call Management Functional Descriptor. */
export const CDC_CALL_MANAGEMENT_DESCRIPTOR = defineStruct('cdc_call_management_functional_descriptor', [
  ['bFunctionLength', u8],
  ['bDescriptorType', u8],
  ['bDescriptorSubtype', u8],
  ['bmCapabilities', u8],
  ['bDataInterface', u8],
] as const);

/** PSTN 1.2 Table 4: Abstract Control Management Functional Descriptor. */
export const CDC_ACM_DESCRIPTOR = defineStruct('cdc_acm_functional_descriptor', [
  ['bFunctionLength', u8],
  ['bDescriptorType', u8],
  ['bDescriptorSubtype', u8],
  ['bmCapabilities', u8],
] as const);

/** CDC 1.2 Table 16: Union Functional Descriptor with one subordinate interface. */
export const CDC_UNION_DESCRIPTOR = defineStruct('cdc_union_functional_descriptor', [
  ['bFunctionLength', u8],
  ['bDescriptorType', u8],
  ['bDescriptorSubtype', u8],
  ['bControlInterface', u8],
  ['bSubordinateInterface0', u8],
] as const);

/** PSTN 1.2 Table 17: Line Coding Structure. */
export const CDC_LINE_CODING = defineStruct('cdc_line_coding', [
  ['dwDTERate', u32le],
  ['bCharFormat', u8],
  ['bParityType', u8],
  ['bDataBits', u8],
] as const);
export type CdcLineCoding = ReturnType<typeof CDC_LINE_CODING.decode>;

/** 115200 8N1: what a port reads before the host sets anything. */
export const DEFAULT_LINE_CODING: CdcLineCoding = { dwDTERate: 115_200, bCharFormat: 0, bParityType: 0, bDataBits: 8 };
