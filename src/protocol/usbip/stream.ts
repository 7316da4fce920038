/**
 * USB/IP runs over TCP, so messages arrive in arbitrary pieces. These readers take the bytes
 * as they come and hand out whole messages: `UsbIpServerReader` the requests a server reads
 * (OP_REQ_DEVLIST, OP_REQ_IMPORT, then CMD_SUBMIT with its OUT data and CMD_UNLINK), and
 * `UsbIpClientReader` the replies a client reads (OP_REP_DEVLIST, OP_REP_IMPORT, then
 * RET_SUBMIT with its IN data and RET_UNLINK). Pure: no sockets, no timers.
 * A message that breaks the protocol throws `UsbIpProtocolError`; the connection must end.
 *
 * @example
 * ```ts
 * const reader = new UsbIpServerReader();
 * socket.on('data', (chunk) => { for (const m of reader.push(chunk)) handle(m); });
 * ```
 */
import {
  OP_COMMON,
  OP_REP_DEVLIST_HEADER,
  OP_REQ_IMPORT,
  USBIP_CMD,
  USBIP_CMD_SUBMIT,
  USBIP_CMD_UNLINK,
  USBIP_DIR,
  USBIP_HEADER_BASIC,
  USBIP_HEADER_SIZE,
  USBIP_ISO_PACKET_DESCRIPTOR,
  USBIP_OP,
  USBIP_RET_SUBMIT,
  USBIP_RET_UNLINK,
  USBIP_ST,
  USBIP_USB_DEVICE,
  USBIP_USB_INTERFACE,
  type UsbIpCmdSubmit,
  type UsbIpCmdUnlink,
  type UsbIpExportedDevice,
  type UsbIpRetSubmit,
  type UsbIpRetUnlink,
  type UsbIpUsbDevice,
} from './messages.js';

/** The peer broke the protocol; the connection cannot continue. */
export class UsbIpProtocolError extends Error {
  override readonly name = 'UsbIpProtocolError';
}

/** The largest transfer buffer accepted (memory stays bounded whatever a peer sends). */
export const USBIP_MAX_TRANSFER = 1 << 20;
/** The most isochronous packet descriptors accepted after one transfer. */
const MAX_ISO_PACKETS = 1024;

/** Collects chunks and hands out exact byte counts once they are there. */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
  }

  /** The first `n` bytes without consuming them (n ≤ length). */
  peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.#chunks) {
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    return out;
  }

  /** Remove and return the first `n` bytes (n ≤ length). */
  take(n: number): Uint8Array {
    const out = this.peek(n).slice();
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      if (c.length <= left) {
        this.#chunks.shift();
        left -= c.length;
      } else {
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.#length -= n;
    return out;
  }
}

function checkOpCode(version: number, code: number): void {
  // usbip(8) and the kernel check only the code; a different version is still answered.
  if (code !== USBIP_OP.REQ_DEVLIST && code !== USBIP_OP.REQ_IMPORT && code !== USBIP_OP.REP_DEVLIST && code !== USBIP_OP.REP_IMPORT) {
    throw new UsbIpProtocolError(`unknown operation code 0x${code.toString(16).padStart(4, '0')} (version 0x${version.toString(16)})`);
  }
}

function isoBytes(numberOfPackets: number): number {
  // Not isochronous: −1 (0xffffffff) by the document, 0 from some clients.
  if (numberOfPackets <= 0) return 0;
  if (numberOfPackets > MAX_ISO_PACKETS) throw new UsbIpProtocolError(`number_of_packets ${numberOfPackets} is more than ${MAX_ISO_PACKETS}`);
  return numberOfPackets * USBIP_ISO_PACKET_DESCRIPTOR.size;
}

/** What a server reads. */
export type UsbIpRequest =
  | { kind: 'devlist' }
  | { kind: 'import'; busid: string }
  | { kind: 'submit'; header: UsbIpCmdSubmit; data: Uint8Array }
  | { kind: 'unlink'; header: UsbIpCmdUnlink };

/** Reads a client's requests: one operation, and after an import the URB commands. */
export class UsbIpServerReader {
  readonly #q = new ByteQueue();
  #phase: 'op' | 'urb' | 'done' = 'op';

  /** After OP_REP_IMPORT with status OK, the connection carries URB commands. */
  startUrbs(): void {
    this.#phase = 'urb';
  }

  /** Add bytes; return every message now complete. Throws UsbIpProtocolError. */
  push(chunk: Uint8Array): UsbIpRequest[] {
    this.#q.push(chunk);
    const out: UsbIpRequest[] = [];
    for (;;) {
      const m = this.#next();
      if (m === undefined) return out;
      out.push(m);
    }
  }

  #next(): UsbIpRequest | undefined {
    const q = this.#q;
    if (this.#phase === 'done') {
      if (q.length > 0) throw new UsbIpProtocolError('bytes after an operation that ends the connection');
      return undefined;
    }
    if (this.#phase === 'op') {
      if (q.length < OP_COMMON.size) return undefined;
      const h = OP_COMMON.decode(q.peek(OP_COMMON.size));
      checkOpCode(h.version, h.code);
      if (h.code === USBIP_OP.REQ_DEVLIST) {
        q.take(OP_COMMON.size);
        this.#phase = 'done';
        return { kind: 'devlist' };
      }
      if (h.code !== USBIP_OP.REQ_IMPORT) throw new UsbIpProtocolError(`a client sent reply code 0x${h.code.toString(16)}`);
      if (q.length < OP_REQ_IMPORT.size) return undefined;
      const r = OP_REQ_IMPORT.decode(q.take(OP_REQ_IMPORT.size));
      // Until the server answers, nothing else may come; startUrbs() moves on.
      this.#phase = 'done';
      return { kind: 'import', busid: r.busid };
    }
    if (q.length < USBIP_HEADER_SIZE) return undefined;
    const basic = USBIP_HEADER_BASIC.decode(q.peek(USBIP_HEADER_BASIC.size));
    if (basic.command === USBIP_CMD.UNLINK) return { kind: 'unlink', header: USBIP_CMD_UNLINK.decode(q.take(USBIP_HEADER_SIZE)) };
    if (basic.command !== USBIP_CMD.SUBMIT) throw new UsbIpProtocolError(`unknown URB command 0x${basic.command.toString(16)}`);
    const header = USBIP_CMD_SUBMIT.decode(q.peek(USBIP_HEADER_SIZE));
    if (header.direction !== USBIP_DIR.IN && header.direction !== USBIP_DIR.OUT) throw new UsbIpProtocolError(`direction ${header.direction} is neither IN nor OUT`);
    if (header.ep > 15) throw new UsbIpProtocolError(`endpoint ${header.ep} is not 0..15`);
    if (header.transfer_buffer_length < 0 || header.transfer_buffer_length > USBIP_MAX_TRANSFER) throw new UsbIpProtocolError(`transfer_buffer_length ${header.transfer_buffer_length} is out of range`);
    const dataLength = header.direction === USBIP_DIR.OUT ? header.transfer_buffer_length : 0;
    const total = USBIP_HEADER_SIZE + dataLength + isoBytes(header.number_of_packets);
    if (q.length < total) return undefined;
    const all = q.take(total);
    return { kind: 'submit', header, data: all.subarray(USBIP_HEADER_SIZE, USBIP_HEADER_SIZE + dataLength) };
  }
}

/** What a client reads. */
export type UsbIpReply =
  | { kind: 'devlist'; status: number; devices: UsbIpExportedDevice[] }
  | { kind: 'import'; status: number; device?: UsbIpUsbDevice }
  | { kind: 'ret_submit'; header: UsbIpRetSubmit; data: Uint8Array }
  | { kind: 'ret_unlink'; header: UsbIpRetUnlink };

/** The most devices one OP_REP_DEVLIST may list (a bound on what a server can make us hold). */
const MAX_DEVLIST = 4096;

/**
 * Reads a server's replies. `expect` says which operation reply comes first; after an OK
 * import the URB replies follow, and `directionOf(seqnum)` tells whether a RET_SUBMIT carries
 * data (IN) or not (OUT), since the reply itself does not say.
 */
export class UsbIpClientReader {
  readonly #q = new ByteQueue();
  #phase: 'devlist' | 'import' | 'urb' | 'done';
  readonly #directionOf: (seqnum: number) => number | undefined;

  constructor(expect: 'devlist' | 'import', directionOf: (seqnum: number) => number | undefined = () => undefined) {
    this.#phase = expect;
    this.#directionOf = directionOf;
  }

  push(chunk: Uint8Array): UsbIpReply[] {
    this.#q.push(chunk);
    const out: UsbIpReply[] = [];
    for (;;) {
      const m = this.#next();
      if (m === undefined) return out;
      out.push(m);
    }
  }

  #next(): UsbIpReply | undefined {
    const q = this.#q;
    switch (this.#phase) {
      case 'done':
        return undefined;
      case 'devlist': {
        if (q.length < OP_COMMON.size) return undefined;
        const h = OP_COMMON.decode(q.peek(OP_COMMON.size));
        checkOpCode(h.version, h.code);
        if (h.code !== USBIP_OP.REP_DEVLIST) throw new UsbIpProtocolError(`expected OP_REP_DEVLIST, got code 0x${h.code.toString(16)}`);
        if (h.status !== USBIP_ST.OK) {
          q.take(OP_COMMON.size);
          this.#phase = 'done';
          return { kind: 'devlist', status: h.status, devices: [] };
        }
        if (q.length < OP_REP_DEVLIST_HEADER.size) return undefined;
        const { ndev } = OP_REP_DEVLIST_HEADER.decode(q.peek(OP_REP_DEVLIST_HEADER.size));
        if (ndev > MAX_DEVLIST) throw new UsbIpProtocolError(`OP_REP_DEVLIST lists ${ndev} devices`);
        // Walk the records without consuming until all are there.
        let need = OP_REP_DEVLIST_HEADER.size;
        for (let i = 0; i < ndev; i++) {
          if (q.length < need + USBIP_USB_DEVICE.size) return undefined;
          const d = USBIP_USB_DEVICE.decode(q.peek(need + USBIP_USB_DEVICE.size), need);
          need += USBIP_USB_DEVICE.size + d.bNumInterfaces * USBIP_USB_INTERFACE.size;
        }
        if (q.length < need) return undefined;
        const all = q.take(need);
        const devices: UsbIpExportedDevice[] = [];
        let at = OP_REP_DEVLIST_HEADER.size;
        for (let i = 0; i < ndev; i++) {
          const device = USBIP_USB_DEVICE.decode(all, at);
          at += USBIP_USB_DEVICE.size;
          const interfaces = [];
          for (let k = 0; k < device.bNumInterfaces; k++, at += USBIP_USB_INTERFACE.size) interfaces.push(USBIP_USB_INTERFACE.decode(all, at));
          devices.push({ device, interfaces });
        }
        this.#phase = 'done';
        return { kind: 'devlist', status: USBIP_ST.OK, devices };
      }
      case 'import': {
        if (q.length < OP_COMMON.size) return undefined;
        const h = OP_COMMON.decode(q.peek(OP_COMMON.size));
        checkOpCode(h.version, h.code);
        if (h.code !== USBIP_OP.REP_IMPORT) throw new UsbIpProtocolError(`expected OP_REP_IMPORT, got code 0x${h.code.toString(16)}`);
        if (h.status !== USBIP_ST.OK) {
          q.take(OP_COMMON.size);
          this.#phase = 'done';
          return { kind: 'import', status: h.status };
        }
        if (q.length < OP_COMMON.size + USBIP_USB_DEVICE.size) return undefined;
        const device = USBIP_USB_DEVICE.decode(q.take(OP_COMMON.size + USBIP_USB_DEVICE.size), OP_COMMON.size);
        this.#phase = 'urb';
        return { kind: 'import', status: USBIP_ST.OK, device };
      }
      case 'urb': {
        if (q.length < USBIP_HEADER_SIZE) return undefined;
        const basic = USBIP_HEADER_BASIC.decode(q.peek(USBIP_HEADER_BASIC.size));
        if (basic.command === USBIP_CMD.RET_UNLINK) return { kind: 'ret_unlink', header: USBIP_RET_UNLINK.decode(q.take(USBIP_HEADER_SIZE)) };
        if (basic.command !== USBIP_CMD.RET_SUBMIT) throw new UsbIpProtocolError(`unknown URB reply 0x${basic.command.toString(16)}`);
        const header = USBIP_RET_SUBMIT.decode(q.peek(USBIP_HEADER_SIZE));
        if (header.actual_length < 0 || header.actual_length > USBIP_MAX_TRANSFER) throw new UsbIpProtocolError(`actual_length ${header.actual_length} is out of range`);
        const dataLength = this.#directionOf(header.seqnum) === USBIP_DIR.IN ? header.actual_length : 0;
        const total = USBIP_HEADER_SIZE + dataLength + isoBytes(header.number_of_packets);
        if (q.length < total) return undefined;
        const all = q.take(total);
        return { kind: 'ret_submit', header, data: all.subarray(USBIP_HEADER_SIZE, USBIP_HEADER_SIZE + dataLength) };
      }
    }
  }
}
