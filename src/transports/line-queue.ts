/**
 * The read side every serial transport shares: bytes in any fragmentation become lines (LF,
 * CR or CRLF end one; a CRLF is one terminator, even split across chunks); `readLine` takes
 * the next line in order or rejects with `TIMEOUT`; `close()` rejects pending reads with
 * `CLOSED`. A line longer than `maxLine` is cut there, so a noisy device cannot grow memory.
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { OrderedWriter } from './ordered-writer.js';

interface PendingLine {
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class LineQueue {
  readonly #lines: string[] = [];
  readonly #readers: PendingLine[] = [];
  #partial: number[] = [];
  #afterCr = false;
  #closed = false;
  readonly #what: string;
  readonly #maxLine: number;

  constructor(what: string, maxLine = 4096) {
    this.#what = what;
    this.#maxLine = maxLine;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes from the device. */
  push(bytes: Uint8Array): void {
    if (this.#closed) return;
    for (const b of bytes) {
      if (b === 0x0a && this.#afterCr) {
        this.#afterCr = false;
        continue;
      }
      this.#afterCr = b === 0x0d;
      if (b === 0x0a || b === 0x0d || this.#partial.length >= this.#maxLine) {
        this.#deliver(Buffer.from(this.#partial).toString('latin1'));
        this.#partial = [];
        if (b === 0x0a || b === 0x0d) continue;
      }
      this.#partial.push(b);
    }
  }

  #deliver(line: string): void {
    const reader = this.#readers.shift();
    if (reader === undefined) {
      this.#lines.push(line);
      return;
    }
    if (reader.timer !== undefined) clearTimeout(reader.timer);
    reader.resolve(line);
  }

  /** Forget lines nobody read (before a new command, stale answers are noise). */
  discard(): void {
    this.#lines.length = 0;
  }

  readLine(timeoutMs?: number): Promise<string> {
    if (this.#closed) return Promise.reject(new TokenrigError(ErrorCode.CLOSED, `${this.#what} is closed`));
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) return Promise.reject(new RangeError('timeoutMs must be a non-negative number'));
    const next = this.#lines.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise<string>((resolve, reject) => {
      const reader: PendingLine = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        reader.timer = setTimeout(() => {
          const i = this.#readers.indexOf(reader);
          if (i >= 0) this.#readers.splice(i, 1);
          reject(new TokenrigError(ErrorCode.TIMEOUT, `${this.#what}: no line within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.#readers.push(reader);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lines.length = 0;
    for (const r of this.#readers.splice(0)) {
      if (r.timer !== undefined) clearTimeout(r.timer);
      r.reject(new TokenrigError(ErrorCode.CLOSED, `${this.#what} is closed`));
    }
  }
}

/** Bytes of a string or byte array to write. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data !== 'string') throw new TypeError('data must be a string or a Uint8Array');
  return new TextEncoder().encode(data);
}

/**
 * The serial contract's write side, shared by every serial transport: bytes go out in order
 * through an OrderedWriter (never overlapping, nothing once the line queue is closed).
 */
export class SerialWriter {
  readonly #writer: OrderedWriter;
  readonly #sink: (bytes: Uint8Array) => Promise<void> | void;

  /** `sink` sends one chunk and settles when the OS (or the twin) has taken it. */
  constructor(lines: LineQueue, spec: string, sink: (bytes: Uint8Array) => Promise<void> | void) {
    this.#writer = new OrderedWriter(() => lines.closed, () => new TokenrigError(ErrorCode.CLOSED, `serial transport ${spec} is closed`));
    this.#sink = sink;
  }

  write(data: string | Uint8Array): Promise<void> {
    let bytes: Uint8Array;
    try {
      // A copy: the caller may reuse its buffer before the write runs.
      bytes = toBytes(data).slice();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#writer.run(() => this.#sink(bytes));
  }
}
