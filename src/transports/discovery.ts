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
import { hex4 } from './node-hid-transport.js';

export interface DiscoveredDevice {
  spec: string;
  kind: 'hid' | 'serial';
  vendorId?: number;
  productId?: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** HID usage page: 0xF1D0 is FIDO, 0xFF00.. vendor (the OTP token), 0x01 with usage 6 a keyboard. */
  usagePage?: number;
  usage?: number;
  /** What the usage says this interface is. */
  role?: 'fido' | 'otp-vendor' | 'keyboard' | 'other';
}

export interface Discovery {
  devices: DiscoveredDevice[];
  /** Why a source gave nothing (e.g. "serial ports: udevadm not found"). */
  notes: string[];
}

function role(usagePage: number | undefined, usage: number | undefined): DiscoveredDevice['role'] {
  if (usagePage === 0xf1d0) return 'fido';
  if (usagePage !== undefined && usagePage >= 0xff00) return 'otp-vendor';
  if (usagePage === 0x01 && usage === 0x06) return 'keyboard';
  return 'other';
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
          role: role(d.usagePage, d.usage),
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
