/**
 * A serial transport over a real tty or pty through the `serialport` package (CDC-ACM ports,
 * USB-serial adapters, the simulator's /dev/pts/N). Line handling is LineQueue's.
 *
 * @example
 * ```ts
 * const t = await SerialPortTransport.open('/dev/ttyACM0');
 * await t.write('*IDN?\n'); console.log(await t.readLine(1000));
 * ```
 */
import { SerialPort } from 'serialport';
import { ErrorCode, TokenrigError } from '../errors.js';
import { LineQueue, SerialWriter } from './line-queue.js';
import type { SerialTransport } from './serial-transport.js';

export interface SerialPortTransportOptions {
  /** Default 115200 (ignored by CDC-ACM and ptys, but a USB-serial adapter needs one). */
  baudRate?: number;
}

export class SerialPortTransport implements SerialTransport {
  readonly spec: string;
  readonly #port: SerialPort;
  readonly #lines: LineQueue;
  readonly #writer: SerialWriter;

  private constructor(port: SerialPort, path: string) {
    this.#port = port;
    this.spec = `serial:${path}`;
    this.#lines = new LineQueue(`serial transport ${this.spec}`);
    this.#writer = new SerialWriter(this.#lines, this.spec, (bytes) =>
      new Promise<void>((resolve, reject) => {
        const failed = (e: Error): void => reject(new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed: ${e.message}`, { cause: e }));
        port.write(Buffer.from(bytes), (e) => {
          if (e) return failed(e);
          port.drain((e2) => (e2 ? failed(e2) : resolve()));
        });
      }),
    );
  }

  /** Open `path`; rejects with NOT_FOUND when it cannot be opened. */
  static async open(path: string, options: SerialPortTransportOptions = {}): Promise<SerialPortTransport> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    const port = new SerialPort({ path, baudRate: options.baudRate ?? 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((e) => (e ? reject(new TokenrigError(ErrorCode.NOT_FOUND, `cannot open serial port ${path}: ${e.message}`, { cause: e })) : resolve())),
    );
    const t = new SerialPortTransport(port, path);
    port.on('data', (chunk: Buffer) => t.#lines.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    port.on('error', () => t.#lines.close());
    port.on('close', () => t.#lines.close());
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
    if (this.#lines.closed && !this.#port.isOpen) return;
    this.#lines.close();
    if (this.#port.isOpen) await new Promise<void>((resolve) => this.#port.close(() => resolve()));
  }
}
