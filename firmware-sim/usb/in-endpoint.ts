/**
 * An IN endpoint of a simulated USB device: packets the function produced wait here until the
 * host asks for them with an IN transfer, and transfers wait here until packets come. It keeps
 * the rules of USB 2.0 §5.3.2 and §8.5: a packet is at most wMaxPacketSize bytes; a transfer
 * ends when its buffer is full or with a short packet (shorter than wMaxPacketSize, or zero
 * length); a packet that does not fit in what is left of the buffer is babble (-EOVERFLOW,
 * never more bytes than the host asked for); a halted endpoint stalls (-EPIPE) every transfer
 * until the host clears the halt.
 *
 * @example
 * ```ts
 * const ep = new InEndpoint(0x81, 64);
 * ep.submit(64, (r) => console.log(r.status, r.data.length)); // waits
 * ep.pushPacket(report);                                     // completes it: 0 64
 * ```
 */
import { ERRNO } from '../../src/protocol/usbip/messages.js';

/** How a transfer ended: status 0 or a negative Linux errno, and the bytes moved. */
export interface TransferResult {
  status: number;
  data: Uint8Array;
}

interface PendingTransfer {
  length: number;
  chunks: Uint8Array[];
  received: number;
  complete: (r: TransferResult) => void;
}

/** Packets held for a host that does not read; the oldest are dropped beyond this. */
export const MAX_QUEUED_PACKETS = 1024;

export class InEndpoint {
  readonly address: number;
  readonly maxPacketSize: number;
  readonly #packets: Uint8Array[] = [];
  readonly #pending: PendingTransfer[] = [];
  #halted = false;
  /** Packets dropped because nobody read them. */
  dropped = 0;

  constructor(address: number, maxPacketSize: number) {
    this.address = address;
    this.maxPacketSize = maxPacketSize;
  }

  get halted(): boolean {
    return this.#halted;
  }

  /** Packets waiting for the host. */
  get queued(): number {
    return this.#packets.length;
  }

  /** One packet (a HID report). RangeError when it is longer than wMaxPacketSize. */
  pushPacket(packet: Uint8Array): void {
    if (packet.length > this.maxPacketSize) throw new RangeError(`a packet on endpoint 0x${this.address.toString(16)} is at most ${this.maxPacketSize} bytes, got ${packet.length}`);
    if (this.#packets.length >= MAX_QUEUED_PACKETS) {
      this.#packets.shift();
      this.dropped++;
    }
    this.#packets.push(packet.slice());
    this.#deliver();
  }

  /**
   * A run of stream bytes (a serial port's output): full packets, then a short packet, or a
   * zero-length packet when the run is a whole number of packets, so the host's transfer ends
   * with the run instead of waiting for more.
   */
  pushStream(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    for (let at = 0; at < bytes.length; at += this.maxPacketSize) this.pushPacket(bytes.subarray(at, at + this.maxPacketSize));
    if (bytes.length % this.maxPacketSize === 0) this.pushPacket(new Uint8Array(0));
  }

  /**
   * An IN transfer of up to `length` bytes. `complete` runs once, now or when packets come.
   * Returns a function that cancels the transfer if it is still pending (true) or not (false).
   */
  submit(length: number, complete: (r: TransferResult) => void): () => boolean {
    if (this.#halted) {
      complete({ status: -ERRNO.EPIPE, data: new Uint8Array(0) });
      return () => false;
    }
    if (length === 0) {
      complete({ status: 0, data: new Uint8Array(0) });
      return () => false;
    }
    const t: PendingTransfer = { length, chunks: [], received: 0, complete };
    this.#pending.push(t);
    this.#deliver();
    return () => {
      const i = this.#pending.indexOf(t);
      if (i < 0) return false;
      this.#pending.splice(i, 1);
      // Bytes a cancelled transfer had taken are lost, as on a real bus.
      return true;
    };
  }

  /** SET_FEATURE(ENDPOINT_HALT): stall the transfers that wait and those to come. */
  halt(): void {
    this.#halted = true;
    for (const t of this.#pending.splice(0)) t.complete({ status: -ERRNO.EPIPE, data: concat(t.chunks, t.received) });
  }

  /** CLEAR_FEATURE(ENDPOINT_HALT); also resets the data toggle, which has no meaning here. */
  clearHalt(): void {
    this.#halted = false;
  }

  /** The device was unplugged or reset: drop packets, end pending transfers with `status`. */
  reset(status = -ERRNO.ESHUTDOWN): void {
    this.#packets.length = 0;
    this.#halted = false;
    for (const t of this.#pending.splice(0)) t.complete({ status, data: new Uint8Array(0) });
  }

  #deliver(): void {
    while (this.#pending.length > 0 && this.#packets.length > 0) {
      const t = this.#pending[0]!;
      const packet = this.#packets.shift()!;
      const room = t.length - t.received;
      if (packet.length > room) {
        // Babble: the host's buffer takes only what fits; the transfer fails.
        t.chunks.push(packet.subarray(0, room));
        t.received += room;
        this.#finish(t, -ERRNO.EOVERFLOW);
        continue;
      }
      t.chunks.push(packet);
      t.received += packet.length;
      if (packet.length < this.maxPacketSize || t.received === t.length) this.#finish(t, 0);
    }
  }

  #finish(t: PendingTransfer, status: number): void {
    this.#pending.shift();
    t.complete({ status, data: concat(t.chunks, t.received) });
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
