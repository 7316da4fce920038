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
import { LineQueue, SerialWriter } from './line-queue.js';
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
  readonly #writer: SerialWriter;

  private constructor(device: SerialInterfaceLike, spec: string) {
    this.#device = device;
    this.spec = spec;
    this.#lines = new LineQueue(`serial transport ${spec}`);
    this.#writer = new SerialWriter(this.#lines, spec, (bytes) => device.receive(bytes));
  }

  static connect(device: SerialInterfaceLike, spec = 'memory:'): MemorySerialTransport {
    const t = new MemorySerialTransport(device, spec);
    device.attach((bytes) => t.#lines.push(bytes.slice()));
    return t;
  }

  write(data: string | Uint8Array): Promise<void> {
    return this.#writer.write(data);
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
