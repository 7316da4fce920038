/**
 * CTAPHID framing (CTAP 2.1 §11.2.4): a message is cut into one initialization packet
 * (CID, CMD|0x80, BCNT, data) and up to 128 continuation packets (CID, SEQ 0..127, data).
 * The splitter and the assembler are the only framing code; host and device both use them.
 *
 * @example
 * ```ts
 * const packets = splitMessage(0x01020304, CTAPHID.PING, new Uint8Array(100));
 * const asm = new CtapHidAssembler();
 * let done; for (const p of packets) done = asm.push(p);
 * // done = { kind: 'message', cid: 0x01020304, cmd: 0x01, data: Uint8Array(100) }
 * ```
 */
import { CONT_DATA_SIZE, CTAPHID_ERR, HID_PACKET_SIZE, INIT_DATA_SIZE, MAX_MESSAGE_SIZE, TYPE_INIT } from './constants.js';

/** A whole CTAPHID message. */
export interface CtapHidMessage {
  cid: number;
  /** Command without the init bit. */
  cmd: number;
  data: Uint8Array;
}

function checkCid(cid: number): void {
  if (!Number.isInteger(cid) || cid < 0 || cid > 0xffffffff) throw new RangeError('cid must be a 32-bit unsigned integer');
}

/**
 * Cut `data` into 64-byte packets for channel `cid` and command `cmd` (0x00..0x7F).
 * Unused bytes of the last packet are zero.
 */
export function splitMessage(cid: number, cmd: number, data: Uint8Array): Uint8Array[] {
  checkCid(cid);
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0x7f) throw new RangeError('cmd must be 0x00..0x7f');
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  if (data.length > MAX_MESSAGE_SIZE) throw new RangeError(`data must be at most ${MAX_MESSAGE_SIZE} bytes`);
  const packets: Uint8Array[] = [];
  // Header bytes are written one by one: a DataView per packet cost ~1 µs each, most of the
  // time of splitting a 7609-byte message. §11.2.4: CID and BCNT are big-endian.
  const first = new Uint8Array(HID_PACKET_SIZE);
  writeCid(first, cid);
  first[4] = cmd | TYPE_INIT;
  first[5] = data.length >> 8;
  first[6] = data.length & 0xff;
  first.set(data.subarray(0, INIT_DATA_SIZE), 7);
  packets.push(first);
  let offset = INIT_DATA_SIZE;
  for (let seq = 0; offset < data.length; seq++) {
    const p = new Uint8Array(HID_PACKET_SIZE);
    writeCid(p, cid);
    p[4] = seq;
    p.set(data.subarray(offset, offset + CONT_DATA_SIZE), 5);
    packets.push(p);
    offset += CONT_DATA_SIZE;
  }
  return packets;
}

function writeCid(packet: Uint8Array, cid: number): void {
  packet[0] = cid >>> 24;
  packet[1] = (cid >>> 16) & 0xff;
  packet[2] = (cid >>> 8) & 0xff;
  packet[3] = cid & 0xff;
}

/** Channel id of a packet. */
export function packetCid(packet: Uint8Array): number {
  return ((packet[0]! << 24) | (packet[1]! << 16) | (packet[2]! << 8) | packet[3]!) >>> 0;
}

/** True when the packet is an initialization packet. */
export function isInitPacket(packet: Uint8Array): boolean {
  return (packet[4]! & TYPE_INIT) !== 0;
}

/** What one pushed packet produced. */
export type AssemblyResult =
  | { kind: 'message'; cid: number; cmd: number; data: Uint8Array }
  | { kind: 'pending'; cid: number }
  /** A packet that does not belong to anything (a stray continuation): spec says ignore it. */
  | { kind: 'ignored'; cid: number }
  /** A framing error to report on `cid` with CTAPHID_ERROR `code`. */
  | { kind: 'error'; cid: number; code: number; reason: string };

/**
 * Reassembles packets into messages, one transaction at a time as CTAPHID requires.
 * `push` never throws on wire input; it reports errors as values. An initialization packet
 * of another channel arriving mid-message yields ERR_CHANNEL_BUSY for that channel (once per
 * message: its continuation packets are ignored) and leaves the transaction in progress
 * untouched.
 */
export class CtapHidAssembler {
  #cid = 0;
  #cmd = 0;
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #seq = 0;

  /** Channel of the message being assembled, or undefined when idle. */
  get busyCid(): number | undefined {
    return this.#buffer === undefined ? undefined : this.#cid;
  }

  /** Forget any partial message (timeout, power cycle). */
  reset(): void {
    this.#buffer = undefined;
    this.#filled = 0;
    this.#seq = 0;
  }

  push(packet: Uint8Array): AssemblyResult {
    if (!(packet instanceof Uint8Array)) throw new TypeError('packet must be a Uint8Array');
    if (packet.length !== HID_PACKET_SIZE) {
      const cid = packet.length >= 4 ? packetCid(packet) : 0;
      return { kind: 'error', cid, code: CTAPHID_ERR.ERR_INVALID_LEN, reason: `packet of ${packet.length} bytes, expected ${HID_PACKET_SIZE}` };
    }
    const cid = packetCid(packet);
    if (isInitPacket(packet)) {
      const cmd = packet[4]! & 0x7f;
      if (this.#buffer !== undefined && cid !== this.#cid) {
        return { kind: 'error', cid, code: CTAPHID_ERR.ERR_CHANNEL_BUSY, reason: 'another channel is mid-transaction' };
      }
      if (this.#buffer !== undefined && cid === this.#cid) {
        // §11.2.4: an INIT packet on the same channel mid-message is a sequence error,
        // except CTAPHID_INIT itself, which resynchronizes the channel.
        if (cmd !== 0x06) {
          this.reset();
          return { kind: 'error', cid, code: CTAPHID_ERR.ERR_INVALID_SEQ, reason: 'initialization packet while a message was in progress' };
        }
        this.reset();
      }
      const bcnt = (packet[5]! << 8) | packet[6]!;
      if (bcnt > MAX_MESSAGE_SIZE) return { kind: 'error', cid, code: CTAPHID_ERR.ERR_INVALID_LEN, reason: `BCNT ${bcnt} exceeds ${MAX_MESSAGE_SIZE}` };
      if (bcnt <= INIT_DATA_SIZE) return { kind: 'message', cid, cmd, data: packet.slice(7, 7 + bcnt) };
      this.#cid = cid;
      this.#cmd = cmd;
      this.#buffer = new Uint8Array(bcnt);
      this.#buffer.set(packet.subarray(7));
      this.#filled = INIT_DATA_SIZE;
      this.#seq = 0;
      return { kind: 'pending', cid };
    }
    // §11.2.4: a continuation packet that belongs to no message in progress is ignored. One
    // of another channel belongs to a message whose initialization packet was already refused
    // (answered once, with ERR_CHANNEL_BUSY): answering each of its packets too gave a host
    // several answers to one request, which it paired with its next retries.
    if (this.#buffer === undefined || cid !== this.#cid) return { kind: 'ignored', cid };
    const seq = packet[4]!;
    if (seq !== this.#seq) {
      const expected = this.#seq;
      this.reset();
      return { kind: 'error', cid, code: CTAPHID_ERR.ERR_INVALID_SEQ, reason: `expected SEQ ${expected}, got ${seq}` };
    }
    const buffer = this.#buffer;
    const take = Math.min(CONT_DATA_SIZE, buffer.length - this.#filled);
    buffer.set(packet.subarray(5, 5 + take), this.#filled);
    this.#filled += take;
    this.#seq++;
    if (this.#filled < buffer.length) return { kind: 'pending', cid };
    const cmd = this.#cmd;
    this.reset();
    return { kind: 'message', cid, cmd, data: buffer };
  }
}
