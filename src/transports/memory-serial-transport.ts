/**
 * The in-memory twin of a serial transport: host code talks to a simulated serial interface
 * in the same process. Typed structurally, so host code never imports firmware-sim. Writes
 * are delivered asynchronously and in order, as a real port would.
 *
 * @example
 * ```ts
 * const t = MemorySerialTransport.connect(new OtpSerialInterface(token));
 * await t.write('PRESS\n'); await t.readLine(1000);
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { LineQueue, toBytes } from './line-queue.js';
import type { SerialTransport } from './serial-transport.js';

/** The shape of firmware-sim's SimulatedSerialInterface. */
export interface SerialInterfaceLike {
  attach(send: (bytes: Uint8Array) => void): void;
  receive(bytes: Uint8Array): void;
  disconnect?(): void;
}

export class MemorySerialTransport implements SerialTransport {
  readonly spec: string;
  readonly #device: SerialInterfaceLike;
  readonly #lines: LineQueue;
  #writing: Promise<void> = Promise.resolve();

  private constructor(device: SerialInterfaceLike, spec: string) {
    this.#device = device;
    this.spec = spec;
    this.#lines = new LineQueue(`serial transport ${spec}`);
  }

  static connect(device: SerialInterfaceLike, spec = 'memory:'): MemorySerialTransport {
    const t = new MemorySerialTransport(device, spec);
    device.attach((bytes) => t.#lines.push(bytes.slice()));
    return t;
  }

  write(data: string | Uint8Array): Promise<void> {
    if (this.#lines.closed) return Promise.reject(new TokenrigError(ErrorCode.CLOSED, `serial transport ${this.spec} is closed`));
    let bytes: Uint8Array;
    try {
      bytes = toBytes(data).slice();
    } catch (e) {
      return Promise.reject(e);
    }
    const done = this.#writing.then(() => {
      if (this.#lines.closed) throw new TokenrigError(ErrorCode.CLOSED, `serial transport ${this.spec} is closed`);
      this.#device.receive(bytes);
    });
    this.#writing = done.catch(() => {});
    return done;
  }

  readLine(timeoutMs?: number): Promise<string> {
    return this.#lines.readLine(timeoutMs);
  }

  discardInput(): void {
    this.#lines.discard();
  }

  async close(): Promise<void> {
    if (this.#lines.closed) return;
    this.#lines.close();
    this.#device.disconnect?.();
  }
}
