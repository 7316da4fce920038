/**
 * The read side every HID transport shares: reports that arrive while nobody reads are
 * queued; `read(timeoutMs)` takes the next one in order or rejects with `TIMEOUT`; `close()`
 * rejects every pending read with `CLOSED`. Keeps no module-level state.
 */
import { ErrorCode, TokenrigError } from '../errors.js';

interface PendingRead {
  resolve: (r: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A FIFO of input reports with timed, cancellable reads. */
export class ReportQueue {
  readonly #queue: Uint8Array[] = [];
  readonly #readers: PendingRead[] = [];
  #closed = false;
  readonly #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A report arrived from the device. Dropped when the queue is closed. */
  push(report: Uint8Array): void {
    if (this.#closed) return;
    const reader = this.#readers.shift();
    if (reader === undefined) {
      this.#queue.push(report);
      return;
    }
    if (reader.timer !== undefined) clearTimeout(reader.timer);
    reader.resolve(report);
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(closedError(this.#what));
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) return Promise.reject(new RangeError('timeoutMs must be a non-negative number'));
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise<Uint8Array>((resolve, reject) => {
      const reader: PendingRead = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        reader.timer = setTimeout(() => {
          const i = this.#readers.indexOf(reader);
          if (i >= 0) this.#readers.splice(i, 1);
          reject(new TokenrigError(ErrorCode.TIMEOUT, `${this.#what}: no report within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.#readers.push(reader);
    });
  }

  /** Reject pending reads with `CLOSED` and refuse later ones. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    for (const reader of this.#readers.splice(0)) {
      if (reader.timer !== undefined) clearTimeout(reader.timer);
      reader.reject(closedError(this.#what));
    }
  }
}

export function closedError(what: string): TokenrigError {
  return new TokenrigError(ErrorCode.CLOSED, `${what} is closed`);
}

/**
 * Why a write must not start, as the rejected promise `write` returns: CLOSED once the queue
 * is closed (checked first), or the error of `checkReport`. Undefined when the write may go.
 */
export function refuseWrite(queue: ReportQueue, report: Uint8Array, size: number, what: string): Promise<never> | undefined {
  if (queue.closed) return Promise.reject(closedError(what));
  try {
    checkReport(report, size);
  } catch (e) {
    return Promise.reject(e);
  }
  return undefined;
}

/** A RangeError unless `report` is a Uint8Array of exactly `size` bytes. */
export function checkReport(report: Uint8Array, size: number): void {
  if (!(report instanceof Uint8Array)) throw new TypeError('report must be a Uint8Array');
  if (report.length !== size) throw new RangeError(`report must be ${size} bytes, got ${report.length}`);
}
