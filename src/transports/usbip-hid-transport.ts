/**
 * A HID transport to a device exported over USB/IP, spoken in user space (`usbip:HOST:PORT/BUSID`):
 * import the device, enumerate it as a host does (device and configuration descriptors,
 * SET_CONFIGURATION, each HID interface's report descriptor), pick the HID interface asked for
 * (FIDO by default), then write reports as interrupt OUT transfers and keep two interrupt IN
 * transfers waiting at the server, as a HID driver polls. Closing unlinks the waiting INs and
 * ends the connection, which frees the device for the next client.
 *
 * @example
 * ```ts
 * const t = await UsbIpHidTransport.open({ host: '10.0.0.5', port: 3240, busid: '1-1' });
 * const key = await CtapHidDevice.open(t);
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { parseConfiguration } from '../protocol/usb/configuration.js';
import { USB_CLASS, USB_DEVICE_DESCRIPTOR, USB_DT, USB_ENDPOINT_XFER, USB_REQ, endpointNumber, isInEndpoint } from '../protocol/usb/ch9.js';
import { HID_DESCRIPTOR, reportDescriptorUsage } from '../protocol/usb/hid.js';
import { ERRNO, USBIP_DIR, USBIP_PORT } from '../protocol/usbip/messages.js';
import { type HidOpenOptions, type HidRole, hidRoleOf } from './hid-role.js';
import { type HidTransport, HID_REPORT_SIZE } from './hid-transport.js';
import { ReportQueue, closedError, refuseWrite } from './report-queue.js';
import { type UrbResult, UsbIpClient } from './usbip-client.js';

export interface UsbIpTarget {
  host: string;
  /** Default 3240. */
  port?: number;
  busid: string;
}

export interface UsbIpHidTransportOptions extends HidOpenOptions {
  /** How long the import and enumeration may take; default 5000 ms. */
  timeoutMs?: number;
}

/** Interrupt IN transfers kept waiting at the server (two, so no report waits for a resubmit). */
const IN_FLIGHT = 2;

/** One HID interface found while enumerating. */
export interface UsbIpHidInterface {
  interfaceNumber: number;
  role: HidRole;
  usagePage: number | undefined;
  usage: number | undefined;
  inEndpoint: number;
  outEndpoint: number | undefined;
}

function check(r: UrbResult, what: string, spec: string): Uint8Array {
  if (r.status !== 0) throw new TokenrigError(ErrorCode.PROTOCOL, `${spec}: ${what} failed (status ${r.status}${r.status === -ERRNO.EPIPE ? ', stalled' : ''})`, { wireCode: r.status });
  return r.data;
}

/** Enumerate an imported device as a host does; returns its HID interfaces. */
export async function enumerateHidInterfaces(client: UsbIpClient): Promise<{ vendorId: number; productId: number; interfaces: UsbIpHidInterface[] }> {
  const spec = client.spec;
  const get = async (type: number, index: number, wIndex: number, length: number, recipientInterface = false): Promise<Uint8Array> =>
    check(await client.control({ bmRequestType: recipientInterface ? 0x81 : 0x80, bRequest: USB_REQ.GET_DESCRIPTOR, wValue: (type << 8) | index, wIndex, wLength: length }), `GET_DESCRIPTOR(${type})`, spec);
  const device = USB_DEVICE_DESCRIPTOR.decode(await get(USB_DT.DEVICE, 0, 0, USB_DEVICE_DESCRIPTOR.size));
  const head = await get(USB_DT.CONFIG, 0, 0, 9);
  const total = head[2]! | (head[3]! << 8);
  const config = parseConfiguration(await get(USB_DT.CONFIG, 0, 0, total));
  check(
    await client.control({ bmRequestType: 0x00, bRequest: USB_REQ.SET_CONFIGURATION, wValue: config.descriptor.bConfigurationValue, wIndex: 0, wLength: 0 }),
    'SET_CONFIGURATION',
    spec,
  );
  const interfaces: UsbIpHidInterface[] = [];
  for (const i of config.interfaces) {
    if (i.descriptor.bInterfaceClass !== USB_CLASS.HID || i.descriptor.bAlternateSetting !== 0) continue;
    const hid = i.classDescriptors.find((d) => d[1] === USB_DT.HID && d.length >= HID_DESCRIPTOR.size);
    const inEp = i.endpoints.find((e) => isInEndpoint(e.bEndpointAddress) && (e.bmAttributes & 3) === USB_ENDPOINT_XFER.INT);
    if (hid === undefined || inEp === undefined) continue;
    const outEp = i.endpoints.find((e) => !isInEndpoint(e.bEndpointAddress) && (e.bmAttributes & 3) === USB_ENDPOINT_XFER.INT);
    const rdLength = HID_DESCRIPTOR.decode(hid)['desc[0].wDescriptorLength'];
    const usage = reportDescriptorUsage(await get(USB_DT.REPORT, 0, i.descriptor.bInterfaceNumber, rdLength, true));
    interfaces.push({
      interfaceNumber: i.descriptor.bInterfaceNumber,
      role: hidRoleOf(usage?.usagePage, usage?.usage),
      usagePage: usage?.usagePage,
      usage: usage?.usage,
      inEndpoint: endpointNumber(inEp.bEndpointAddress),
      outEndpoint: outEp === undefined ? undefined : endpointNumber(outEp.bEndpointAddress),
    });
  }
  return { vendorId: device.idVendor, productId: device.idProduct, interfaces };
}

export class UsbIpHidTransport implements HidTransport {
  readonly spec: string;
  /** The interface in use. */
  readonly hidInterface: UsbIpHidInterface;
  readonly #client: UsbIpClient;
  readonly #queue: ReportQueue;
  readonly #inFlight = new Set<number>();
  #closing: Promise<void> | undefined;

  private constructor(client: UsbIpClient, hidInterface: UsbIpHidInterface) {
    this.#client = client;
    this.spec = client.spec;
    this.hidInterface = hidInterface;
    this.#queue = new ReportQueue(`HID transport ${this.spec}`);
  }

  /** Import and enumerate; NOT_FOUND when the device has no HID interface of the role asked for. */
  static async open(target: UsbIpTarget, options: UsbIpHidTransportOptions = {}): Promise<UsbIpHidTransport> {
    const client = await UsbIpClient.import(target.host, target.port ?? USBIP_PORT, target.busid, options.timeoutMs);
    try {
      const { interfaces } = await enumerateHidInterfaces(client);
      const usable = interfaces.filter((i) => i.outEndpoint !== undefined);
      const chosen = options.role !== undefined ? usable.find((i) => i.role === options.role) : (usable.find((i) => i.role === 'fido') ?? usable[0]);
      if (chosen === undefined) {
        throw new TokenrigError(
          ErrorCode.NOT_FOUND,
          `${client.spec} has no ${options.role ?? 'HID'} interface with input and output reports (it has: ${interfaces.map((i) => i.role).join(', ') || 'no HID interface'})`,
        );
      }
      const t = new UsbIpHidTransport(client, chosen);
      for (let i = 0; i < IN_FLIGHT; i++) t.#poll();
      return t;
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  #poll(): void {
    if (this.#queue.closed || this.#closing !== undefined) return;
    const { seqnum, result } = this.#client.submit({ ep: this.hidInterface.inEndpoint, direction: USBIP_DIR.IN, length: HID_REPORT_SIZE });
    this.#inFlight.add(seqnum);
    result.then(
      (r) => {
        this.#inFlight.delete(seqnum);
        if (r.status === 0) {
          if (r.data.length === HID_REPORT_SIZE) this.#queue.push(r.data);
          this.#poll();
        } else {
          // A stall or a shutdown: the interface is gone.
          this.#queue.close();
        }
      },
      () => {
        this.#inFlight.delete(seqnum);
        if (this.#client.closed) this.#queue.close();
      },
    );
  }

  write(report: Uint8Array): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError(`HID transport ${this.spec}`));
    const refused = refuseWrite(this.#queue, report, HID_REPORT_SIZE, `HID transport ${this.spec}`);
    if (refused !== undefined) return refused;
    const { result } = this.#client.submit({ ep: this.hidInterface.outEndpoint!, direction: USBIP_DIR.OUT, length: report.length, data: report.slice() });
    return result.then(
      (r) => {
        if (r.status !== 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed (status ${r.status})`, { wireCode: r.status });
      },
      (e: unknown) => {
        throw e instanceof TokenrigError ? e : new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed: ${(e as Error).message}`, { cause: e });
      },
    );
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  /** Unlink the waiting INs (as the kernel does on close), end the connection, then fail pending reads with CLOSED. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#inFlight].map((s) => Promise.race([this.#client.unlink(s), new Promise((r) => setTimeout(r, 500))])));
      await this.#client.close();
      this.#queue.close();
    })();
    return this.#closing;
  }
}
