/**
 * A serial transport over TCP (a serial server such as ser2net, or the simulator's
 * `--serial-port tcp:PORT`). Line handling is LineQueue's.
 *
 * @example
 * ```ts
 * const t = await TcpSerialTransport.open('127.0.0.1', 4000);
 * ```
 */
import { type Socket, connect } from 'node:net';
import { ErrorCode, TokenrigError } from '../errors.js';
import { LineQueue, SerialWriter } from './line-queue.js';
import type { SerialTransport } from './serial-transport.js';

export class TcpSerialTransport implements SerialTransport {
  readonly spec: string;
  readonly #socket: Socket;
  readonly #lines: LineQueue;
  readonly #writer: SerialWriter;

  private constructor(socket: Socket, host: string, port: number) {
    this.#socket = socket;
    this.spec = `tcp:${host}:${port}`;
    this.#lines = new LineQueue(`serial transport ${this.spec}`);
    this.#writer = new SerialWriter(this.#lines, this.spec, (bytes) =>
      new Promise<void>((resolve, reject) =>
        socket.write(bytes, (e) => (e ? reject(new TokenrigError(ErrorCode.CLOSED, `write to ${this.spec} failed: ${e.message}`, { cause: e })) : resolve())),
      ),
    );
  }

  /** Connect; rejects with NOT_FOUND when nothing listens, TIMEOUT after `timeoutMs`. */
  static async open(host: string, port: number, timeoutMs = 5000): Promise<TcpSerialTransport> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be 1..65535');
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TokenrigError(ErrorCode.TIMEOUT, `no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new TokenrigError(ErrorCode.NOT_FOUND, `cannot connect to ${host}:${port}: ${e.message}`, { cause: e }));
      });
    });
    socket.setNoDelay(true);
    const t = new TcpSerialTransport(socket, host, port);
    socket.on('data', (chunk: Buffer) => t.#lines.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('error', () => t.#lines.close());
    socket.on('close', () => t.#lines.close());
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
    this.#lines.close();
    if (this.#socket.closed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.destroy();
    });
  }
}
