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
import { ErrorCode, TokenrigError } from '../errors.js';
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

  /** Open the first device with `vendorId:productId` and claim its first HID interface with interrupt IN and OUT endpoints (or `interfaceNumber`). */
  static async open(vendorId: number, productId: number, interfaceNumber?: number): Promise<UsbTransport> {
    const spec = `usb:${hex4(vendorId)}:${hex4(productId)}`;
    const { findByIds } = await import('usb');
    const device = findByIds(vendorId, productId);
    if (device === undefined) throw new TokenrigError(ErrorCode.NOT_FOUND, `no USB device ${hex4(vendorId)}:${hex4(productId)}`);
    try {
      device.open();
    } catch (e) {
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
    throw new TokenrigError(ErrorCode.NOT_FOUND, `${spec} has no HID interface with interrupt IN and OUT endpoints`);
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
