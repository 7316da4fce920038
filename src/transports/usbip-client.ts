/**
 * A USB/IP client (Documentation/usb/usbip_protocol.rst) in user space: list what a server
 * exports, import one device and submit URBs to it over the TCP connection, without the
 * kernel's vhci-hcd. What `usbip:` device specs and `tokenrig devices --usbip` stand on, so a
 * macOS or Windows test host reaches a device exported by a rig on another machine.
 *
 * Errors: NOT_FOUND when the server cannot be reached or has no such device, DEVICE when it
 * refuses the import (busy), PROTOCOL when it breaks the protocol, TIMEOUT, CLOSED.
 *
 * @example
 * ```ts
 * const devices = await UsbIpClient.list('127.0.0.1', 3240);
 * const client = await UsbIpClient.import('127.0.0.1', 3240, '1-1');
 * const r = await client.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
 * await client.close();
 * ```
 */
import { type Socket, connect } from 'node:net';
import { ErrorCode, TokenrigError } from '../errors.js';
import { USB_DIR_IN, USB_SETUP_PACKET, type UsbSetupPacket } from '../protocol/usb/ch9.js';
import {
  ERRNO,
  OP_COMMON,
  OP_REQ_IMPORT,
  USBIP_DIR,
  USBIP_OP,
  USBIP_ST,
  USBIP_VERSION,
  type UsbIpExportedDevice,
  type UsbIpUsbDevice,
  encodeCmdSubmit,
  encodeCmdUnlink,
} from '../protocol/usbip/messages.js';
import { type UsbIpReply, UsbIpClientReader, UsbIpProtocolError } from '../protocol/usbip/stream.js';

/** How a URB ended: status 0 or a negative Linux errno (−32 EPIPE is a stall), and the IN data. */
export interface UrbResult {
  status: number;
  data: Uint8Array;
}

/** What usbip(8) prints for each OP_REP status. */
const STATUS_TEXT: Record<number, string> = {
  [USBIP_ST.NA]: 'request failed',
  [USBIP_ST.DEV_BUSY]: 'device busy (imported by another client)',
  [USBIP_ST.DEV_ERR]: 'device in error state',
  [USBIP_ST.NODEV]: 'no such device',
  [USBIP_ST.ERROR]: 'unexpected response',
};

const DEFAULT_TIMEOUT_MS = 5000;

function where(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Connect, or NOT_FOUND naming the server. */
async function open(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TokenrigError(ErrorCode.TIMEOUT, `USB/IP server ${where(host, port)} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new TokenrigError(ErrorCode.NOT_FOUND, `cannot reach USB/IP server ${where(host, port)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e }));
    });
  });
}

/** Read the first reply of an operation, with a deadline. */
function firstReply(socket: Socket, reader: UsbIpClientReader, what: string, timeoutMs: number): Promise<{ reply: UsbIpReply; rest: UsbIpReply[] }> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error, value?: { reply: UsbIpReply; rest: UsbIpReply[] }): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (e !== undefined) reject(e);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(new TokenrigError(ErrorCode.TIMEOUT, `${what}: no reply within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      let replies: UsbIpReply[];
      try {
        replies = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        return done(new TokenrigError(ErrorCode.PROTOCOL, `${what}: ${(e as Error).message}`, { cause: e }));
      }
      if (replies.length > 0) done(undefined, { reply: replies[0]!, rest: replies.slice(1) });
    };
    const onClose = (): void => done(new TokenrigError(ErrorCode.PROTOCOL, `${what}: the server closed the connection without a reply`));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

interface PendingUrb {
  direction: number;
  resolve: (r: UrbResult) => void;
  reject: (e: Error) => void;
}

export class UsbIpClient {
  readonly host: string;
  readonly port: number;
  readonly busid: string;
  /** The device record of OP_REP_IMPORT. */
  readonly device: UsbIpUsbDevice;
  readonly #socket: Socket;
  readonly #reader: UsbIpClientReader;
  readonly #pending = new Map<number, PendingUrb>();
  readonly #unlinks = new Map<number, (status: number) => void>();
  readonly #devid: number;
  #seqnum = 1;
  #closed: TokenrigError | undefined;

  /** Which URBs carry IN data: the reader asks, since RET_SUBMIT does not say. */
  readonly #directions: Map<number, number>;

  private constructor(host: string, port: number, socket: Socket, reader: UsbIpClientReader, directions: Map<number, number>, device: UsbIpUsbDevice) {
    this.host = host;
    this.#directions = directions;
    this.port = port;
    this.busid = device.busid;
    this.device = device;
    this.#socket = socket;
    this.#reader = reader;
    // The document: a client's devid is (busnum << 16) | devnum.
    this.#devid = ((device.busnum << 16) | device.devnum) >>> 0;
  }

  /** OP_REQ_DEVLIST: the devices a server exports. */
  static async list(host: string, port: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<UsbIpExportedDevice[]> {
    const socket = await open(host, port, timeoutMs);
    try {
      socket.write(OP_COMMON.encode({ version: USBIP_VERSION, code: USBIP_OP.REQ_DEVLIST, status: 0 }));
      const { reply } = await firstReply(socket, new UsbIpClientReader('devlist'), `USB/IP device list from ${where(host, port)}`, timeoutMs);
      if (reply.kind !== 'devlist') throw new TokenrigError(ErrorCode.PROTOCOL, `USB/IP server ${where(host, port)} answered ${reply.kind} to a device list request`);
      if (reply.status !== USBIP_ST.OK) throw new TokenrigError(ErrorCode.DEVICE, `USB/IP server ${where(host, port)}: ${STATUS_TEXT[reply.status] ?? `status ${reply.status}`}`, { wireCode: reply.status });
      return reply.devices;
    } finally {
      socket.destroy();
    }
  }

  /** OP_REQ_IMPORT `busid`; the connection then carries this device's URBs until `close`. */
  static async import(host: string, port: number, busid: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<UsbIpClient> {
    const socket = await open(host, port, timeoutMs);
    const pendingDirections = new Map<number, number>();
    const reader = new UsbIpClientReader('import', (seq) => pendingDirections.get(seq));
    try {
      socket.write(OP_REQ_IMPORT.encode({ version: USBIP_VERSION, code: USBIP_OP.REQ_IMPORT, status: 0, busid }));
      const { reply } = await firstReply(socket, reader, `USB/IP import of ${busid} from ${where(host, port)}`, timeoutMs);
      if (reply.kind !== 'import') throw new TokenrigError(ErrorCode.PROTOCOL, `USB/IP server ${where(host, port)} answered ${reply.kind} to an import`);
      if (reply.status !== USBIP_ST.OK || reply.device === undefined) {
        const code = reply.status === USBIP_ST.NODEV ? ErrorCode.NOT_FOUND : ErrorCode.DEVICE;
        throw new TokenrigError(code, `USB/IP server ${where(host, port)} refused ${busid}: ${STATUS_TEXT[reply.status] ?? `status ${reply.status}`}`, { wireCode: reply.status });
      }
      const client = new UsbIpClient(host, port, socket, reader, pendingDirections, reply.device);
      socket.on('data', (chunk: Buffer) => client.#onData(chunk));
      socket.on('close', () => client.#fail(new TokenrigError(ErrorCode.CLOSED, `USB/IP device ${busid} at ${where(host, port)}: the connection closed`)));
      socket.on('error', () => {});
      return client;
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }

  /** A spec naming this device: `usbip:127.0.0.1:3240/1-1`. */
  get spec(): string {
    return `usbip:${where(this.host, this.port)}/${this.busid}`;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  #onData(chunk: Buffer): void {
    let replies: UsbIpReply[];
    try {
      replies = this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      if (!(e instanceof UsbIpProtocolError)) throw e;
      this.#fail(new TokenrigError(ErrorCode.PROTOCOL, `USB/IP device ${this.busid}: ${e.message}`, { cause: e }));
      this.#socket.destroy();
      return;
    }
    for (const r of replies) {
      if (r.kind === 'ret_submit') {
        const p = this.#pending.get(r.header.seqnum);
        if (p === undefined) continue;
        this.#pending.delete(r.header.seqnum);
        this.#directions.delete(r.header.seqnum);
        p.resolve({ status: r.header.status, data: r.data.slice() });
      } else if (r.kind === 'ret_unlink') {
        const done = this.#unlinks.get(r.header.seqnum);
        this.#unlinks.delete(r.header.seqnum);
        done?.(r.header.status);
      }
    }
  }

  #fail(e: TokenrigError): void {
    if (this.#closed !== undefined) return;
    this.#closed = e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
    for (const u of this.#unlinks.values()) u(-ERRNO.ESHUTDOWN);
    this.#unlinks.clear();
  }

  /**
   * Submit one URB. Resolves with its result (a stall is status −EPIPE, not a rejection);
   * rejects with CLOSED when the connection ends first. `seqnum` lets `unlink` cancel it.
   */
  submit(o: { ep: number; direction: number; length: number; setup?: Uint8Array; data?: Uint8Array }): { seqnum: number; result: Promise<UrbResult> } {
    const seqnum = this.#seqnum;
    this.#seqnum = (this.#seqnum % 0xffff_fffe) + 1;
    if (this.#closed !== undefined) return { seqnum, result: Promise.reject(this.#closed) };
    const result = new Promise<UrbResult>((resolve, reject) => this.#pending.set(seqnum, { direction: o.direction, resolve, reject }));
    this.#directions.set(seqnum, o.direction);
    this.#socket.write(encodeCmdSubmit({ seqnum, devid: this.#devid, ...o }));
    return { seqnum, result };
  }

  /**
   * CMD_UNLINK: cancel a URB still waiting at the server. Resolves with RET_UNLINK's status:
   * −ECONNRESET when it was cancelled (its promise then rejects with CLOSED), 0 when it had
   * already completed.
   */
  async unlink(target: number): Promise<number> {
    const seqnum = this.#seqnum;
    this.#seqnum = (this.#seqnum % 0xffff_fffe) + 1;
    if (this.#closed !== undefined) return -ERRNO.ESHUTDOWN;
    const status = new Promise<number>((resolve) => this.#unlinks.set(seqnum, resolve));
    this.#socket.write(encodeCmdUnlink(seqnum, this.#devid, target));
    const s = await status;
    if (s === -ERRNO.ECONNRESET) {
      const p = this.#pending.get(target);
      this.#pending.delete(target);
      this.#directions.delete(target);
      p?.reject(new TokenrigError(ErrorCode.CLOSED, `URB ${target} was unlinked`));
    }
    return s;
  }

  /** A control transfer on endpoint 0; `data` is the OUT data stage. */
  control(setup: UsbSetupPacket, data?: Uint8Array): Promise<UrbResult> {
    const isIn = (setup.bmRequestType & USB_DIR_IN) !== 0;
    return this.submit({
      ep: 0,
      direction: isIn ? USBIP_DIR.IN : USBIP_DIR.OUT,
      length: isIn ? setup.wLength : (data?.length ?? 0),
      setup: USB_SETUP_PACKET.encode(setup),
      ...(isIn || data === undefined ? {} : { data }),
    }).result;
  }

  /** End the connection: the server unplugs the device and frees it for the next client. */
  async close(): Promise<void> {
    if (this.#socket.destroyed) {
      this.#fail(new TokenrigError(ErrorCode.CLOSED, `USB/IP device ${this.busid} is closed`));
      return;
    }
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.end();
    // A server that does not close its side in time is cut off.
    const timer = setTimeout(() => this.#socket.destroy(), 1000);
    await closed;
    clearTimeout(timer);
  }
}
