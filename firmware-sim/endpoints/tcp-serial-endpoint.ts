/**
 * Makes a simulated serial interface reachable over TCP (a "serial server", like ser2net):
 * each connection is a serial session. One session at a time, as a real port: a second client
 * is refused while one is connected. Binds 127.0.0.1 unless told otherwise. Only moves bytes.
 *
 * @example
 * ```ts
 * const tcp = await TcpSerialEndpoint.listen(new OtpSerialInterface(token), { port: 0 });
 * // socat - TCP:127.0.0.1:${tcp.port}
 * ```
 */
import { type Server, type Socket, createServer } from 'node:net';
import { SERIAL_ERR } from '../../src/protocol/otp/index.js';
import type { SimulatedSerialInterface } from '../hid-interface.js';

export interface TcpSerialEndpointOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
}

export class TcpSerialEndpoint {
  readonly #server: Server;
  readonly #device: SimulatedSerialInterface;
  #client: Socket | undefined;
  readonly #sockets = new Set<Socket>();
  readonly host: string;

  private constructor(server: Server, device: SimulatedSerialInterface, host: string) {
    this.#server = server;
    this.#device = device;
    this.host = host;
  }

  static async listen(device: SimulatedSerialInterface, options: TcpSerialEndpointOptions = {}): Promise<TcpSerialEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be 0..65535');
    const server = createServer();
    const endpoint = new TcpSerialEndpoint(server, device, host);
    device.attach((bytes) => {
      const c = endpoint.#client;
      if (c !== undefined && !c.destroyed) c.write(bytes);
    });
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
