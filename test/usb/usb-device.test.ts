/**
 * The simulated USB device framework in process: standard requests (USB 2.0 §9.4), HID class
 * requests (HID 1.11 §7.2), CDC-ACM class requests (PSTN 1.2 §6.3), and the transfer rules of
 * IN endpoints (short packets, babble, halt, cancel).
 */
import { describe, expect, it } from 'vitest';
import { COMPOSITE_KEY_PROFILE } from '../../devices/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { OtpKeyboardInterface, OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid, keyboardReportsFor } from '../../firmware-sim/otp/index.js';
import { BOOT_KEYBOARD_REPORT_DESCRIPTOR, InEndpoint, type SimulatedUsbDevice, usbDeviceFromProfile, vendorReportDescriptor } from '../../firmware-sim/usb/index.js';
import type { TransferResult } from '../../firmware-sim/usb/index.js';
import { CDC_LINE_CODING, CDC_REQ } from '../../src/protocol/usb/cdc.js';
import { USB_DT, USB_FEATURE, USB_REQ, type UsbSetupPacket, parseStringDescriptor } from '../../src/protocol/usb/ch9.js';
import { HID_REPORT_TYPE, HID_REQ } from '../../src/protocol/usb/hid.js';
import { ERRNO } from '../../src/protocol/usbip/messages.js';
import { base32Decode } from '../../src/otp/base32.js';
import { CTAPHID, splitMessage } from '../../src/protocol/ctaphid/index.js';

const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
const EPIPE = -ERRNO.EPIPE;

function setup(bmRequestType: number, bRequest: number, wValue = 0, wIndex = 0, wLength = 0): UsbSetupPacket {
  return { bmRequestType, bRequest, wValue, wIndex, wLength };
}

function compositeDevice(): { device: SimulatedUsbDevice; token: OtpTokenFirmware; keyboard: OtpKeyboardInterface; serialLines: string[] } {
  const { env } = createTestEnvironment({ startMs: 1_700_000_000_000 });
  const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: SECRET, serial: '12345678' });
  const keyboard = new OtpKeyboardInterface(token);
  const serial = new OtpSerialInterface(token);
  const serialLines: string[] = [];
  const device = usbDeviceFromProfile(COMPOSITE_KEY_PROFILE, { 'otp-vendor': createOtpVendorHid(env, token), keyboard, serial }, token.serial);
  // Watch what the serial interface is told about disconnects.
  const disconnect = serial.disconnect.bind(serial);
  serial.disconnect = () => {
    serialLines.push('<disconnect>');
    disconnect();
  };
  return { device, token, keyboard, serialLines };
}

function collect(device: SimulatedUsbDevice, ep: number, length: number): { results: TransferResult[]; cancel: () => boolean } {
  const results: TransferResult[] = [];
  const cancel = device.submitIn(ep, length, (r) => results.push(r));
  return { results, cancel };
}

describe('standard requests (USB 2.0 §9.4)', () => {
  it('GET_DESCRIPTOR returns at most wLength bytes, strings by index, and stalls what a full-speed device lacks', () => {
    const { device } = compositeDevice();
    const dev = device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.DEVICE << 8, 0, 8), new Uint8Array(0));
    expect(dev).toEqual({ status: 0, data: device.descriptors.device.subarray(0, 8) });
    const cfgHead = device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.CONFIG << 8, 0, 9), new Uint8Array(0));
    expect(cfgHead.data.length).toBe(9);
    const cfg = device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.CONFIG << 8, 0, 0xffff), new Uint8Array(0));
    expect(cfg.data).toEqual(device.descriptors.configuration);
    const serial = device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, (USB_DT.STRING << 8) | 3, 0x0409, 255), new Uint8Array(0));
    expect(parseStringDescriptor(serial.data)).toBe('12345678');
    expect(device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, (USB_DT.STRING << 8) | 0, 0, 255), new Uint8Array(0)).data).toEqual(Uint8Array.of(4, 3, 9, 4));
    for (const bad of [(USB_DT.STRING << 8) | 99, USB_DT.DEVICE_QUALIFIER << 8, USB_DT.OTHER_SPEED_CONFIG << 8, USB_DT.BOS << 8, (USB_DT.CONFIG << 8) | 1]) {
      expect(device.control(setup(0x80, USB_REQ.GET_DESCRIPTOR, bad, 0, 64), new Uint8Array(0)).status).toBe(EPIPE);
    }
  });

  it('SET_CONFIGURATION moves between Address and Configured; GET_CONFIGURATION and GET_STATUS answer', () => {
    const { device } = compositeDevice();
    expect(device.control(setup(0x80, USB_REQ.GET_CONFIGURATION, 0, 0, 1), new Uint8Array(0)).data).toEqual(Uint8Array.of(0));
    expect(device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 2), new Uint8Array(0)).status).toBe(EPIPE);
    expect(device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0)).status).toBe(0);
    expect(device.configuration).toBe(1);
    expect(device.control(setup(0x80, USB_REQ.GET_STATUS, 0, 0, 2), new Uint8Array(0)).data).toEqual(Uint8Array.of(0, 0));
    expect(device.control(setup(0x00, USB_REQ.SET_FEATURE, USB_FEATURE.DEVICE_REMOTE_WAKEUP), new Uint8Array(0)).status).toBe(0);
    expect(device.control(setup(0x80, USB_REQ.GET_STATUS, 0, 0, 2), new Uint8Array(0)).data).toEqual(Uint8Array.of(2, 0));
    expect(device.control(setup(0x81, USB_REQ.GET_STATUS, 0, 1, 2), new Uint8Array(0)).data).toEqual(Uint8Array.of(0, 0));
    expect(device.control(setup(0x81, USB_REQ.GET_STATUS, 0, 9, 2), new Uint8Array(0)).status).toBe(EPIPE);
    expect(device.control(setup(0x81, USB_REQ.GET_INTERFACE, 0, 1, 1), new Uint8Array(0)).data).toEqual(Uint8Array.of(0));
    expect(device.control(setup(0x01, USB_REQ.SET_INTERFACE, 0, 1), new Uint8Array(0)).status).toBe(0);
    expect(device.control(setup(0x01, USB_REQ.SET_INTERFACE, 1, 1), new Uint8Array(0)).status).toBe(EPIPE);
    expect(device.control(setup(0x00, USB_REQ.SYNCH_FRAME), new Uint8Array(0)).status).toBe(EPIPE);
    // Vendor requests: none.
    expect(device.control(setup(0xc0, 0x01, 0, 0, 4), new Uint8Array(0)).status).toBe(EPIPE);
  });

  it('an endpoint halt stalls transfers until CLEAR_FEATURE(ENDPOINT_HALT)', () => {
    const { device } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    const pending = collect(device, 1, 64);
    expect(device.control(setup(0x02, USB_REQ.SET_FEATURE, USB_FEATURE.ENDPOINT_HALT, 0x81), new Uint8Array(0)).status).toBe(0);
    expect(pending.results.map((r) => r.status)).toEqual([EPIPE]);
    expect(device.control(setup(0x82, USB_REQ.GET_STATUS, 0, 0x81, 2), new Uint8Array(0)).data).toEqual(Uint8Array.of(1, 0));
    expect(collect(device, 1, 64).results.map((r) => r.status)).toEqual([EPIPE]);
    device.control(setup(0x02, USB_REQ.CLEAR_FEATURE, USB_FEATURE.ENDPOINT_HALT, 0x81), new Uint8Array(0));
    expect(collect(device, 1, 64).results).toEqual([]);
    // OUT endpoint 2 likewise.
    device.control(setup(0x02, USB_REQ.SET_FEATURE, USB_FEATURE.ENDPOINT_HALT, 0x02), new Uint8Array(0));
    expect(device.submitOut(2, new Uint8Array(64))).toBe(EPIPE);
    device.control(setup(0x02, USB_REQ.CLEAR_FEATURE, USB_FEATURE.ENDPOINT_HALT, 0x02), new Uint8Array(0));
    expect(device.submitOut(2, new Uint8Array(64))).toBe(0);
    // Unknown endpoints stall.
    expect(device.control(setup(0x82, USB_REQ.GET_STATUS, 0, 0x8f, 2), new Uint8Array(0)).status).toBe(EPIPE);
  });

  it('transfers before SET_CONFIGURATION, or to an endpoint nobody owns, stall', () => {
    const { device } = compositeDevice();
    expect(collect(device, 1, 64).results.map((r) => r.status)).toEqual([EPIPE]);
    expect(device.submitOut(2, new Uint8Array(64))).toBe(EPIPE);
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    expect(collect(device, 9, 64).results.map((r) => r.status)).toEqual([EPIPE]);
    expect(device.submitOut(3, new Uint8Array(8))).toBe(EPIPE);
  });
});

describe('HID interfaces', () => {
  it('the vendor interface answers CTAPHID over its interrupt endpoints', () => {
    const { device } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const [init] = splitMessage(0xffffffff, CTAPHID.INIT, nonce);
    const reply = collect(device, 1, 64);
    expect(device.submitOut(2, init!)).toBe(0);
    expect(reply.results).toHaveLength(1);
    expect(reply.results[0]!.status).toBe(0);
    expect(reply.results[0]!.data.length).toBe(64);
    expect([...reply.results[0]!.data.subarray(7, 15)]).toEqual([...nonce]);
  });

  it('GET_DESCRIPTOR(REPORT) to the interface gives its report descriptor; GET/SET_REPORT, GET/SET_IDLE, boot protocol', () => {
    const { device, keyboard, token } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    expect(device.control(setup(0x81, USB_REQ.GET_DESCRIPTOR, USB_DT.REPORT << 8, 0, 255), new Uint8Array(0)).data).toEqual(vendorReportDescriptor(0xff00, 1));
    expect(device.control(setup(0x81, USB_REQ.GET_DESCRIPTOR, USB_DT.REPORT << 8, 1, 255), new Uint8Array(0)).data).toEqual(BOOT_KEYBOARD_REPORT_DESCRIPTOR);
    expect(device.control(setup(0x81, USB_REQ.GET_DESCRIPTOR, USB_DT.HID << 8, 1, 255), new Uint8Array(0)).data.length).toBe(9);
    // Keyboard LEDs come by SET_REPORT(Output).
    expect(device.control(setup(0x21, HID_REQ.SET_REPORT, HID_REPORT_TYPE.OUTPUT << 8, 1, 1), Uint8Array.of(0x02)).status).toBe(0);
    expect(keyboard.leds).toBe(0x02);
    expect(device.control(setup(0x21, HID_REQ.SET_REPORT, HID_REPORT_TYPE.FEATURE << 8, 1, 1), Uint8Array.of(1)).status).toBe(EPIPE);
    expect(device.control(setup(0x21, HID_REQ.SET_REPORT, HID_REPORT_TYPE.OUTPUT << 8, 1, 2), Uint8Array.of(1, 2)).status).toBe(EPIPE);
    expect(device.control(setup(0x21, HID_REQ.SET_IDLE, 0, 1), new Uint8Array(0)).status).toBe(0);
    expect(device.control(setup(0xa1, HID_REQ.GET_IDLE, 0, 1, 1), new Uint8Array(0)).data).toEqual(Uint8Array.of(0));
    expect(device.control(setup(0x21, HID_REQ.SET_IDLE, 0x7d00, 1), new Uint8Array(0)).status).toBe(0);
    expect(device.control(setup(0xa1, HID_REQ.GET_IDLE, 0, 1, 1), new Uint8Array(0)).data).toEqual(Uint8Array.of(0x7d));
    // Boot protocol on the boot keyboard only.
    expect(device.control(setup(0x21, HID_REQ.SET_PROTOCOL, 0, 1), new Uint8Array(0)).status).toBe(0);
    expect(device.control(setup(0xa1, HID_REQ.GET_PROTOCOL, 0, 1, 1), new Uint8Array(0)).data).toEqual(Uint8Array.of(0));
    expect(device.control(setup(0xa1, HID_REQ.GET_PROTOCOL, 0, 0, 1), new Uint8Array(0)).status).toBe(EPIPE);
    // GET_REPORT(Input) gives the last input report: after a press, the final key-up report.
    token.press();
    expect(device.control(setup(0xa1, HID_REQ.GET_REPORT, HID_REPORT_TYPE.INPUT << 8, 1, 8), new Uint8Array(0)).data).toEqual(new Uint8Array(8));
    expect(device.control(setup(0xa1, HID_REQ.GET_REPORT, (HID_REPORT_TYPE.INPUT << 8) | 3, 1, 8), new Uint8Array(0)).status).toBe(EPIPE);
  });

  it('a press types the code and Enter on the keyboard endpoint, one 8-byte report per transfer', () => {
    const { device, token } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    const { code } = token.press();
    const reports: Uint8Array[] = [];
    for (let i = 0; i < 14; i++) {
      const t = collect(device, 3, 8);
      expect(t.results[0]?.status).toBe(0);
      reports.push(t.results[0]!.data);
    }
    expect(reports).toEqual(keyboardReportsFor(code));
    expect(collect(device, 3, 8).results).toEqual([]);
  });

  it('reports made while no host has configured the device are not kept', () => {
    const { device, token } = compositeDevice();
    token.press();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    expect(collect(device, 3, 8).results).toEqual([]);
  });
});

describe('the CDC-ACM serial port', () => {
  it('carries the serial protocol over bulk endpoints, ending each answer with a short packet', () => {
    const { device } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    const answer = collect(device, 5, 512);
    expect(device.submitOut(5, new TextEncoder().encode('*IDN?\r\n'))).toBe(0);
    expect(answer.results).toHaveLength(1);
    expect(Buffer.from(answer.results[0]!.data).toString()).toBe('Tokenrig,Key 5 (sim),12345678,5.4.3\r\n');
  });

  it('SET/GET_LINE_CODING round trip; dropping DTR discards a half line', () => {
    const { device, serialLines } = compositeDevice();
    device.control(setup(0x00, USB_REQ.SET_CONFIGURATION, 1), new Uint8Array(0));
    expect(CDC_LINE_CODING.decode(device.control(setup(0xa1, CDC_REQ.GET_LINE_CODING, 0, 2, 7), new Uint8Array(0)).data)).toEqual({ dwDTERate: 115200, bCharFormat: 0, bParityType: 0, bDataBits: 8 });
    const coding = CDC_LINE_CODING.encode({ dwDTERate: 9600, bCharFormat: 2, bParityType: 1, bDataBits: 7 });
    expect(device.control(setup(0x21, CDC_REQ.SET_LINE_CODING, 0, 2, 7), coding).status).toBe(0);
    expect(device.control(setup(0xa1, CDC_REQ.GET_LINE_CODING, 0, 2, 7), new Uint8Array(0)).data).toEqual(coding);
    // Class requests belong to the communications interface (2), not the data interface (3).
    expect(device.control(setup(0xa1, CDC_REQ.GET_LINE_CODING, 0, 3, 7), new Uint8Array(0)).status).toBe(EPIPE);
    expect(device.control(setup(0x21, CDC_REQ.SET_CONTROL_LINE_STATE, 3, 2), new Uint8Array(0)).status).toBe(0);
    device.submitOut(5, new TextEncoder().encode('PRE'));
    expect(device.control(setup(0x21, CDC_REQ.SET_CONTROL_LINE_STATE, 0, 2), new Uint8Array(0)).status).toBe(0);
    expect(serialLines).toEqual(['<disconnect>']);
    // The half line "PRE" is gone: the next command is answered alone.
    const answer = collect(device, 5, 512);
    device.submitOut(5, new TextEncoder().encode('STATUS?\n'));
    expect(Buffer.from(answer.results[0]!.data).toString()).toBe('NONE\r\n');
  });
});

describe('IN endpoint transfer rules', () => {
  it('a transfer ends with a short packet, or when its buffer is full', () => {
    const ep = new InEndpoint(0x81, 8);
    const got: TransferResult[] = [];
    ep.submit(20, (r) => got.push(r));
    ep.pushPacket(new Uint8Array(8).fill(1));
    expect(got).toEqual([]);
    ep.pushPacket(new Uint8Array(3).fill(2));
    expect(got.map((r) => [r.status, r.data.length])).toEqual([[0, 11]]);
    ep.submit(16, (r) => got.push(r));
    ep.pushPacket(new Uint8Array(8));
    ep.pushPacket(new Uint8Array(8));
    expect(got.map((r) => [r.status, r.data.length])).toEqual([
      [0, 11],
      [0, 16],
    ]);
  });

  it('never returns more than asked: a packet larger than what is left is babble (-EOVERFLOW)', () => {
    const ep = new InEndpoint(0x81, 64);
    const got: TransferResult[] = [];
    ep.submit(10, (r) => got.push(r));
    ep.pushPacket(new Uint8Array(64).fill(7));
    expect(got.map((r) => [r.status, r.data.length])).toEqual([[-ERRNO.EOVERFLOW, 10]]);
    expect(() => ep.pushPacket(new Uint8Array(65))).toThrow(RangeError);
  });

  it('a stream that fills whole packets ends with a zero-length packet', () => {
    const ep = new InEndpoint(0x85, 64);
    const got: TransferResult[] = [];
    ep.pushStream(new Uint8Array(128));
    ep.submit(4096, (r) => got.push(r));
    expect(got.map((r) => [r.status, r.data.length])).toEqual([[0, 128]]);
    ep.pushStream(new Uint8Array(70));
    ep.submit(64, (r) => got.push(r));
    ep.submit(64, (r) => got.push(r));
    expect(got.slice(1).map((r) => r.data.length)).toEqual([64, 6]);
  });

  it('a cancelled transfer gets nothing; the next one gets the data', () => {
    const ep = new InEndpoint(0x81, 64);
    const got: string[] = [];
    const cancel = ep.submit(64, () => got.push('first'));
    expect(cancel()).toBe(true);
    expect(cancel()).toBe(false);
    ep.submit(64, () => got.push('second'));
    ep.pushPacket(new Uint8Array(64));
    expect(got).toEqual(['second']);
  });

  it('holds a bounded number of packets for a host that does not read', () => {
    const ep = new InEndpoint(0x81, 8);
    for (let i = 0; i < 1100; i++) ep.pushPacket(Uint8Array.of(i & 0xff));
    expect(ep.queued).toBe(1024);
    expect(ep.dropped).toBe(76);
  });
});
