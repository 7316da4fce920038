/**
 * Every struct table of the USB and USB/IP code, byte for byte against the documents it comes
 * from (test/vectors/usb/*.json transcribe their tables) and, where the kernel's own headers
 * declare the struct (linux/usb/ch9.h, linux/usb/cdc.h), against what gcc lays out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PlacedField } from '../../src/protocol/binary-struct.js';
import * as cdc from '../../src/protocol/usb/cdc.js';
import * as ch9 from '../../src/protocol/usb/ch9.js';
import { HID_DESCRIPTOR } from '../../src/protocol/usb/hid.js';
import * as usbip from '../../src/protocol/usbip/messages.js';
import { UsbIpClientReader, UsbIpServerReader } from '../../src/protocol/usbip/stream.js';
import * as uhid from '../../firmware-sim/endpoints/uhid-events.js';
import { cEnum, cLayouts, gcc } from '../support/c-layout.js';

type Row = [string, number, number];
const descriptorDoc = JSON.parse(readFileSync(new URL('../vectors/usb/descriptor-layouts.json', import.meta.url), 'utf8')) as { structs: Record<string, { table: string; fields: Row[] }> };
const usbipDoc = JSON.parse(readFileSync(new URL('../vectors/usb/usbip-protocol.json', import.meta.url), 'utf8')) as {
  structs: Record<string, Row[]>;
  codes: Record<string, number>;
  example: Record<string, string>;
};

const rows = (fields: readonly PlacedField[]): Row[] => fields.map((f) => [f.name, f.offset, f.size]);
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const DESCRIPTOR_STRUCTS = [
  ch9.USB_SETUP_PACKET,
  ch9.USB_DEVICE_DESCRIPTOR,
  ch9.USB_CONFIG_DESCRIPTOR,
  ch9.USB_INTERFACE_DESCRIPTOR,
  ch9.USB_ENDPOINT_DESCRIPTOR,
  ch9.USB_STRING_DESCRIPTOR_HEADER,
  ch9.USB_INTERFACE_ASSOC_DESCRIPTOR,
  HID_DESCRIPTOR,
  cdc.CDC_HEADER_DESCRIPTOR,
  cdc.CDC_UNION_DESCRIPTOR,
  cdc.CDC_CALL_MANAGEMENT_DESCRIPTOR,
  cdc.CDC_ACM_DESCRIPTOR,
  cdc.CDC_LINE_CODING,
];

describe('USB descriptor layouts', () => {
  it('every table matches its specification table, field by field', () => {
    expect(DESCRIPTOR_STRUCTS.map((s) => s.name).sort()).toEqual(Object.keys(descriptorDoc.structs).sort());
    for (const s of DESCRIPTOR_STRUCTS) {
      const doc = descriptorDoc.structs[s.name]!;
      expect(rows(s.fields), `${s.name} (${doc.table})`).toEqual(doc.fields);
      const last = doc.fields.at(-1)!;
      expect(s.size).toBe(last[1] + last[2]);
    }
  });

  // Our names (the specifications') and the kernel's where they differ.
  const KERNEL: { struct: typeof ch9.USB_DEVICE_DESCRIPTOR | (typeof DESCRIPTOR_STRUCTS)[number]; c: string; rename?: Record<string, string>; size?: number }[] = [
    { struct: ch9.USB_SETUP_PACKET, c: 'struct usb_ctrlrequest', rename: { bmRequestType: 'bRequestType' } },
    { struct: ch9.USB_DEVICE_DESCRIPTOR, c: 'struct usb_device_descriptor' },
    { struct: ch9.USB_CONFIG_DESCRIPTOR, c: 'struct usb_config_descriptor' },
    { struct: ch9.USB_INTERFACE_DESCRIPTOR, c: 'struct usb_interface_descriptor' },
    // The kernel's struct carries two audio-only bytes after bInterval; USB_DT_ENDPOINT_SIZE is 7.
    { struct: ch9.USB_ENDPOINT_DESCRIPTOR, c: 'struct usb_endpoint_descriptor', size: 9 },
    { struct: ch9.USB_INTERFACE_ASSOC_DESCRIPTOR, c: 'struct usb_interface_assoc_descriptor' },
    { struct: cdc.CDC_HEADER_DESCRIPTOR, c: 'struct usb_cdc_header_desc', rename: { bFunctionLength: 'bLength', bDescriptorSubtype: 'bDescriptorSubType' } },
    { struct: cdc.CDC_CALL_MANAGEMENT_DESCRIPTOR, c: 'struct usb_cdc_call_mgmt_descriptor', rename: { bFunctionLength: 'bLength', bDescriptorSubtype: 'bDescriptorSubType' } },
    { struct: cdc.CDC_ACM_DESCRIPTOR, c: 'struct usb_cdc_acm_descriptor', rename: { bFunctionLength: 'bLength', bDescriptorSubtype: 'bDescriptorSubType' } },
    {
      struct: cdc.CDC_UNION_DESCRIPTOR,
      c: 'struct usb_cdc_union_desc',
      rename: { bFunctionLength: 'bLength', bDescriptorSubtype: 'bDescriptorSubType', bControlInterface: 'bMasterInterface0', bSubordinateInterface0: 'bSlaveInterface0' },
    },
    { struct: cdc.CDC_LINE_CODING, c: 'struct usb_cdc_line_coding' },
  ];

  it('every table matches the kernel header (linux/usb/ch9.h, linux/usb/cdc.h) as gcc lays it out', (ctx) => {
    gcc.require(ctx);
    const cName = (k: (typeof KERNEL)[number], f: string): string => k.rename?.[f] ?? f;
    const layout = cLayouts(
      ['linux/usb/ch9.h', 'linux/usb/cdc.h'],
      KERNEL.map((k) => ({ struct: k.c, fields: k.struct.fields.map((f) => cName(k, f.name)) })),
    );
    for (const k of KERNEL) {
      const c = layout[k.c]!;
      expect(c.size, k.c).toBe(k.size ?? k.struct.size);
      for (const f of k.struct.fields) expect(c.fields[cName(k, f.name)], `${k.c}.${cName(k, f.name)}`).toEqual({ offset: f.offset, size: f.size });
    }
  });

  it('encodes little endian and refuses values that do not fit', () => {
    const setup = ch9.USB_SETUP_PACKET.encode({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
    expect(Buffer.from(setup).toString('hex')).toBe('8006000100001200');
    expect(ch9.USB_SETUP_PACKET.decode(setup)).toEqual({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
    expect(() => ch9.USB_SETUP_PACKET.encode({ bmRequestType: 0x100, bRequest: 6, wValue: 0, wIndex: 0, wLength: 0 })).toThrow(/bmRequestType/);
    expect(() => ch9.USB_SETUP_PACKET.decode(new Uint8Array(7))).toThrow(RangeError);
  });

  it('string descriptors are UTF-16LE after a two-byte header, at most 126 units', () => {
    const d = ch9.stringDescriptor('Tokenrig');
    expect(d[0]).toBe(18);
    expect(d[1]).toBe(ch9.USB_DT.STRING);
    expect(ch9.parseStringDescriptor(d)).toBe('Tokenrig');
    expect(Buffer.from(ch9.languageDescriptor()).toString('hex')).toBe('04030904');
    expect(() => ch9.stringDescriptor('x'.repeat(127))).toThrow(RangeError);
  });
});

const USBIP_STRUCTS = [
  usbip.OP_COMMON,
  usbip.OP_REQ_IMPORT,
  usbip.OP_REP_DEVLIST_HEADER,
  usbip.USBIP_USB_DEVICE,
  usbip.USBIP_USB_INTERFACE,
  usbip.USBIP_HEADER_BASIC,
  usbip.USBIP_CMD_SUBMIT,
  usbip.USBIP_RET_SUBMIT,
  usbip.USBIP_CMD_UNLINK,
  usbip.USBIP_RET_UNLINK,
];

describe('USB/IP wire structs (Documentation/usb/usbip_protocol.rst)', () => {
  it('every table matches the document, field by field', () => {
    expect(USBIP_STRUCTS.map((s) => s.name).sort()).toEqual(Object.keys(usbipDoc.structs).sort());
    for (const s of USBIP_STRUCTS) expect(rows(s.fields), s.name).toEqual(usbipDoc.structs[s.name]);
    // The document's absolute offsets: usbip_usb_device at 0x0C in OP_REP_DEVLIST, 0x08 in OP_REP_IMPORT.
    expect(usbip.OP_REP_DEVLIST_HEADER.size + usbip.USBIP_USB_DEVICE.offsetOf('busid')).toBe(0x10c);
    expect(usbip.OP_REP_DEVLIST_HEADER.size + usbip.USBIP_USB_DEVICE.size).toBe(0x144);
    expect(usbip.OP_COMMON.size + usbip.USBIP_USB_DEVICE.offsetOf('bNumInterfaces')).toBe(0x13f);
    for (const s of [usbip.USBIP_CMD_SUBMIT, usbip.USBIP_RET_SUBMIT, usbip.USBIP_CMD_UNLINK, usbip.USBIP_RET_UNLINK]) expect(s.size).toBe(usbip.USBIP_HEADER_SIZE);
  });

  it('uses the document’s codes and version', () => {
    const c = usbipDoc.codes;
    expect([usbip.USBIP_OP.REQ_DEVLIST, usbip.USBIP_OP.REP_DEVLIST, usbip.USBIP_OP.REQ_IMPORT, usbip.USBIP_OP.REP_IMPORT]).toEqual([c.OP_REQ_DEVLIST, c.OP_REP_DEVLIST, c.OP_REQ_IMPORT, c.OP_REP_IMPORT]);
    expect([usbip.USBIP_CMD.SUBMIT, usbip.USBIP_CMD.UNLINK, usbip.USBIP_CMD.RET_SUBMIT, usbip.USBIP_CMD.RET_UNLINK]).toEqual([c.USBIP_CMD_SUBMIT, c.USBIP_CMD_UNLINK, c.USBIP_RET_SUBMIT, c.USBIP_RET_UNLINK]);
    expect(usbip.USBIP_VERSION).toBe(c.version);
  });

  it('reads the document’s example capture (a CTAPHID INIT over interrupt endpoints)', () => {
    const ex = usbipDoc.example;
    const server = new UsbIpServerReader();
    server.startUrbs();
    // Fed in 7-byte pieces, as TCP may deliver them.
    const wire = hex(ex.CmdIntrIN! + ex.CmdIntrOUT!);
    const got = [];
    for (let i = 0; i < wire.length; i += 7) got.push(...server.push(wire.subarray(i, i + 7)));
    expect(got.map((m) => m.kind)).toEqual(['submit', 'submit']);
    const [inCmd, outCmd] = got as Extract<(typeof got)[number], { kind: 'submit' }>[];
    expect(inCmd!.header).toMatchObject({ seqnum: 0xd05, devid: 0x1000f, direction: usbip.USBIP_DIR.IN, ep: 1, transfer_flags: usbip.USBIP_URB.DIR_IN, transfer_buffer_length: 64 });
    expect(inCmd!.data.length).toBe(0);
    expect(outCmd!.header).toMatchObject({ seqnum: 0xd06, direction: usbip.USBIP_DIR.OUT, ep: 1, transfer_buffer_length: 64 });
    expect(Buffer.from(outCmd!.data.subarray(0, 7)).toString('hex')).toBe('ffffffff860008');

    const client = new UsbIpClientReader('import', (seq) => (seq === 0xd05 ? usbip.USBIP_DIR.IN : usbip.USBIP_DIR.OUT));
    // Skip the import phase: a fake OK import reply first.
    const importReply = usbip.encodeImportReply(usbip.USBIP_ST.OK, { path: '/x', busid: '1-1', busnum: 1, devnum: 15, speed: 2, idVendor: 1, idProduct: 2, bcdDevice: 0, bDeviceClass: 0, bDeviceSubClass: 0, bDeviceProtocol: 0, bConfigurationValue: 1, bNumConfigurations: 1, bNumInterfaces: 1 });
    const replies = client.push(Uint8Array.from([...importReply, ...hex(ex.RetIntrOut!), ...hex(ex.RetIntrIn!)]));
    expect(replies.map((r) => r.kind)).toEqual(['import', 'ret_submit', 'ret_submit']);
    const retIn = replies[2] as Extract<(typeof replies)[number], { kind: 'ret_submit' }>;
    expect(retIn.header).toMatchObject({ seqnum: 0xd05, status: 0, actual_length: 64 });
    // The INIT response: broadcast channel, INIT|0x80, 17 bytes, the 8-byte nonce echoed.
    expect(Buffer.from(retIn.data.subarray(0, 15)).toString('hex')).toBe('ffffffff860011a784ce5ae2123763');
    expect(Buffer.from(outCmd!.data.subarray(7, 15)).toString('hex')).toBe('a784ce5ae2123763');
  });

  it('encodes replies the way the document lays them out', () => {
    const ret = usbip.encodeRetSubmit(0xd05, 0, 3, Uint8Array.of(1, 2, 3));
    expect(ret.length).toBe(0x30 + 3);
    expect(Buffer.from(ret.subarray(0, 0x30)).toString('hex')).toBe(
      ['00000003', '00000d05', '00000000', '00000000', '00000000', '00000000', '00000003', '00000000', '00000000', '00000000', '0000000000000000'].join(''),
    );
    expect(Buffer.from(usbip.encodeRetUnlink(7, -usbip.ERRNO.ECONNRESET).subarray(20, 24)).toString('hex')).toBe('ffffff98');
    expect(Buffer.from(usbip.encodeImportReply(usbip.USBIP_ST.DEV_BUSY)).toString('hex')).toBe('0111000300000002');
  });
});

describe('uhid events (include/uapi/linux/uhid.h)', () => {
  const UHID_STRUCTS = [
    uhid.UHID_CREATE2_REQ,
    uhid.UHID_START_REQ,
    uhid.UHID_INPUT2_REQ,
    uhid.UHID_OUTPUT_REQ,
    uhid.UHID_GET_REPORT_REQ,
    uhid.UHID_GET_REPORT_REPLY_REQ,
    uhid.UHID_SET_REPORT_REQ,
    uhid.UHID_SET_REPORT_REPLY_REQ,
  ];

  it('every table matches the kernel header as gcc lays it out, and struct uhid_event’s size', (ctx) => {
    gcc.require(ctx);
    const layout = cLayouts(['linux/uhid.h'], [
      ...UHID_STRUCTS.map((s) => ({ struct: `struct ${s.name}`, fields: s.fields.map((f) => f.name) })),
      { struct: 'struct uhid_event', fields: ['type', 'u'] },
    ]);
    for (const s of UHID_STRUCTS) {
      const c = layout[`struct ${s.name}`]!;
      expect(c.size, s.name).toBe(s.size);
      for (const f of s.fields) expect(c.fields[f.name], `${s.name}.${f.name}`).toEqual({ offset: f.offset, size: f.size });
    }
    expect(layout['struct uhid_event']!.size).toBe(uhid.UHID_EVENT_SIZE);
    expect(layout['struct uhid_event']!.fields.u!.offset).toBe(uhid.UHID_EVENT_HEADER.size);
  });

  it('uses the header’s event numbers', (ctx) => {
    gcc.require(ctx);
    const names = Object.keys(uhid.UHID) as (keyof typeof uhid.UHID)[];
    const values = cEnum(['linux/uhid.h'], names.map((n) => `UHID_${n}`));
    expect(values).toEqual(names.map((n) => uhid.UHID[n]));
    expect(cEnum(['linux/uhid.h'], ['UHID_FEATURE_REPORT', 'UHID_OUTPUT_REPORT', 'UHID_INPUT_REPORT', 'UHID_DATA_MAX', 'HID_MAX_DESCRIPTOR_SIZE', 'BUS_USB'])).toEqual([
      uhid.UHID_REPORT_TYPE.FEATURE,
      uhid.UHID_REPORT_TYPE.OUTPUT,
      uhid.UHID_REPORT_TYPE.INPUT,
      uhid.UHID_DATA_MAX,
      uhid.HID_MAX_DESCRIPTOR_SIZE,
      uhid.BUS_USB,
    ]);
  });
});
