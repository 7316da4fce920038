/**
 * HID over UDP: one raw 64-byte report per datagram, the SoloKeys simulation contract
 * (device on 127.0.0.1:8111, host on 127.0.0.1:7112). Used to reach a simulated device in
 * another process, or a SoloKeys/OpenSK simulator. A simulated boot keyboard is reached the
 * same way with its own report sizes (`BOOT_KEYBOARD_REPORT_SIZES`): writing its 1-byte LED
 * report makes this host the one its typed reports go to.
 *
 * @example
 * ```ts
 * const t = await UdpHidTransport.open({ port: 8111, localPort: 7112 });
 * await t.write(report);
 * ```
 */
import { type Socket, createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { ErrorCode, TokenrigError } from '../errors.js';
import { type HidTransport, HID_REPORT_SIZE } from './hid-transport.js';
import { ReportQueue, refuseWrite } from './report-queue.js';

export interface UdpHidTransportOptions {
  /** Device address; default 127.0.0.1. */
  host?: string;
  /** Device port; default 8111 (SoloKeys simulation). */
  port?: number;
  /** Bind this local port (7112 for the SoloKeys contract); default 0 = ephemeral. */
  localPort?: number;
  /** Local address to bind; default 127.0.0.1. */
  localHost?: string;
  /**
   * Bytes in one input and one output report; default 64 each (CTAPHID and the OTP vendor
   * interface). A boot keyboard's are 8 and 1 (HID 1.11 Appendix B.1: keys in, LED states out).
   */
  reportSizes?: { input: number; output: number };
}

/** HID 1.11 Appendix B.1: a boot keyboard's input report (modifiers, reserved, six keys) and LED output report. */
export const BOOT_KEYBOARD_REPORT_SIZES = { input: 8, output: 1 } as const;

export const SOLOKEYS_DEVICE_PORT = 8111;
export const SOLOKEYS_HOST_PORT = 7112;

export class UdpHidTransport implements HidTransport {
  readonly spec: string;
  readonly #socket: Socket;
  readonly #host: string;
  readonly #port: number;
  readonly #queue: ReportQueue;
  readonly #outputSize: number;

  private constructor(socket: Socket, host: string, port: number, outputSize: number) {
    this.#socket = socket;
    this.#host = host;
    this.#port = port;
    this.#outputSize = outputSize;
    this.spec = `udp:${host}:${port}`;
    this.#queue = new ReportQueue(`HID transport ${this.spec}`);
  }

  /** Bind a local socket and return the transport; rejects with BAD_INPUT or NOT_FOUND. */
  static async open(options: UdpHidTransportOptions = {}): Promise<UdpHidTransport> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? SOLOKEYS_DEVICE_PORT;
    const localPort = options.localPort ?? 0;
    const sizes = options.reportSizes ?? { input: HID_REPORT_SIZE, output: HID_REPORT_SIZE };
    for (const [name, n] of Object.entries(sizes)) {
      if (!Number.isInteger(n) || n < 1 || n > HID_REPORT_SIZE) throw new RangeError(`reportSizes.${name} must be 1..${HID_REPORT_SIZE}`);
    }
    for (const [name, p] of [['port', port], ['localPort', localPort]] as const) {
      if (!Number.isInteger(p) || p < 0 || p > 65535 || (name === 'port' && p === 0)) throw new RangeError(`${name} must be a UDP port number`);
    }
    // Resolve a name once: sending to an IP literal keeps datagrams in call order, where a
    // lookup per datagram (on the thread pool) could finish out of order.
    let address = host;
    if (!isIPv4(host)) {
      try {
        address = (await lookup(host, { family: 4 })).address;
      } catch (e) {
        throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot resolve ${host}: ${(e as Error).message}`, { cause: e });
      }
    }
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => {
        socket.close();
        reject(new TokenrigError(ErrorCode.NOT_FOUND, `cannot bind UDP ${options.localHost ?? '127.0.0.1'}:${localPort}: ${e.message}`, { cause: e }));
      };
      socket.once('error', onError);
      socket.bind(localPort, options.localHost ?? '127.0.0.1', () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const t = new UdpHidTransport(socket, address, port, sizes.output);
    socket.on('message', (msg, rinfo) => {
      // Only the device's own datagrams, and only whole reports.
      if (rinfo.port !== port || msg.length !== sizes.input) return;
      t.#queue.push(new Uint8Array(msg));
    });
    socket.on('error', () => t.#queue.close());
    return t;
  }

  /** The local port this transport receives on. */
  get localPort(): number {
    return this.#socket.address().port;
  }

  write(report: Uint8Array): Promise<void> {
    const refused = refuseWrite(this.#queue, report, this.#outputSize, `HID transport ${this.spec}`);
    if (refused !== undefined) return refused;
    const copy = report.slice();
    // Handed to the socket at once, not after the previous send completed: the socket's send
    // queue is first in, first out, so reports stay in order, and waiting for each completion
    // cost an event-loop turn per report (a 7609-byte PING: 4–5.8 ms before, ~3.2 ms after).
    return new Promise<void>((resolve, reject) => {
      this.#socket.send(copy, this.#port, this.#host, (e) => (e ? reject(new TokenrigError(ErrorCode.NOT_FOUND, `UDP send to ${this.spec} failed: ${e.message}`, { cause: e })) : resolve()));
    });
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#queue.closed) return;
    this.#queue.close();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
