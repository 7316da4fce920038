/**
 * The endpoints that make a simulated device reachable, as one table: each start option
 * (`serialPort`, `hid`, ...) is one entry that checks its value and opens its endpoint for a
 * device, and every endpoint says where it is as device specs (`serial:/dev/pts/7`,
 * `tcp:127.0.0.1:PORT`, `udp:127.0.0.1:PORT`) that the host side and `--device` accept.
 *
 * A new kind of endpoint is one new option in `EndpointOptions` and one entry in
 * `ENDPOINT_KINDS` (the compiler asks for the entry once the option exists); the start
 * functions, the CLI's ready line and the rig pick it up from there.
 *
 * @example
 * ```ts
 * const opened = await openEndpoints(device, { serialPort: 'pty', hid: 'udp:0' }, { host: '127.0.0.1' });
 * opened.endpoints; // { serial: 'serial:/dev/pts/7', hid: 'udp:127.0.0.1:41234' }
 * await opened.close();
 * ```
 */
import type { UsbIdentity } from '../../devices/index.js';
import { PtyEndpoint } from '../../firmware-sim/endpoints/pty-endpoint.js';
import { TcpSerialEndpoint } from '../../firmware-sim/endpoints/tcp-serial-endpoint.js';
import { UdpEndpoint } from '../../firmware-sim/endpoints/udp-endpoint.js';
import { openUhidDevices } from '../../firmware-sim/endpoints/uhid-devices.js';
import { UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import { type UsbDeviceIdentity, type UsbHidPart, bcdFromVersion, hidSpecOfPart, usbDeviceFromParts } from '../../firmware-sim/usb/index.js';
import { USBIP_PORT } from '../protocol/usbip/messages.js';
import type { SimulatedHidInterface, SimulatedSerialInterface } from '../../firmware-sim/hid-interface.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { type SimEvent, eventLogger, simEvent } from './events.js';
import { type SimUsbIpServer, exportOn, isUsbIpServer } from './usbip-server.js';

/** The HID interfaces a device can have (devices/ profile kinds, `otp-vendor` named `otp`). */
export type HidInterfaceKind = 'fido' | 'otp' | 'keyboard';

/** What endpoints carry: the device's USB identity and its interfaces, in the profile's order. */
export interface DeviceInterfaces {
  /** The USB identity (for endpoints that present a USB or HID device to a kernel). */
  readonly usb: UsbIdentity;
  /**
   * The HID interfaces. `name` is the key of its spec in `endpoints`: `hid` for the one the
   * device was started for (the OTP interface of a token, FIDO of a key), else its kind.
   */
  readonly hid: readonly { readonly kind: HidInterfaceKind; readonly name: string; readonly iface: SimulatedHidInterface }[];
  /** The CDC serial interface, when the profile has one. */
  readonly serial: SimulatedSerialInterface | undefined;
  /** iSerialNumber of a USB device (the token's serial); none when absent. */
  readonly serialNumber?: string;
  /** The firmware version, for bcdDevice (`5.4.3` is 0x0543). */
  readonly firmwareVersion?: string | readonly number[];
  /** Report an endpoint event (the SoloKeys magic reboot). */
  emit(e: SimEvent): void;
}

/** The options that open endpoints; each is one entry of `ENDPOINT_KINDS`. */
export interface EndpointOptions {
  /**
   * The serial interface: `'pty'`, a real /dev/pts/N (made by socat) that serialport, pyserial
   * or screen open; or `'tcp:PORT'`, a serial session over TCP (`tcp:0`: any free port).
   */
  serialPort?: 'pty' | `tcp:${number}`;
  /**
   * Every HID interface over UDP, one 64-byte report per datagram (the SoloKeys contract):
   * `'udp'` on each interface's default port (FIDO 8111, OTP 8112, keyboard 8113), `'udp:PORT'`
   * from PORT up (the first interface on PORT, the next on PORT + 1), `'udp:0'` on free ports.
   */
  hid?: 'udp' | `udp:${number}`;
  /**
   * The whole device over USB/IP: every HID interface and the CDC-ACM serial port, as one USB
   * device that Linux `usbip attach` (vhci-hcd) or usbip-win2 imports, or a `usbip:` device
   * spec reaches. A TCP port (3240 is the USB/IP port; 0: any free one) starts a server of its
   * own with the device as bus id 1-1; a server from `startUsbIpServer` exports it beside the
   * others there, under the next free bus id, while the device runs.
   */
  usbip?: number | SimUsbIpServer;
  /**
   * Each HID interface a local hidraw device through Linux /dev/uhid (HID only, no serial
   * port); its spec is `hid:/dev/hidrawN`, under the interface's name as with `hid`.
   */
  uhid?: boolean;
}

/** Settings every endpoint shares. */
export interface EndpointSettings {
  /** The address network endpoints bind; default 127.0.0.1 (loopback unless told otherwise). */
  host?: string;
  /** With `serialPort: 'pty'`: also make a symlink to the pty here (e.g. /tmp/tokenrig-otp). */
  ptyLink?: string;
}

/**
 * Device specs of a running device's endpoints, by name: `serial`; `hid` for the interface the
 * device was started for; `otp`, `fido`, `keyboard` for the other HID interfaces of a
 * composite device; and what further endpoint kinds add.
 */
export interface SimEndpoints {
  readonly serial?: string;
  readonly hid?: string;
  readonly otp?: string;
  readonly fido?: string;
  readonly keyboard?: string;
  readonly [name: string]: string | undefined;
}

/** One opened endpoint: where it is, and how to close it. */
export interface OpenedEndpoint {
  readonly specs: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** One kind of endpoint: checks its option's value, then opens it for a device. */
export interface EndpointKind<V> {
  /** Throw BAD_INPUT (naming the option and what it takes) when `value` is not valid. */
  check(value: V): void;
  open(device: DeviceInterfaces, value: V, settings: Required<Pick<EndpointSettings, 'host'>> & EndpointSettings): Promise<OpenedEndpoint>;
}

/** The UDP port each HID interface takes with `hid: 'udp'` (FIDO keeps the SoloKeys port). */
export const DEFAULT_UDP_PORTS: Readonly<Record<HidInterfaceKind, number>> = { fido: 8111, otp: 8112, keyboard: 8113 };

/** A network device spec; IPv6 hosts in brackets. */
export function hostPortSpec(kind: 'tcp' | 'udp', host: string, port: number): string {
  return `${kind}:${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The port of `tcp:PORT` / `udp[:PORT]`; `what` names the option in messages ("the serial port"). */
function portOf(value: string, prefix: 'tcp' | 'udp', what: string, portRequired: boolean): number | undefined {
  const m = typeof value === 'string' ? new RegExp(`^${prefix}(?::(\\d{1,5}))?$`).exec(value) : null;
  const takes = portRequired ? `${prefix}:PORT (0 = any free port)` : `${prefix} or ${prefix}:PORT (0 = any free port)`;
  if (m === null || (portRequired && m[1] === undefined)) throw badInput(`${what} must be ${prefix === 'tcp' ? `pty or ${takes}` : takes}, got ${JSON.stringify(value)}`);
  if (m[1] === undefined) return undefined;
  const port = Number(m[1]);
  if (port > 65535) throw badInput(`${what}: the port must be 0..65535, got ${port}`);
  return port;
}

/** The USB identity of a device's interfaces. */
function usbIdentity(device: DeviceInterfaces): UsbDeviceIdentity {
  return {
    vendorId: device.usb.vendorId,
    productId: device.usb.productId,
    bcdDevice: bcdFromVersion(device.firmwareVersion ?? '1.0.0'),
    manufacturer: device.usb.manufacturer,
    product: device.usb.product,
    ...(device.serialNumber === undefined ? {} : { serial: device.serialNumber }),
  };
}

function usbHidParts(device: DeviceInterfaces): (UsbHidPart & { name: string })[] {
  return device.hid.map((h) => ({ spec: hidSpecOfPart({ kind: h.kind === 'otp' ? 'otp-vendor' : h.kind, iface: h.iface }), iface: h.iface, name: h.name }));
}

/**
 * The hidraw node of each uhid device. The kernel makes it while it probes the device, just
 * after UHID_CREATE2, so wait for it (bounded: a kernel without hidraw never makes one).
 */
async function hidrawNodes(devices: readonly { readonly hidraw: string | undefined }[], timeoutMs = 5000): Promise<string[]> {
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 20))) {
    const nodes = devices.map((d) => d.hidraw);
    if (nodes.every((n) => n !== undefined)) return nodes as string[];
    if (Date.now() - start > timeoutMs) throw new TokenrigError(ErrorCode.NOT_FOUND, `the uhid device has no hidraw node after ${timeoutMs} ms: is the hidraw driver loaded (CONFIG_HIDRAW)?`);
  }
}

/** Every kind of endpoint, in the order they open. */
export const ENDPOINT_KINDS: { readonly [K in keyof EndpointOptions]-?: EndpointKind<NonNullable<EndpointOptions[K]>> } = {
  serialPort: {
    check(value) {
      if (value !== 'pty') portOf(value, 'tcp', 'the serial port', true);
    },
    async open(device, value, settings) {
      if (device.serial === undefined) throw badInput('this device has no serial interface: leave out the serial port');
      if (value === 'pty') {
        // A client closed or its answers dropped for not reading (backpressure) is an event.
        const log = eventLogger((e) => device.emit(e));
        const pty = await PtyEndpoint.open(device.serial, { log, ...(settings.ptyLink === undefined ? {} : { link: settings.ptyLink }) });
        return { specs: { serial: `serial:${pty.path}` }, close: () => pty.close() };
      }
      const port = portOf(value, 'tcp', 'the serial port', true)!;
      const tcp = await TcpSerialEndpoint.listen(device.serial, { host: settings.host, port, log: eventLogger((e) => device.emit(e)) }).catch((e: unknown) => {
        throw endpointError(hostPortSpec('tcp', settings.host, port), e);
      });
      return { specs: { serial: hostPortSpec('tcp', settings.host, tcp.port) }, close: () => tcp.close() };
    },
  },
  hid: {
    check(value) {
      portOf(value, 'udp', 'the HID endpoint', false);
    },
    async open(device, value, settings) {
      const base = portOf(value, 'udp', 'the HID endpoint', false);
      // The interface the device was started for comes first, so `udp:PORT` puts it on PORT.
      const ordered = [...device.hid].sort((a, b) => Number(b.name === 'hid') - Number(a.name === 'hid'));
      const opened: { name: string; endpoint: UdpEndpoint }[] = [];
      try {
        for (const [i, h] of ordered.entries()) {
          const port = base === undefined ? DEFAULT_UDP_PORTS[h.kind] : base === 0 ? 0 : base + i;
          if (port > 65535) throw badInput(`hid: udp:${base} leaves no port for the ${h.kind} interface`);
          const onReboot = (): void => device.emit(simEvent('magic_reboot', { interface: h.name }));
          const endpoint = await UdpEndpoint.listen(h.iface, { host: settings.host, port, onReboot }).catch((e: unknown) => {
            throw endpointError(hostPortSpec('udp', settings.host, port), e);
          });
          opened.push({ name: h.name, endpoint });
        }
      } catch (e) {
        await Promise.all(opened.map((o) => o.endpoint.close()));
        throw e;
      }
      return {
        specs: Object.fromEntries(opened.map((o) => [o.name, hostPortSpec('udp', settings.host, o.endpoint.address.port)])),
        close: async () => void (await Promise.all(opened.map((o) => o.endpoint.close()))),
      };
    },
  },
  usbip: {
    check(value) {
      if (isUsbIpServer(value)) return;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
        throw badInput(`usbip takes a TCP port 0..65535 (${USBIP_PORT} is the USB/IP port) or a server from startUsbIpServer, got ${JSON.stringify(value)}`);
      }
    },
    async open(device, value, settings) {
      const usb = usbDeviceFromParts(usbIdentity(device), usbHidParts(device), device.serial);
      if (isUsbIpServer(value)) {
        const exported = exportOn(value, usb);
        return { specs: { usbip: exported.spec }, close: async () => exported.unplug() };
      }
      const port = value;
      const server = await UsbIpServer.listen([usb], {
        host: settings.host,
        port,
        onEvent: ({ event, ...fields }) => device.emit(simEvent(event, fields)),
      }).catch((e: unknown) => {
        throw endpointError(`USB/IP on ${hostPortSpec('tcp', settings.host, port).slice(4)}`, e);
      });
      return { specs: { usbip: server.specs[0]! }, close: () => server.close() };
    },
  },
  uhid: {
    check(value) {
      if (typeof value !== 'boolean') throw badInput('uhid is true or false');
    },
    async open(device, value) {
      if (!value) return { specs: {}, close: async () => {} };
      const parts = usbHidParts(device);
      const opened = await openUhidDevices(
        usbIdentity(device),
        parts.map((p) => ({ spec: p.spec, device: p.iface })),
        { onEvent: ({ event, ...fields }) => device.emit(simEvent(event, fields)) },
      );
      const nodes = await hidrawNodes(opened).catch(async (e: unknown) => {
        await Promise.all(opened.map((u) => u.close()));
        throw e;
      });
      return {
        specs: Object.fromEntries(nodes.map((node, i) => [parts[i]!.name, `hid:${node}`])),
        close: async () => void (await Promise.all(opened.map((u) => u.close()))),
      };
    },
  },
};

/** Check every endpoint option given, before anything is started. */
export function checkEndpointOptions(options: EndpointOptions): void {
  // An interface's firmware has one host at a time, as a plugged-in device has.
  const hidCarriers = (['hid', 'usbip', 'uhid'] as const).filter((k) => options[k] !== undefined && options[k] !== false);
  if (hidCarriers.length > 1) throw badInput(`give one of hid, usbip, uhid: a device's HID interfaces are plugged into one host at a time (got ${hidCarriers.join(' and ')})`);
  if (options.serialPort !== undefined && options.usbip !== undefined) throw badInput('give the serial port or usbip, not both: the USB/IP device carries the serial port (CDC-ACM) itself');
  for (const [name, kind] of Object.entries(ENDPOINT_KINDS) as [keyof EndpointOptions, EndpointKind<unknown>][]) {
    const value = options[name];
    if (value !== undefined) kind.check(value);
  }
}

/** The endpoints of a running device, together. */
export interface OpenedEndpoints {
  readonly endpoints: SimEndpoints;
  close(): Promise<void>;
}

/** Open every endpoint `options` asks for; on a failure, close the ones already open. */
export async function openEndpoints(device: DeviceInterfaces, options: EndpointOptions, settings: EndpointSettings = {}): Promise<OpenedEndpoints> {
  checkEndpointOptions(options);
  const resolved = { ...settings, host: settings.host ?? '127.0.0.1' };
  const opened: OpenedEndpoint[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(opened.splice(0).map((o) => o.close()));
  };
  try {
    for (const [name, kind] of Object.entries(ENDPOINT_KINDS) as [keyof EndpointOptions, EndpointKind<unknown>][]) {
      const value = options[name];
      if (value === undefined) continue;
      opened.push(await kind.open(device, value, resolved).catch((e: unknown) => Promise.reject(endpointError(name, e))));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { endpoints: Object.freeze(Object.assign({}, ...opened.map((o) => o.specs)) as SimEndpoints), close };
}

/**
 * An endpoint that could not open, as the error a script can act on: a port in use is BUSY,
 * a host that is not this machine's or a port it may not bind is BAD_INPUT, a missing tool
 * (socat) NOT_FOUND.
 */
export function endpointError(what: string, e: unknown): TokenrigError {
  if (e instanceof TokenrigError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const message = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'EADDRINUSE':
      return new TokenrigError(ErrorCode.BUSY, `${what} is in use (another simulator?): choose another port, or port 0 for any free one`, { cause: e });
    case 'EACCES':
      return new TokenrigError(ErrorCode.BAD_INPUT, `${what}: permission denied (ports below 1024 need root)`, { cause: e });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new TokenrigError(ErrorCode.BAD_INPUT, `${what}: the host is not an address of this machine`, { cause: e });
    default:
      return new TokenrigError(ErrorCode.NOT_FOUND, `cannot open ${what}: ${message}`, { cause: e });
  }
}
