/**
 * One USB/IP server for many simulated devices: a rig starts it once, then passes it as the
 * `usbip` option of each device it starts. Each device is exported under its own bus id
 * (1-1, 1-2, …) while it runs, so one `usbip list -r HOST` shows them all and `usbip attach -b
 * 1-N` plugs in the one wanted; a device that stops is unplugged from the server (a client
 * that had it sees it go, as when a key is pulled out).
 *
 * @example
 * ```ts
 * import { startOtpToken, startUsbIpServer } from 'tokenrig/sim';
 *
 * await using server = await startUsbIpServer({ port: 3240 });
 * const tokens = await Promise.all([1, 2, 3].map(() => startOtpToken({ usbip: server })));
 * tokens.map((t) => t.endpoints.usbip); // usbip:127.0.0.1:3240/1-1, .../1-2, .../1-3
 * server.specs; // the same three
 * ```
 */
import { UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import type { SimulatedUsbDevice } from '../../firmware-sim/usb/index.js';
import { USBIP_PORT } from '../protocol/usbip/messages.js';
import { endpointError, hostPortSpec } from './endpoints.js';
import { type SimEvent, simEvent } from './events.js';

/** Where the server listens, and who hears of imports and releases. */
export interface UsbIpServerStartOptions {
  /** The address to bind; default 127.0.0.1 (loopback only: USB/IP has no authentication). */
  host?: string;
  /** The TCP port; default 3240, the USB/IP port; 0 takes any free one. */
  port?: number;
  /** `usbip_devlist`, `usbip_import`, `usbip_refused`, `usbip_release`, with the bus id and the client. */
  onEvent?: (event: SimEvent) => void;
}

/** A running USB/IP server that devices are exported on while they run. */
export interface SimUsbIpServer {
  readonly host: string;
  readonly port: number;
  /** A device spec per device exported now (`usbip:127.0.0.1:3240/1-1`), in bus id order. */
  readonly specs: readonly string[];
  /** Stop listening; every client loses its device. The devices themselves keep running. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const servers = new WeakMap<SimUsbIpServer, UsbIpServer>();

/**
 * Start a USB/IP server with no device yet. Errors as every endpoint's: a port in use is
 * BUSY, an address not of this machine BAD_INPUT (see `endpointError`).
 */
export async function startUsbIpServer(options: UsbIpServerStartOptions = {}): Promise<SimUsbIpServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? USBIP_PORT;
  const server = await UsbIpServer.listen([], {
    host,
    port,
    ...(options.onEvent === undefined ? {} : { onEvent: ({ event, ...fields }: { event: string }) => options.onEvent!(simEvent(event, fields)) }),
  }).catch((e: unknown) => {
    throw endpointError(`USB/IP on ${hostPortSpec('tcp', host, port).slice(4)}`, e);
  });
  const close = (): Promise<void> => server.close();
  const handle: SimUsbIpServer = {
    host,
    get port() {
      return server.port;
    },
    get specs() {
      return server.specs;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  servers.set(handle, server);
  return handle;
}

/** True when `value` is a server `startUsbIpServer` made. */
export function isUsbIpServer(value: unknown): value is SimUsbIpServer {
  return typeof value === 'object' && value !== null && servers.has(value as SimUsbIpServer);
}

/** Export `device` on a server `startUsbIpServer` made: its spec, and how to unplug it. */
export function exportOn(handle: SimUsbIpServer, device: SimulatedUsbDevice): { spec: string; unplug(): void } {
  const server = servers.get(handle)!;
  const busid = server.export(device);
  return { spec: server.specs[server.busids.indexOf(busid)]!, unplug: () => server.unexport(busid) };
}
