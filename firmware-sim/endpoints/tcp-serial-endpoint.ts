/**
 * Makes a simulated serial interface reachable over TCP (a "serial server", like ser2net):
 * each connection is a serial session. One session at a time, as a real port: a second client
 * is refused while one is connected. Binds 127.0.0.1 unless told otherwise. Only moves bytes.
 *
 * Backpressure: a client that sends commands but does not read the answers is not read
 * either. When the socket's output queue is full (`write()` returns false) the endpoint stops
 * reading the socket until it drains, so the client's own writes block in the kernel and the
 * simulator's memory stays bounded. Input lines are capped by the serial interface (a longer
 * line is answered with ERR and dropped). One burst of input can still produce more output
 * than the queue holds; past `maxPendingOutput` bytes the connection is closed, with a
 * logged reason.
 *
 * @example
 * ```ts
 * const tcp = await TcpSerialEndpoint.listen(new OtpSerialInterface(token), { port: 0 });
 * // socat - TCP:127.0.0.1:${tcp.port}
 * ```
 */
import { type Server, type Socket, createServer } from 'node:net';
import { SERIAL_ERR } from '../../src/protocol/otp/index.js';
import type { DeviceLogger } from '../env/logger.js';
import type { SimulatedSerialInterface } from '../hid-interface.js';

export interface TcpSerialEndpointOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Close a connection whose unread output passes this many bytes; default 1 MiB. */
  maxPendingOutput?: number;
  /** Where a closed connection's reason goes. */
  log?: DeviceLogger;
}

/** Default cap on unread output per connection (see the module comment). */
export const MAX_PENDING_SERIAL_OUTPUT = 1 << 20;

export class TcpSerialEndpoint {
  readonly #server: Server;
  readonly #device: SimulatedSerialInterface;
  #client: Socket | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #maxPendingOutput: number;
  readonly #log: DeviceLogger | undefined;
  readonly host: string;

  private constructor(server: Server, device: SimulatedSerialInterface, host: string, options: TcpSerialEndpointOptions) {
    this.#server = server;
    this.#device = device;
    this.host = host;
    this.#maxPendingOutput = options.maxPendingOutput ?? MAX_PENDING_SERIAL_OUTPUT;
    this.#log = options.log;
  }

  static async listen(device: SimulatedSerialInterface, options: TcpSerialEndpointOptions = {}): Promise<TcpSerialEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be 0..65535');
    const server = createServer();
    const endpoint = new TcpSerialEndpoint(server, device, host, options);
    device.attach((bytes) => endpoint.#send(bytes));
    server.on('connection', (socket) => endpoint.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return endpoint;
  }

  #send(bytes: Uint8Array): void {
    const c = this.#client;
    if (c === undefined || c.destroyed) return;
    // Stop reading while the client does not read: its answers would pile up here.
    if (!c.write(bytes)) c.pause();
    if (c.writableLength > this.#maxPendingOutput) {
      this.#log?.log('warn', 'serial.client_closed', { endpoint: 'tcp', reason: `more than ${this.#maxPendingOutput} bytes of answers unread: the client does not read` });
      c.destroy();
    }
  }

  get port(): number {
    const a = this.#server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  #accept(socket: Socket): void {
    socket.on('error', () => {});
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    if (this.#client !== undefined) {
      // Read and drop what the refused client sends, so its FIN is seen and the socket ends.
      socket.resume();
      socket.end(`ERR ${SERIAL_ERR.PORT_BUSY} port busy\r\n`);
      return;
    }
    this.#client = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => socket.resume());
    socket.on('data', (chunk: Buffer) => this.#device.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    socket.on('close', () => {
      if (this.#client === socket) {
        this.#client = undefined;
        // The host went away mid-line: drop the half line.
        this.#device.disconnect?.();
      }
    });
  }

  /** Stop listening and drop the session. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
