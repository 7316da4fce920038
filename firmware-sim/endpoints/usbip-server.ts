/**
 * A USB/IP server (Documentation/usb/usbip_protocol.rst) that exports simulated USB devices,
 * so `usbip attach` on Linux (vhci-hcd) or usbip-win2 on Windows turns each into a real USB
 * device of that machine, and our own `usbip:` client transport reaches it without a kernel.
 *
 * - Several devices per server, bus ids `1-1`, `1-2`, …, exported at the start or later
 *   (`export`, `unexport`); OP_REQ_DEVLIST lists them with their real interface classes.
 * - OP_REQ_IMPORT gives a device to one client at a time: a second importer is refused
 *   (ST_DEV_BUSY, "Device busy (exported)"); when the client goes away (detach, a closed or
 *   broken connection) the device is unplugged and free again.
 * - CMD_SUBMIT on endpoint 0 runs the device's control requests; on other endpoints interrupt
 *   and bulk transfers. An IN transfer waits until the device has data; never more than
 *   transfer_buffer_length bytes come back. Unsupported requests stall (−EPIPE).
 * - CMD_UNLINK of a waiting IN transfer answers −ECONNRESET and that transfer gets no
 *   RET_SUBMIT; of one already answered, status 0.
 * The server only moves bytes between the wire and the device model: it holds no USB logic.
 * Binds 127.0.0.1 unless told otherwise.
 *
 * @example
 * ```ts
 * const server = await UsbIpServer.listen([createFidoUsbDevice(authenticator)], { port: 3240 });
 * server.specs; // ['usbip:127.0.0.1:3240/1-1']  (then: usbip attach -r 127.0.0.1 -b 1-1)
 * ```
 */
import { type Server, type Socket, createServer } from 'node:net';
import { USB_SETUP_PACKET } from '../../src/protocol/usb/ch9.js';
import {
  ERRNO,
  USBIP_DIR,
  USBIP_PORT,
  USBIP_ST,
  USB_SPEED,
  type UsbIpCmdSubmit,
  type UsbIpExportedDevice,
  type UsbIpUsbDevice,
  encodeDevlistReply,
  encodeImportReply,
  encodeRetSubmit,
  encodeRetUnlink,
} from '../../src/protocol/usbip/messages.js';
import { UsbIpProtocolError, UsbIpServerReader } from '../../src/protocol/usbip/stream.js';
import type { SimulatedUsbDevice } from '../usb/usb-device.js';

export interface UsbIpServerOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 3240 (the USB/IP port); 0 = any free port. */
  port?: number;
  /** What happens: `usbip_devlist`, `usbip_import`, `usbip_refused`, `usbip_release`. */
  onEvent?: (e: { event: string; busid?: string; peer: string; reason?: string }) => void;
}

/** The bus all exported devices sit on; device n is port n. */
const BUSNUM = 1;
/** Device addresses 2.. (address 1 is the root hub's on a Linux bus), at most 127 per bus. */
const MAX_DEVICES = 126;
/** IN transfers one client may keep waiting (a kernel keeps a handful); more are refused with −ENOMEM. */
export const MAX_PENDING_URBS = 1024;

interface Export {
  busid: string;
  devnum: number;
  device: SimulatedUsbDevice;
  session: Socket | undefined;
}

export class UsbIpServer {
  readonly host: string;
  readonly #server: Server;
  readonly #exports: Export[];
  readonly #sockets = new Set<Socket>();
  readonly #onEvent: UsbIpServerOptions['onEvent'];

  private constructor(server: Server, host: string, exports: Export[], onEvent: UsbIpServerOptions['onEvent']) {
    this.#server = server;
    this.host = host;
    this.#exports = exports;
    this.#onEvent = onEvent;
  }

  /** Listen and export `devices` as bus ids 1-1, 1-2, …; rejects when the port is taken. */
  static async listen(devices: readonly SimulatedUsbDevice[], options: UsbIpServerOptions = {}): Promise<UsbIpServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? USBIP_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be 0..65535');
    if (devices.length > MAX_DEVICES) throw new RangeError(`at most ${MAX_DEVICES} devices per USB/IP server (one bus)`);
    const server = createServer();
    const s = new UsbIpServer(server, host, [], options.onEvent);
    for (const device of devices) s.export(device);
    server.on('connection', (socket) => s.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return s;
  }

  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** The exported devices' bus ids, in order. */
  get busids(): string[] {
    return this.#exports.map((e) => e.busid);
  }

  /** Device specs for the host side: `usbip:127.0.0.1:3240/1-1`, one per device. */
  get specs(): string[] {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return this.#exports.map((e) => `usbip:${host}:${this.port}/${e.busid}`);
  }

  /**
   * Export one more device (plugged into the server's bus): the lowest free port, so bus ids
   * stay 1-1, 1-2, … as devices come and go. Returns its bus id.
   */
  export(device: SimulatedUsbDevice): string {
    if (this.#exports.length >= MAX_DEVICES) throw new RangeError(`at most ${MAX_DEVICES} devices per USB/IP server (one bus)`);
    let n = 1;
    while (this.#exports.some((e) => e.busid === `${BUSNUM}-${n}`)) n++;
    const e: Export = { busid: `${BUSNUM}-${n}`, devnum: n + 1, device, session: undefined };
    this.#exports.splice(this.#exports.filter((x) => x.devnum < e.devnum).length, 0, e);
    return e.busid;
  }

  /**
   * Stop exporting the device at `busid`. A client that imported it loses its connection, as
   * a kernel sees a device unplugged (vhci-hcd disconnects it). Unknown bus ids are ignored.
   */
  unexport(busid: string): void {
    const i = this.#exports.findIndex((e) => e.busid === busid);
    if (i < 0) return;
    const [e] = this.#exports.splice(i, 1);
    e!.session?.destroy();
  }

  /** True while a client has imported the device at `busid`. */
  inUse(busid: string): boolean {
    return this.#exports.find((e) => e.busid === busid)?.session !== undefined;
  }

  #record(e: Export): UsbIpUsbDevice {
    const s = e.device.summary();
    return {
      path: `/sys/devices/platform/tokenrig/usb${BUSNUM}/${e.busid}`,
      busid: e.busid,
      busnum: BUSNUM,
      devnum: e.devnum,
      speed: USB_SPEED.FULL,
      idVendor: s.idVendor,
      idProduct: s.idProduct,
      bcdDevice: s.bcdDevice,
      bDeviceClass: s.bDeviceClass,
      bDeviceSubClass: s.bDeviceSubClass,
      bDeviceProtocol: s.bDeviceProtocol,
      bConfigurationValue: s.bConfigurationValue,
      bNumConfigurations: s.bNumConfigurations,
      bNumInterfaces: s.interfaces.length,
    };
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    // A client that vanished without closing (a killed VM) is noticed and its device freed.
    socket.setKeepAlive(true, 10_000);
    socket.on('error', () => {});
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const reader = new UsbIpServerReader();
    let session: Export | undefined;
    const pending = new Map<number, () => boolean>();
    socket.on('data', (chunk: Buffer) => {
      let messages;
      try {
        messages = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        if (!(e instanceof UsbIpProtocolError)) throw e;
        this.#onEvent?.({ event: 'usbip_protocol_error', peer, reason: e.message, ...(session === undefined ? {} : { busid: session.busid }) });
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (socket.destroyed) return;
        switch (m.kind) {
          case 'devlist': {
            const list: UsbIpExportedDevice[] = this.#exports.map((e) => ({ device: this.#record(e), interfaces: e.device.summary().interfaces.map((i) => ({ ...i, padding: 0 })) }));
            socket.end(encodeDevlistReply(list));
            this.#onEvent?.({ event: 'usbip_devlist', peer });
            break;
          }
          case 'import': {
            const e = this.#exports.find((x) => x.busid === m.busid);
            if (e === undefined || e.session !== undefined) {
              socket.end(encodeImportReply(e === undefined ? USBIP_ST.NODEV : USBIP_ST.DEV_BUSY));
              this.#onEvent?.({ event: 'usbip_refused', busid: m.busid, peer, reason: e === undefined ? 'no such device' : 'in use by another client' });
              break;
            }
            e.session = socket;
            session = e;
            socket.write(encodeImportReply(USBIP_ST.OK, this.#record(e)));
            reader.startUrbs();
            this.#onEvent?.({ event: 'usbip_import', busid: e.busid, peer });
            break;
          }
          case 'submit':
            this.#submit(socket, session!.device, m.header, m.data, pending);
            break;
          case 'unlink': {
            const cancel = pending.get(m.header.unlink_seqnum);
            pending.delete(m.header.unlink_seqnum);
            const unlinked = cancel?.() === true;
            socket.write(encodeRetUnlink(m.header.seqnum, unlinked ? -ERRNO.ECONNRESET : 0));
            break;
          }
        }
      }
    });
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (session === undefined || session.session !== socket) return;
      for (const cancel of pending.values()) cancel();
      pending.clear();
      // Unplugged: unconfigured, queues dropped, ready for the next importer.
      session.device.disconnect();
      session.session = undefined;
      this.#onEvent?.({ event: 'usbip_release', busid: session.busid, peer });
    });
  }

  #submit(socket: Socket, device: SimulatedUsbDevice, h: UsbIpCmdSubmit, data: Uint8Array, pending: Map<number, () => boolean>): void {
    const length = h.transfer_buffer_length;
    // ISO transfers are not supported (no endpoint is isochronous): their replies carry none.
    const packets = h.number_of_packets > 0 ? 0 : h.number_of_packets;
    const reply = (status: number, payload?: Uint8Array, actual?: number): void => {
      if (!socket.destroyed) socket.write(encodeRetSubmit(h.seqnum, status, actual ?? payload?.length ?? 0, payload, packets));
    };
    if (h.ep === 0) {
      const setup = USB_SETUP_PACKET.decode(h.setup);
      const r = device.control(setup, data);
      if (h.direction === USBIP_DIR.IN) reply(r.status, r.status === 0 ? r.data.subarray(0, length) : undefined);
      else reply(r.status, undefined, r.status === 0 ? data.length : 0);
      return;
    }
    if (h.direction === USBIP_DIR.OUT) {
      const status = device.submitOut(h.ep, data);
      reply(status, undefined, status === 0 ? data.length : 0);
      return;
    }
    if (pending.size >= MAX_PENDING_URBS) {
      reply(-ERRNO.ENOMEM);
      return;
    }
    let done = false;
    const cancel = device.submitIn(h.ep, length, (r) => {
      done = true;
      pending.delete(h.seqnum);
      // The endpoint never returns more than was asked for; the slice guards the wire anyway.
      reply(r.status, r.data.subarray(0, length));
    });
    if (!done) pending.set(h.seqnum, cancel);
  }

  /** Stop listening, drop every session (their devices are unplugged). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
