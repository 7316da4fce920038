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
import { LineQueue, toBytes } from './line-queue.js';
import type { SerialTransport } from './serial-transport.js';

export interface SerialPortTransportOptions {
  /** Default 115200 (ignored by CDC-ACM and ptys, but a USB-serial adapter needs one). */
  baudRate?: number;
}

export class SerialPortTransport implements SerialTransport {
  readonly spec: string;
  readonly #port: SerialPort;
  readonly #lines: LineQueue;
  #writing: Promise<void> = Promise.resolve();

  private constructor(port: SerialPort, path: string) {
    this.#port = port;
    this.spec = `serial:${path}`;
    this.#lines = new LineQueue(`serial transport ${this.spec}`);
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
    if (this.#lines.closed) return Promise.reject(new TokenrigError(ErrorCode.CLOSED, `serial transport ${this.spec} is closed`));
    let bytes: Uint8Array;
    try {
      bytes = toBytes(data);
    } catch (e) {
      return Promise.reject(e);
    }
    const done = this.#writing.then(
      () =>
        new Promise<void>((resolve, reject) => {
          if (this.#lines.closed) return reject(new TokenrigError(ErrorCode.CLOSED, `serial transport ${this.spec} is closed`));
          this.#port.write(Buffer.from(bytes), (e) => {
            if (e) return reject(new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed: ${e.message}`, { cause: e }));
            this.#port.drain((e2) => (e2 ? reject(new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed: ${e2.message}`, { cause: e2 })) : resolve()));
          });
        }),
    );
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
    if (this.#lines.closed && !this.#port.isOpen) return;
    this.#lines.close();
    if (this.#port.isOpen) await new Promise<void>((resolve) => this.#port.close(() => resolve()));
  }
}
