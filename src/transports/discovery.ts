/**
 * Discovery: the HID devices node-hid sees and the serial ports serialport lists, as device
 * specs. Either source may fail on a machine (no hidraw access, no udevadm in a container);
 * a failure becomes a note in the result, never an exception.
 *
 * @example
 * ```ts
 * const { devices, notes } = await discoverDevices();
 * ```
 */
import { USBIP_PORT } from '../protocol/usbip/messages.js';
import { type HidRole, hidRoleOf } from './hid-role.js';
import { hex4 } from './node-hid-transport.js';

export interface DiscoveredDevice {
  spec: string;
  kind: 'hid' | 'serial' | 'usbip';
  vendorId?: number;
  productId?: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** HID usage page: 0xF1D0 is FIDO, 0xFF00.. vendor (the OTP token), 0x01 with usage 6 a keyboard. */
  usagePage?: number;
  usage?: number;
  /** What the usage says this interface is. */
  role?: HidRole;
  /** A USB/IP export's interfaces, by class: `HID`, `HID boot keyboard`, `CDC-ACM`, `CDC data`. */
  interfaces?: string[];
}

export interface Discovery {
  devices: DiscoveredDevice[];
  /** Why a source gave nothing (e.g. "serial ports: udevadm not found"). */
  notes: string[];
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}

export async function discoverDevices(): Promise<Discovery> {
  const devices: DiscoveredDevice[] = [];
  const notes: string[] = [];
  try {
    const hid = await import('node-hid');
    for (const d of await hid.devicesAsync()) {
      devices.push(
        defined({
          spec: d.path !== undefined ? `hid:${d.path}` : `hid:${hex4(d.vendorId)}:${hex4(d.productId)}`,
          kind: 'hid' as const,
          vendorId: d.vendorId,
          productId: d.productId,
          manufacturer: d.manufacturer,
          product: d.product,
          serialNumber: d.serialNumber,
          usagePage: d.usagePage,
          usage: d.usage,
          role: hidRoleOf(d.usagePage, d.usage),
        }),
      );
    }
  } catch (e) {
    notes.push(`HID devices: ${(e as Error).message}`);
  }
  try {
    const { SerialPort } = await import('serialport');
    for (const p of await SerialPort.list()) {
      devices.push(
        defined({
          spec: `serial:${p.path}`,
          kind: 'serial' as const,
          vendorId: p.vendorId === undefined ? undefined : parseInt(p.vendorId, 16),
          productId: p.productId === undefined ? undefined : parseInt(p.productId, 16),
          manufacturer: p.manufacturer,
          serialNumber: p.serialNumber,
        }),
      );
    }
  } catch (e) {
    // serialport's Linux lister runs udevadm, absent in many containers.
    const message = (e as Error).message;
    notes.push(`serial ports: ${message}${/udevadm/.test(message) ? ' (serialport lists ports through udevadm; install udev, or name the port: serial:/dev/ttyACM0)' : ''}`);
  }
  return { devices, notes };
}

/** The name of a USB interface class triple, as `tokenrig devices --usbip` shows it. */
function interfaceName(i: { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }): string {
  switch (i.bInterfaceClass) {
    case 0x03:
      return i.bInterfaceSubClass === 1 ? (i.bInterfaceProtocol === 1 ? 'HID boot keyboard' : i.bInterfaceProtocol === 2 ? 'HID boot mouse' : 'HID boot') : 'HID';
    case 0x02:
      return i.bInterfaceSubClass === 2 ? 'CDC-ACM' : 'CDC';
    case 0x0a:
      return 'CDC data';
    case 0x0b:
      return 'smart card';
    default:
      return `class ${i.bInterfaceClass.toString(16).padStart(2, '0')}/${i.bInterfaceSubClass.toString(16).padStart(2, '0')}/${i.bInterfaceProtocol.toString(16).padStart(2, '0')}`;
  }
}

/**
 * The devices a USB/IP server exports (OP_REQ_DEVLIST), as `usbip:` specs. Rejects with
 * NOT_FOUND or TIMEOUT when the server cannot be reached: the caller named it, so that is an error.
 */
export async function discoverUsbIpDevices(host: string, port: number = USBIP_PORT, timeoutMs?: number): Promise<DiscoveredDevice[]> {
  const { UsbIpClient } = await import('./usbip-client.js');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return (await UsbIpClient.list(host, port, timeoutMs)).map(({ device: d, interfaces }) => ({
    spec: `usbip:${shownHost}:${port}/${d.busid}`,
    kind: 'usbip' as const,
    vendorId: d.idVendor,
    productId: d.idProduct,
    interfaces: interfaces.map(interfaceName),
  }));
}
