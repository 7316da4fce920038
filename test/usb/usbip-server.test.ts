/**
 * The USB/IP server over real TCP on 127.0.0.1, driven by a raw client written from the
 * protocol document (the message encoders and readers of src/protocol/usbip): device list,
 * import, control and interrupt transfers, transfer_buffer_length, UNLINK, a second importer
 * refused, the device freed when its client goes away, several devices, protocol errors.
 */
import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPOSITE_KEY_PROFILE } from '../../devices/index.js';
import { MAX_PENDING_URBS, UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { createFidoUsbDevice, createOtpUsbDevice } from '../../firmware-sim/usb/index.js';
import { base32Decode } from '../../src/otp/base32.js';
import { CTAPHID, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { USB_DT, USB_REQ, USB_SETUP_PACKET } from '../../src/protocol/usb/ch9.js';
import {
  ERRNO,
  OP_COMMON,
  OP_REQ_IMPORT,
  USBIP_DIR,
  USBIP_OP,
  USBIP_ST,
  USBIP_VERSION,
  encodeCmdSubmit,
  encodeCmdUnlink,
} from '../../src/protocol/usbip/messages.js';
import { type UsbIpReply, UsbIpClientReader } from '../../src/protocol/usbip/stream.js';

const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
const servers: UsbIpServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(): Promise<{ server: UsbIpServer; token: OtpTokenFirmware; events: string[] }> {
  const { env } = createTestEnvironment({ startMs: 1_700_000_000_000 });
  const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: SECRET, serial: '12345678' });
  const authenticator = await FidoAuthenticator.create(env);
  const events: string[] = [];
  const server = await UsbIpServer.listen([createOtpUsbDevice(env, token), createFidoUsbDevice(authenticator)], { port: 0, onEvent: (e) => events.push(`${e.event} ${e.busid ?? ''}`.trim()) });
  servers.push(server);
  return { server, token, events };
}

/** A raw USB/IP client: one connection, replies read with UsbIpClientReader. */
class RawClient {
  readonly socket: Socket;
  readonly #reader: UsbIpClientReader;
  readonly #replies: UsbIpReply[] = [];
  #waiters: (() => void)[] = [];
  readonly directions = new Map<number, number>();
  closed: Promise<void>;
  #seq = 1;

  constructor(port: number, expect: 'devlist' | 'import') {
    this.socket = connect(port, '127.0.0.1');
    sockets.push(this.socket);
    this.#reader = new UsbIpClientReader(expect, (seq) => this.directions.get(seq));
    this.socket.on('data', (chunk) => {
      this.#replies.push(...this.#reader.push(new Uint8Array(chunk)));
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('close', () => this.#waiters.splice(0).forEach((w) => w()));
  }

  async next(timeoutMs = 2000): Promise<UsbIpReply> {
    const deadline = Date.now() + timeoutMs;
    while (this.#replies.length === 0) {
      if (this.socket.destroyed && this.#replies.length === 0) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no reply');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#replies.shift()!;
  }

  /** Nothing more arrives within `ms`. */
  async quiet(ms = 100): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.#replies.length === 0;
  }

  importDevice(busid: string): void {
    this.socket.write(OP_REQ_IMPORT.encode({ version: USBIP_VERSION, code: USBIP_OP.REQ_IMPORT, status: 0, busid }));
  }

  submit(o: { ep: number; direction: number; length: number; setup?: Uint8Array; data?: Uint8Array }): number {
    const seqnum = this.#seq++;
    this.directions.set(seqnum, o.direction);
    this.socket.write(encodeCmdSubmit({ seqnum, devid: 0x10002, ...o }));
    return seqnum;
  }

  unlink(target: number): number {
    const seqnum = this.#seq++;
    this.socket.write(encodeCmdUnlink(seqnum, 0x10002, target));
    return seqnum;
  }

  control(bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, length = wLength, data?: Uint8Array): number {
    const direction = bmRequestType & 0x80 ? USBIP_DIR.IN : USBIP_DIR.OUT;
    return this.submit({ ep: 0, direction, length, setup: USB_SETUP_PACKET.encode({ bmRequestType, bRequest, wValue, wIndex, wLength }), ...(data === undefined ? {} : { data }) });
  }
}

async function imported(port: number, busid: string): Promise<RawClient> {
  const c = new RawClient(port, 'import');
  c.importDevice(busid);
  const r = await c.next();
  expect(r).toMatchObject({ kind: 'import', status: USBIP_ST.OK });
  return c;
}

describe('USB/IP server', () => {
  it('lists every device with its interfaces, then closes the connection', async () => {
    const { server } = await startServer();
    const c = new RawClient(server.port, 'devlist');
    c.socket.write(OP_COMMON.encode({ version: USBIP_VERSION, code: USBIP_OP.REQ_DEVLIST, status: 0 }));
    const r = await c.next();
    await c.closed;
    if (r.kind !== 'devlist') throw new Error(r.kind);
    expect(r.devices.map((d) => [d.device.busid, d.device.idVendor, d.device.idProduct, d.device.bNumInterfaces, d.device.speed])).toEqual([
      ['1-1', 0x1050, 0x0407, 4, 2],
      ['1-2', 0x1209, 0x7172, 1, 2],
    ]);
    expect(r.devices[0]!.interfaces.map((i) => [i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol])).toEqual([
      [3, 0, 0],
      [3, 1, 1],
      [2, 2, 0],
      [10, 0, 0],
    ]);
    expect(server.specs).toEqual([`usbip:127.0.0.1:${server.port}/1-1`, `usbip:127.0.0.1:${server.port}/1-2`]);
  });

  it('echoes number_of_packets of a transfer that is not isochronous, as the Linux stub does', async () => {
    const { server } = await startServer();
    const c = await imported(server.port, '1-1');
    for (const n of [0, -1]) {
      const setup = USB_SETUP_PACKET.encode({ bmRequestType: 0x80, bRequest: USB_REQ.GET_STATUS, wValue: 0, wIndex: 0, wLength: 2 });
      const wire = encodeCmdSubmit({ seqnum: 100 + n, devid: 0x10002, direction: USBIP_DIR.IN, ep: 0, length: 2, setup });
      new DataView(wire.buffer).setInt32(32, n);
      c.directions.set(100 + n, USBIP_DIR.IN);
      c.socket.write(wire);
      expect(await c.next()).toMatchObject({ header: { seqnum: 100 + n, status: 0, number_of_packets: n } });
    }
  });

  it('imports a device; control IN honours transfer_buffer_length and wLength; unsupported requests stall', async () => {
    const { server } = await startServer();
    const c = await imported(server.port, '1-1');
    // wLength 18 but a buffer of 8: 8 bytes come back.
    const seq = c.control(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.DEVICE << 8, 0, 18, 8);
    const r = await c.next();
    expect(r).toMatchObject({ kind: 'ret_submit', header: { seqnum: seq, status: 0, actual_length: 8 } });
    expect((r as { data: Uint8Array }).data.length).toBe(8);
    c.control(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.CONFIG << 8, 0, 9);
    const head = (await c.next()) as { data: Uint8Array };
    const total = head.data[2]! | (head.data[3]! << 8);
    c.control(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.CONFIG << 8, 0, total);
    expect(((await c.next()) as { data: Uint8Array }).data.length).toBe(total);
    c.control(0x80, USB_REQ.GET_DESCRIPTOR, USB_DT.DEVICE_QUALIFIER << 8, 0, 10);
    expect(await c.next()).toMatchObject({ header: { status: -ERRNO.EPIPE, actual_length: 0 } });
    c.control(0x00, USB_REQ.SET_CONFIGURATION, 1, 0, 0);
    expect(await c.next()).toMatchObject({ header: { status: 0, actual_length: 0 } });
  });

  it('carries CTAPHID over the FIDO interface’s interrupt endpoints', async () => {
    const { server } = await startServer();
    const c = await imported(server.port, '1-2');
    c.control(0x00, USB_REQ.SET_CONFIGURATION, 1, 0, 0);
    await c.next();
    const inSeq = c.submit({ ep: 1, direction: USBIP_DIR.IN, length: 64 });
    const nonce = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
    const outSeq = c.submit({ ep: 2, direction: USBIP_DIR.OUT, length: 64, data: splitMessage(0xffffffff, CTAPHID.INIT, nonce)[0]! });
    const replies = [await c.next(), await c.next()];
    const out = replies.find((r) => r.kind === 'ret_submit' && r.header.seqnum === outSeq)!;
    const inn = replies.find((r) => r.kind === 'ret_submit' && r.header.seqnum === inSeq) as Extract<UsbIpReply, { kind: 'ret_submit' }>;
    expect(out).toMatchObject({ header: { status: 0, actual_length: 64 } });
    expect(inn.header).toMatchObject({ status: 0, actual_length: 64 });
    expect([...inn.data.subarray(7, 15)]).toEqual([...nonce]);
  });

  it('UNLINK of a waiting IN answers -ECONNRESET and that URB gets no RET_SUBMIT; of a finished one, 0', async () => {
    const { server } = await startServer();
    const c = await imported(server.port, '1-2');
    c.control(0x00, USB_REQ.SET_CONFIGURATION, 1, 0, 0);
    await c.next();
    const waiting = c.submit({ ep: 1, direction: USBIP_DIR.IN, length: 64 });
    const unlink = c.unlink(waiting);
    expect(await c.next()).toMatchObject({ kind: 'ret_unlink', header: { seqnum: unlink, status: -ERRNO.ECONNRESET } });
    expect(await c.quiet()).toBe(true);
    const done = c.control(0x80, USB_REQ.GET_STATUS, 0, 0, 2);
    await c.next();
    const unlink2 = c.unlink(done);
    expect(await c.next()).toMatchObject({ kind: 'ret_unlink', header: { seqnum: unlink2, status: 0 } });
    // The unlinked transfer took nothing: the next IN gets the next report.
    const again = c.submit({ ep: 1, direction: USBIP_DIR.IN, length: 64 });
    c.submit({ ep: 2, direction: USBIP_DIR.OUT, length: 64, data: splitMessage(0xffffffff, CTAPHID.INIT, new Uint8Array(8))[0]! });
    const rs = [await c.next(), await c.next()];
    expect(rs.some((r) => r.kind === 'ret_submit' && r.header.seqnum === again && r.header.actual_length === 64)).toBe(true);
  });

  it('refuses a second importer while the first holds the device, and frees it when the client goes away', async () => {
    const { server, events } = await startServer();
    const first = await imported(server.port, '1-1');
    const second = new RawClient(server.port, 'import');
    second.importDevice('1-1');
    expect(await second.next()).toMatchObject({ kind: 'import', status: USBIP_ST.DEV_BUSY });
    await second.closed;
    const unknown = new RawClient(server.port, 'import');
    unknown.importDevice('9-9');
    expect(await unknown.next()).toMatchObject({ kind: 'import', status: USBIP_ST.NODEV });
    // The other device is free meanwhile.
    await imported(server.port, '1-2');
    expect(server.inUse('1-1')).toBe(true);
    first.socket.destroy();
    await first.closed;
    for (let i = 0; i < 50 && server.inUse('1-1'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.inUse('1-1')).toBe(false);
    const again = await imported(server.port, '1-1');
    // Re-attached: unconfigured again, as a freshly plugged device.
    again.control(0x80, USB_REQ.GET_CONFIGURATION, 0, 0, 1);
    expect(((await again.next()) as { data: Uint8Array }).data).toEqual(Uint8Array.of(0));
    expect(events).toEqual(['usbip_import 1-1', 'usbip_refused 1-1', 'usbip_refused 9-9', 'usbip_import 1-2', 'usbip_release 1-1', 'usbip_import 1-1']);
  });

  it('the keyboard’s typed code arrives over USB/IP', async () => {
    const { server, token } = await startServer();
    const c = await imported(server.port, '1-1');
    c.control(0x00, USB_REQ.SET_CONFIGURATION, 1, 0, 0);
    await c.next();
    const { code } = token.press();
    const typed: number[] = [];
    for (let i = 0; i < (code.length + 1) * 2; i++) {
      c.submit({ ep: 3, direction: USBIP_DIR.IN, length: 8 });
      const r = (await c.next()) as Extract<UsbIpReply, { kind: 'ret_submit' }>;
      expect(r.data.length).toBe(8);
      if (r.data[2] !== 0) typed.push(r.data[2]!);
    }
    const usage = (d: string): number => (d === '0' ? 0x27 : 0x1d + Number(d));
    expect(typed).toEqual([...[...code].map(usage), 0x28]);
  });

  it('ends the connection of a client that breaks the protocol, and keeps serving others', async () => {
    const { server } = await startServer();
    const bad = new RawClient(server.port, 'import');
    bad.socket.write(Uint8Array.of(0x01, 0x11, 0x12, 0x34, 0, 0, 0, 0));
    await bad.closed;
    const c = await imported(server.port, '1-2');
    c.socket.write(new Uint8Array(48).fill(0xee));
    await c.closed;
    for (let i = 0; i < 50 && server.inUse('1-2'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.inUse('1-2')).toBe(false);
    await imported(server.port, '1-2');
  });
});

describe('USB/IP server bounds', () => {
  it('refuses IN transfers beyond MAX_PENDING_URBS waiting ones with -ENOMEM', async () => {
    const { server } = await startServer();
    const c = await imported(server.port, '1-2');
    c.control(0x00, USB_REQ.SET_CONFIGURATION, 1, 0, 0);
    await c.next();
    for (let i = 0; i < MAX_PENDING_URBS; i++) c.submit({ ep: 1, direction: USBIP_DIR.IN, length: 64 });
    const over = c.submit({ ep: 1, direction: USBIP_DIR.IN, length: 64 });
    expect(await c.next()).toMatchObject({ kind: 'ret_submit', header: { seqnum: over, status: -ERRNO.ENOMEM } });
  });
});
