/**
 * Malicious devices for fuzzing the host side. A `MaliciousHidTransport` stands between a host
 * and a real simulated authenticator (or nothing at all) and spoils what comes back: random
 * reports, truncated messages, answers on another channel, wrong sequence numbers, duplicated
 * or dropped packets, KEEPALIVE storms, CTAPHID errors with any code, and flipped bytes in
 * otherwise good answers (so CTAP2 CBOR and PIN protocol payloads are malformed too).
 * A `MaliciousSerialTransport` answers an OTP driver with noise lines, endless blank lines,
 * long lines and ERR lines. Every choice comes from a seeded generator: a failure is replayed
 * by its seed.
 */
import { ErrorCode, TokenrigError } from '../../src/errors.js';
import { CTAPHID, CTAPHID_ERR, CtapHidAssembler, splitMessage } from '../../src/protocol/ctaphid/index.js';
import type { HidTransport } from '../../src/transports/hid-transport.js';
import { ReportQueue } from '../../src/transports/report-queue.js';
import type { SerialTransport } from '../../src/transports/serial-transport.js';

/** mulberry32: a small seeded generator; `next()` in [0, 1). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

export const HID_FAULTS = ['none', 'silence', 'random', 'truncate', 'other-channel', 'bad-seq', 'duplicate', 'drop', 'keepalive-storm', 'error', 'flip', 'wrong-command'] as const;
export type HidFault = (typeof HID_FAULTS)[number];

interface DeviceLike {
  attach(send: (r: Uint8Array) => void): void;
  receive(r: Uint8Array): void;
}

/**
 * Host end of a spoiled link to `device` (or to no device: then every answer is made up).
 * Each message the host sends draws one fault, applied to the device's answer to it.
 */
export class MaliciousHidTransport implements HidTransport {
  readonly spec = 'malicious:';
  readonly #queue = new ReportQueue('malicious HID transport');
  readonly #rng: Rng;
  readonly #device: DeviceLike | undefined;
  readonly #asm = new CtapHidAssembler();
  #fault: HidFault = 'none';
  readonly faults: HidFault[] = [];

  constructor(rng: Rng, device?: DeviceLike) {
    this.#rng = rng;
    this.#device = device;
    device?.attach((r) => this.#deliver(r.slice()));
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.#queue.closed) throw new TokenrigError(ErrorCode.CLOSED, 'malicious transport is closed');
    const r = this.#asm.push(report);
    if (r.kind === 'message') {
      // INIT mostly goes through, so the host gets past open() and the other layers are reached.
      this.#fault = r.cmd === CTAPHID.INIT && this.#rng.next() < 0.7 ? 'none' : this.#rng.pick(HID_FAULTS);
      this.faults.push(this.#fault);
      if (this.#device === undefined) this.#madeUp(r.cid, r.cmd, r.data);
    }
    // Deliver asynchronously, as a bus would.
    const device = this.#device;
    if (device !== undefined) queueMicrotask(() => device.receive(report.slice()));
  }

  /** Answers without a device: plausible frames of nonsense, on or off the channel. */
  #madeUp(cid: number, cmd: number, data: Uint8Array): void {
    const rng = this.#rng;
    const answer = cmd === CTAPHID.INIT ? Uint8Array.from([...data.subarray(0, 8), ...rng.bytes(4), 2, 1, 0, 0, rng.int(256)]) : rng.bytes(rng.int(300));
    for (const p of splitMessage(cid, cmd === CTAPHID.INIT ? CTAPHID.INIT : rng.pick([cmd, CTAPHID.CBOR, CTAPHID.MSG, CTAPHID.ERROR, rng.int(128)]), answer)) this.#deliver(p);
  }

  #deliver(report: Uint8Array): void {
    const rng = this.#rng;
    const push = (r: Uint8Array): void => this.#queue.push(r);
    switch (this.#fault) {
      case 'none':
        return push(report);
      case 'silence':
        return;
      case 'random':
        push(rng.bytes(64));
        return push(report.map((b, i) => (i < 4 ? b : rng.int(256))));
      case 'truncate': {
        // A first packet promising more than will ever come.
        if ((report[4]! & 0x80) !== 0) {
          const r = report.slice();
          r[5] = 0x1d;
          r[6] = 0xb9;
          push(r);
        }
        return;
      }
      case 'other-channel': {
        const r = report.slice();
        const at = rng.int(4);
        r[at] = r[at]! ^ (1 + rng.int(255));
        return push(r);
      }
      case 'bad-seq': {
        const r = report.slice();
        if ((r[4]! & 0x80) === 0) r[4] = rng.int(128);
        return push(r);
      }
      case 'duplicate':
        push(report);
        return push(report);
      case 'drop':
        if (rng.next() < 0.5) return;
        return push(report);
      case 'keepalive-storm': {
        const cid = report.subarray(0, 4);
        for (let i = 0; i < 20; i++) for (const p of splitMessage(((cid[0]! << 24) | (cid[1]! << 16) | (cid[2]! << 8) | cid[3]!) >>> 0, CTAPHID.KEEPALIVE, Uint8Array.of(rng.int(4)))) push(p);
        return;
      }
      case 'error': {
        const cid = ((report[0]! << 24) | (report[1]! << 16) | (report[2]! << 8) | report[3]!) >>> 0;
        if ((report[4]! & 0x80) !== 0) for (const p of splitMessage(cid, CTAPHID.ERROR, Uint8Array.of(rng.pick([...Object.values(CTAPHID_ERR), rng.int(256)])))) push(p);
        return;
      }
      case 'flip': {
        const r = report.slice();
        const at = 5 + rng.int(59);
        r[at] = r[at]! ^ (1 << rng.int(8));
        return push(r);
      }
      case 'wrong-command': {
        const r = report.slice();
        if ((r[4]! & 0x80) !== 0) r[4] = 0x80 | rng.int(128);
        return push(r);
      }
    }
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    this.#queue.close();
  }
}

/** A serial line that answers every command with what `rng` makes up. */
export class MaliciousSerialTransport implements SerialTransport {
  readonly spec = 'malicious-serial:';
  readonly #rng: Rng;
  #lines: string[] = [];
  #blankStorm = false;
  #closed = false;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.#closed) throw new TokenrigError(ErrorCode.CLOSED, 'malicious serial transport is closed');
    const rng = this.#rng;
    const commands = (typeof data === 'string' ? data : new TextDecoder().decode(data)).split('\n').filter((l) => l !== '');
    for (const _ of commands) {
      switch (rng.int(9)) {
        case 0: // silence
          break;
        case 1:
          this.#lines.push('Tokenrig,OTP 110 (sim),GAKT00000001,1.0.0');
          break;
        case 2:
          this.#lines.push(String(rng.int(1_000_000)).padStart(6, '0'));
          break;
        case 3:
          this.#lines.push(`ERR ${rng.int(1000)} ${'x'.repeat(rng.int(50))}`);
          break;
        case 4: // blank lines, for ever
          this.#blankStorm = true;
          break;
        case 5:
          this.#lines.push('y'.repeat(100_000));
          break;
        case 6:
          this.#lines.push(String.fromCharCode(...rng.bytes(rng.int(80))));
          break;
        case 7:
          this.#lines.push('ERR');
          break;
        default:
          this.#lines.push('BLANK');
      }
    }
  }

  async readLine(timeoutMs = 1000): Promise<string> {
    if (this.#closed) throw new TokenrigError(ErrorCode.CLOSED, 'malicious serial transport is closed');
    if (this.#blankStorm) {
      await new Promise((r) => setTimeout(r, 1));
      return '';
    }
    const next = this.#lines.shift();
    if (next !== undefined) {
      // Let time pass a little, as a line on a wire would.
      await new Promise((r) => setImmediate(r));
      return next;
    }
    await new Promise((r) => setTimeout(r, timeoutMs));
    throw new TokenrigError(ErrorCode.TIMEOUT, `malicious serial: no line within ${timeoutMs} ms`);
  }

  discardInput(): void {
    this.#lines = [];
    this.#blankStorm = false;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
