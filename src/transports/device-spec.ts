/**
 * Device specs: one string names a device, for the CLI and the API alike.
 *
 * | spec                     | what                                      |
 * |--------------------------|-------------------------------------------|
 * | `serial:/dev/ttyACM0`    | a tty or pty, through serialport          |
 * | `tcp:127.0.0.1:4000`     | a serial port served over TCP             |
 * | `udp:127.0.0.1:8111`     | HID reports over UDP (SoloKeys contract)  |
 * | `hid:/dev/hidraw3`       | a HID device by path, through node-hid    |
 * | `hid:1050:0407`          | the first HID device with VID:PID         |
 * | `usb:1050:0407`          | raw USB interrupt transfers (`usb`)       |
 * | `usbip:10.0.0.5:3240/1-1`| a device a USB/IP server exports, reached |
 * |                          | in user space (port 3240 if left out)     |
 *
 * @example
 * ```ts
 * parseDeviceSpec('udp:127.0.0.1:8111'); // { kind: 'udp', host: '127.0.0.1', port: 8111 }
 * const t = await openHidTransport('udp:127.0.0.1:8111');
 * ```
 */
import { badInput } from '../errors.js';
import type { HidOpenOptions } from './hid-role.js';
import type { HidTransport } from './hid-transport.js';
import type { SerialTransport } from './serial-transport.js';

export type DeviceSpec =
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'hid'; path: string }
  | { kind: 'hid'; vendorId: number; productId: number }
  | { kind: 'usb'; vendorId: number; productId: number }
  | { kind: 'usbip'; host: string; port: number; busid: string };

const EXAMPLES = 'serial:/dev/ttyACM0, tcp:127.0.0.1:4000, udp:127.0.0.1:8111, hid:/dev/hidraw3, hid:1050:0407, usb:1050:0407, usbip:127.0.0.1:3240/1-1';

function port(text: string, spec: string): number {
  if (!/^\d{1,5}$/.test(text)) throw badInput(`device spec ${JSON.stringify(spec)}: port must be a number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw badInput(`device spec ${JSON.stringify(spec)}: port must be 1..65535, got ${n}`);
  return n;
}

function hostPort(rest: string, spec: string): { host: string; port: number } {
  const i = rest.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: port(rest, spec) };
  let host = rest.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || /[\s/]/.test(host)) throw badInput(`device spec ${JSON.stringify(spec)}: bad host ${JSON.stringify(host)}`);
  return { host, port: port(rest.slice(i + 1), spec) };
}

/** `HOST[:PORT]/BUSID` of a usbip: spec (port 3240 when left out; IPv6 in brackets). */
function usbipTarget(rest: string, spec: string): { host: string; port: number; busid: string } {
  const slash = rest.lastIndexOf('/');
  const busid = slash < 0 ? '' : rest.slice(slash + 1);
  // Linux bus ids: bus-port[.port...], e.g. 1-1 or 3-2.4.
  if (!/^\d{1,3}-\d{1,3}(\.\d{1,3}){0,6}$/.test(busid)) throw badInput(`device spec ${JSON.stringify(spec)}: usbip: takes HOST[:PORT]/BUSID, e.g. usbip:127.0.0.1:3240/1-1`);
  const address = rest.slice(0, slash);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed !== null) return { host: bracketed[1]!, port: bracketed[2] === undefined ? 3240 : port(bracketed[2], spec), busid };
  const colons = address.split(':').length - 1;
  if (colons === 0) {
    if (address === '' || /[\s/]/.test(address)) throw badInput(`device spec ${JSON.stringify(spec)}: bad host ${JSON.stringify(address)}`);
    return { host: address, port: 3240, busid };
  }
  if (colons > 1) throw badInput(`device spec ${JSON.stringify(spec)}: write an IPv6 address in brackets, e.g. usbip:[::1]:3240/1-1`);
  return { ...hostPort(address, spec), busid };
}

function vidPid(rest: string): { vendorId: number; productId: number } | undefined {
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(rest);
  if (m === null) return undefined;
  return { vendorId: parseInt(m[1]!, 16), productId: parseInt(m[2]!, 16) };
}

/** Parse a spec into a tagged object; BAD_INPUT (one line, with examples) when it is wrong. */
export function parseDeviceSpec(spec: string): DeviceSpec {
  if (typeof spec !== 'string') throw new TypeError('spec must be a string');
  const colon = spec.indexOf(':');
  if (colon < 0) throw badInput(`device spec ${JSON.stringify(spec)} has no kind: use one of ${EXAMPLES}`);
  const kind = spec.slice(0, colon).toLowerCase();
  const rest = spec.slice(colon + 1);
  if (rest === '') throw badInput(`device spec ${JSON.stringify(spec)} names no device`);
  switch (kind) {
    case 'serial':
      if (/[\0\n]/.test(rest)) throw badInput(`device spec ${JSON.stringify(spec)}: bad path`);
      return { kind: 'serial', path: rest };
    case 'tcp':
      return { kind: 'tcp', ...hostPort(rest, spec) };
    case 'udp':
      return { kind: 'udp', ...hostPort(rest, spec) };
    case 'hid': {
      const ids = vidPid(rest);
      if (ids !== undefined) return { kind: 'hid', ...ids };
      if (/[\0\n]/.test(rest)) throw badInput(`device spec ${JSON.stringify(spec)}: bad path`);
      return { kind: 'hid', path: rest };
    }
    case 'usb': {
      const ids = vidPid(rest);
      if (ids === undefined) throw badInput(`device spec ${JSON.stringify(spec)}: usb: takes VID:PID in hex, e.g. usb:1050:0407`);
      return { kind: 'usb', ...ids };
    }
    case 'usbip':
      return { kind: 'usbip', ...usbipTarget(rest, spec) };
    default:
      throw badInput(`device spec ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)}: use one of ${EXAMPLES}`);
  }
}

/** True when the spec names a HID device (udp, hid, usb, usbip) rather than a serial one. */
export function isHidSpec(spec: DeviceSpec): boolean {
  return spec.kind === 'udp' || spec.kind === 'hid' || spec.kind === 'usb' || spec.kind === 'usbip';
}

/**
 * Open a HID transport for `spec` (udp:, hid:, usb:, usbip:). Loads only the package it needs.
 * `options.role` picks the interface of a composite device (FIDO, the OTP vendor interface).
 */
export async function openHidTransport(spec: string | DeviceSpec, options: HidOpenOptions = {}): Promise<HidTransport> {
  const s = typeof spec === 'string' ? parseDeviceSpec(spec) : spec;
  switch (s.kind) {
    case 'udp': {
      const { UdpHidTransport } = await import('./udp-hid-transport.js');
      return UdpHidTransport.open({ host: s.host, port: s.port });
    }
    case 'hid': {
      const { NodeHidTransport } = await import('./node-hid-transport.js');
      return NodeHidTransport.open('path' in s ? { path: s.path } : { vendorId: s.vendorId, productId: s.productId, ...options });
    }
    case 'usb': {
      const { UsbTransport } = await import('./usb-transport.js');
      return UsbTransport.open(s.vendorId, s.productId, undefined, options);
    }
    case 'usbip': {
      const { UsbIpHidTransport } = await import('./usbip-hid-transport.js');
      return UsbIpHidTransport.open(s, options);
    }
    default:
      throw badInput(`${s.kind}: is a serial device spec, not a HID one`);
  }
}

/** Open a serial transport for `spec` (serial:, tcp:). */
export async function openSerialTransport(spec: string | DeviceSpec): Promise<SerialTransport> {
  const s = typeof spec === 'string' ? parseDeviceSpec(spec) : spec;
  switch (s.kind) {
    case 'serial': {
      const { SerialPortTransport } = await import('./serialport-transport.js');
      return SerialPortTransport.open(s.path);
    }
    case 'tcp': {
      const { TcpSerialTransport } = await import('./tcp-serial-transport.js');
      return TcpSerialTransport.open(s.host, s.port);
    }
    default:
      throw badInput(`${s.kind}: is a HID device spec, not a serial one`);
  }
}
