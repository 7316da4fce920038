/**
 * Makes a simulated HID interface reachable over UDP: one raw 64-byte report per datagram,
 * compatible with the SoloKeys simulation contract (device on 127.0.0.1:8111). Each datagram
 * reaches the device with its sender's `address:port` as the peer, and each input report goes
 * to the peer the device names: for CTAPHID, the host that allocated the channel (INIT), so
 * several hosts share one device and a stray datagram from another socket neither redirects
 * a pending reply nor gets served on someone else's channel. A report the device sends to no
 * one in particular goes to the last host that sent a whole report (a SoloKeys host sends
 * from 7112, so it goes there). Datagrams that are not exactly one output report (64 bytes; a
 * boot keyboard's is one byte of LED states) are dropped.
 * The endpoint only moves bytes; the one thing it interprets is the SoloKeys "magic reboot"
 * report, which power-cycles the device as the Solo simulator does.
 *
 * @example
 * ```ts
 * const endpoint = await UdpEndpoint.listen(authenticator, { port: 8111 });
 * // ... python-fido2 or `tokenrig fido info --device udp:127.0.0.1:8111` talks to it
 * await endpoint.close();
 * ```
 */
import { type Socket, createSocket } from 'node:dgram';
import type { HidPeer, SimulatedHidInterface } from '../hid-interface.js';

/**
 * The 64 bytes SoloKeys' test suite sends to make its simulator restart
 * (solo `pc/device.c` usbhid_recv and fido2-tests `send_magic_reboot`).
 */
export const SOLOKEYS_MAGIC_REBOOT = Uint8Array.from(
  Buffer.from(
    'ac1052ca95e569de69e02ebff333485f13f9b2da34c5a8a340526697a9ab2e0b394d8d04973c134005be1a0140bff6045bb26eb77a73eaa47813f6b49a7250dc',
    'hex',
  ),
);

export interface UdpEndpointOptions {
  /** Address to bind; default 127.0.0.1 (loopback unless told otherwise). */
  host?: string;
  /** Port to bind; default 8111; 0 = ephemeral. */
  port?: number;
  /** Called for each datagram that is not a whole report (they are dropped). */
  onDrop?: (length: number) => void;
  /** Called when the magic reboot report arrives (after the power cycle). */
  onReboot?: () => void;
}

export const DEFAULT_UDP_ENDPOINT_PORT = 8111;

function isMagicReboot(msg: Uint8Array): boolean {
  if (msg.length !== SOLOKEYS_MAGIC_REBOOT.length) return false;
  for (let i = 0; i < msg.length; i++) if (msg[i] !== SOLOKEYS_MAGIC_REBOOT[i]) return false;
  return true;
}

/** The peer name of a sender: `address:port`. */
function peerOf(rinfo: { address: string; port: number }): HidPeer {
  return `${rinfo.address}:${rinfo.port}`;
}

/** The address and port of a peer name made by `peerOf`. */
function addressOf(peer: HidPeer): { address: string; port: number } {
  const i = peer.lastIndexOf(':');
  return { address: peer.slice(0, i), port: Number(peer.slice(i + 1)) };
}

export class UdpEndpoint {
  readonly #socket: Socket;
  /** The last host that sent a whole report: where reports for no one in particular go. */
  #lastPeer: { address: string; port: number } | undefined;
  #closed = false;
  /** Datagrams dropped because they were not 64 bytes. */
  dropped = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Bind and start feeding datagrams to `device`. Rejects if the port is taken. */
  static async listen(device: SimulatedHidInterface, options: UdpEndpointOptions = {}): Promise<UdpEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_UDP_ENDPOINT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError('port must be 0..65535');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => {
        socket.close();
        reject(e);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    const endpoint = new UdpEndpoint(socket);
    socket.on('error', () => {});
    device.attach((report, to) => endpoint.#send(report, to));
    const reportSize = device.outputReportSize ?? 64;
    socket.on('message', (msg, rinfo) => {
      // Checked before anything else: a datagram that is not one report changes nothing
      // (the SoloKeys magic reboot is a 64-byte report, and only a FIDO interface has those).
      if (msg.length !== reportSize && !(msg.length === 64 && isMagicReboot(msg))) {
        endpoint.dropped++;
        options.onDrop?.(msg.length);
        return;
      }
      endpoint.#lastPeer = { address: rinfo.address, port: rinfo.port };
      if (isMagicReboot(msg)) {
        device.powerCycle?.();
        options.onReboot?.();
        return;
      }
      device.receive(new Uint8Array(msg), peerOf(rinfo));
    });
    return endpoint;
  }

  /** Where the endpoint listens, e.g. `{ address: '127.0.0.1', port: 8111 }`. */
  get address(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** A device spec for host tools: `udp:127.0.0.1:8111`. */
  get spec(): string {
    const a = this.address;
    return `udp:${a.address}:${a.port}`;
  }

  #send(report: Uint8Array, to: HidPeer | undefined): void {
    const peer = to === undefined ? this.#lastPeer : addressOf(to);
    if (this.#closed || peer === undefined) return;
    this.#socket.send(report, peer.port, peer.address);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
