/**
 * A HID transport over raw USB interrupt transfers through the `usb` package (libusb), the
 * way WebUSB reaches a device: claim the HID interface, write reports to its interrupt OUT
 * endpoint, poll its interrupt IN endpoint. Needs permission to the USB device node and, on
 * Linux, detaches the kernel's usbhid driver from that interface while open.
 *
 * @example
 * ```ts
 * const t = await UsbTransport.open(0x1050, 0x0407);
 * ```
 */
import type { usb } from 'usb';
import { ErrorCode, TokenrigError } from '../errors.js';
import { USB_DIR_IN, USB_DT, USB_RECIP, USB_REQ } from '../protocol/usb/ch9.js';
import { reportDescriptorUsage } from '../protocol/usb/hid.js';
import { type HidOpenOptions, type HidRole, hidRoleOf } from './hid-role.js';
import { type HidTransport, HID_REPORT_SIZE } from './hid-transport.js';
import { hex4 } from './node-hid-transport.js';
import { ReportQueue, closedError, refuseWrite } from './report-queue.js';
import { OrderedWriter } from './ordered-writer.js';

interface InEp {
  direction: 'in';
  transferType: number;
  startPoll(n?: number, size?: number): void;
  stopPoll(cb?: () => void): void;
  on(event: 'data', cb: (d: Buffer) => void): unknown;
  on(event: 'error', cb: (e: Error) => void): unknown;
}
interface OutEp {
  direction: 'out';
  transferType: number;
  transfer(data: Buffer, cb: (e?: Error) => void): void;
}

type UsbDevice = usb.Device;

/** What an interface's report descriptor (GET_DESCRIPTOR(REPORT) to the interface, HID 1.11 §7.1.1) says it is. */
function interfaceRole(device: UsbDevice, interfaceNumber: number): Promise<HidRole | undefined> {
  return new Promise((resolve) => {
    device.controlTransfer(USB_DIR_IN | USB_RECIP.INTERFACE, USB_REQ.GET_DESCRIPTOR, USB_DT.REPORT << 8, interfaceNumber, 1024, (e, data) => {
      const usage = e === undefined && data instanceof Uint8Array ? reportDescriptorUsage(data) : undefined;
      resolve(usage === undefined ? undefined : hidRoleOf(usage.usagePage, usage.usage));
    });
  });
}

/** libusb's LIBUSB_TRANSFER_TYPE_INTERRUPT. */
const TRANSFER_TYPE_INTERRUPT = 3;
/** USB class code of HID interfaces. */
const CLASS_HID = 3;

export class UsbTransport implements HidTransport {
  readonly spec: string;
  readonly #queue: ReportQueue;
  readonly #out: OutEp;
  readonly #release: () => Promise<void>;
  readonly #writer = new OrderedWriter(
    () => this.#queue.closed,
    () => closedError(`USB transport ${this.spec}`),
  );

  private constructor(spec: string, outEp: OutEp, release: () => Promise<void>) {
    this.spec = spec;
    this.#out = outEp;
    this.#release = release;
    this.#queue = new ReportQueue(`USB transport ${spec}`);
  }

  /**
   * Open a device with `vendorId:productId` and claim its first HID interface with interrupt
   * IN and OUT endpoints (or `interfaceNumber`); with `options.role`, the first whose report
   * descriptor says that role (a composite key has several HID interfaces; of several devices
   * with the same ids, the first that has one).
   */
  static async open(vendorId: number, productId: number, interfaceNumber?: number, options: HidOpenOptions = {}): Promise<UsbTransport> {
    const spec = `usb:${hex4(vendorId)}:${hex4(productId)}`;
    const { getDeviceList } = await import('usb');
    const devices = getDeviceList().filter((d) => d.deviceDescriptor.idVendor === vendorId && d.deviceDescriptor.idProduct === productId);
    if (devices.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no USB device ${hex4(vendorId)}:${hex4(productId)}`);
    for (const device of devices) {
      const t = await UsbTransport.#claim(device, spec, interfaceNumber, options.role, devices.length > 1);
      if (t !== undefined) return t;
    }
    throw new TokenrigError(ErrorCode.NOT_FOUND, `${spec} has no ${options.role ?? 'HID'} interface with interrupt IN and OUT endpoints`);
  }

  static async #claim(device: UsbDevice, spec: string, interfaceNumber: number | undefined, role: HidOpenOptions['role'], more: boolean): Promise<UsbTransport | undefined> {
    try {
      device.open();
    } catch (e) {
      if (more) return undefined;
      throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot open ${spec}: ${(e as Error).message} (permissions? see udev rules)`, { cause: e });
    }
    const candidates = (device.interfaces ?? []).filter((i) => (interfaceNumber === undefined ? i.descriptor.bInterfaceClass === CLASS_HID : i.interfaceNumber === interfaceNumber));
    for (const iface of candidates) {
      const inEp = iface.endpoints.find((e) => e.direction === 'in' && e.transferType === TRANSFER_TYPE_INTERRUPT) as unknown as InEp | undefined;
      const outEp = iface.endpoints.find((e) => e.direction === 'out' && e.transferType === TRANSFER_TYPE_INTERRUPT) as unknown as OutEp | undefined;
      if (inEp === undefined || outEp === undefined) continue;
      let detached = false;
      try {
        if (process.platform === 'linux' && iface.isKernelDriverActive()) {
          iface.detachKernelDriver();
          detached = true;
        }
        iface.claim();
      } catch (e) {
        // Leave the device as it was found: the kernel's driver back on, the device closed.
        if (detached) {
          try {
            iface.attachKernelDriver();
          } catch {
            // Nothing more to restore.
          }
        }
        device.close();
        throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot claim interface ${iface.interfaceNumber} of ${spec}: ${(e as Error).message}`, { cause: e });
      }
      // Linux's usbfs lets a request to an interface through only once it is claimed.
      if (role !== undefined && (await interfaceRole(device, iface.interfaceNumber)) !== role) {
        await new Promise<void>((resolve) => iface.release(true, () => resolve()));
        try {
          if (detached) iface.attachKernelDriver();
        } catch {
          // The kernel driver comes back on the next enumeration at worst.
        }
        continue;
      }
      const releaseInterface = (): Promise<void> =>
        new Promise<void>((resolve) => {
          iface.release(true, () => {
            try {
              if (detached) iface.attachKernelDriver();
            } catch {
              // Nothing more to restore.
            }
            device.close();
            resolve();
          });
        });
      const release = (): Promise<void> => new Promise<void>((resolve) => inEp.stopPoll(() => void releaseInterface().then(resolve)));
      try {
        inEp.startPoll(2, HID_REPORT_SIZE);
      } catch (e) {
        await releaseInterface();
        throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot read from ${spec}: ${(e as Error).message}`, { cause: e });
      }
      const t = new UsbTransport(spec, outEp, release);
      inEp.on('data', (d: Buffer) => {
        if (d.length === HID_REPORT_SIZE) t.#queue.push(new Uint8Array(d));
      });
      inEp.on('error', () => t.#queue.close());
      return t;
    }
    device.close();
    return undefined;
  }

  write(report: Uint8Array): Promise<void> {
    const refused = refuseWrite(this.#queue, report, HID_REPORT_SIZE, `USB transport ${this.spec}`);
    if (refused !== undefined) return refused;
    const data = Buffer.from(report);
    return this.#writer.run(
      () =>
        new Promise<void>((resolve, reject) => {
          this.#out.transfer(data, (e) => (e ? reject(new TokenrigError(ErrorCode.NOT_FOUND, `USB write to ${this.spec} failed: ${e.message}`, { cause: e })) : resolve()));
        }),
    );
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#queue.closed) return;
    this.#queue.close();
    await this.#release();
  }
}
