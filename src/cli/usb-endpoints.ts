/**
 * The USB endpoints of `tokenrig sim otp` and `tokenrig sim fido`: `--usbip[=PORT]` exports
 * the simulated device over USB/IP (loopback unless `--listen ADDR`), `--uhid` makes its HID
 * interfaces local hidraw devices through Linux /dev/uhid. Flag parsing and one call each;
 * the endpoints themselves live in firmware-sim/endpoints.
 */
import type { UhidEndpoint } from '../../firmware-sim/endpoints/uhid-endpoint.js';
import { UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import type { SimulatedUsbDevice } from '../../firmware-sim/usb/index.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { USBIP_PORT } from '../protocol/usbip/messages.js';
import { type OptionSpec, type ParsedArgs, flag, stringOpt } from './args.js';

export const USB_ENDPOINT_OPTIONS = {
  usbip: { type: 'string' },
  listen: { type: 'string' },
  uhid: { type: 'boolean' },
} as const satisfies OptionSpec;

export const USB_ENDPOINT_USAGE = `  --usbip[=PORT]          export the device over USB/IP (default port ${USBIP_PORT}; 0 = any free port), then
                          on Linux: sudo modprobe vhci-hcd; sudo usbip attach -r HOST -b 1-1 (docs/usb.md)
  --listen ADDR           the address --usbip binds (default 127.0.0.1; 0.0.0.0 shares the device on the network)
  --uhid                  make the HID interfaces local hidraw devices through Linux /dev/uhid`;

/** `--usbip` without a value means the default port (parseArgs wants a value: give it one). */
export function withUsbipDefault(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '--usbip' && (end < 0 || i < end) ? `--usbip=${USBIP_PORT}` : a));
}

export interface UsbEndpointRequest {
  usbip?: { host: string; port: number };
  uhid: boolean;
}

/** What the user asked for; BAD_INPUT for a malformed port or a --listen without --usbip. */
export function usbEndpointRequest(args: ParsedArgs): UsbEndpointRequest {
  const port = stringOpt(args, 'usbip');
  const listen = stringOpt(args, 'listen');
  if (listen !== undefined && port === undefined) throw badInput('--listen sets the address of --usbip: give --usbip too');
  if (listen !== undefined && !/^[0-9A-Za-z.:-]{1,253}$/.test(listen)) throw badInput(`--listen must be an address or host name, got ${JSON.stringify(listen)}`);
  const uhid = flag(args, 'uhid');
  if (port === undefined) return { uhid };
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw badInput(`--usbip takes a port 0..65535 (--usbip=${USBIP_PORT}), got ${JSON.stringify(port)}`);
  return { usbip: { host: listen ?? '127.0.0.1', port: Number(port) }, uhid };
}

export function wantsUsbEndpoints(r: UsbEndpointRequest): boolean {
  return r.usbip !== undefined || r.uhid;
}

export interface OpenedUsbEndpoints {
  /** `usbip:127.0.0.1:3240/1-1` */
  usbip?: string;
  /** The hidraw nodes (or, when sysfs does not say, the uhid devices' HID_PHYS). */
  uhid?: string[];
  close(): Promise<void>;
}

/** Open what `request` names: `usbDevice` for USB/IP, `uhid` for the uhid devices. */
export async function openUsbEndpoints(
  request: UsbEndpointRequest,
  make: { usbDevice(): SimulatedUsbDevice; uhid(): Promise<UhidEndpoint[]> },
  onEvent?: (e: Record<string, unknown>) => void,
): Promise<OpenedUsbEndpoints> {
  const closers: (() => Promise<void>)[] = [];
  const opened: OpenedUsbEndpoints = { close: async () => void (await Promise.all(closers.map((c) => c()))) };
  try {
    if (request.usbip !== undefined) {
      const { host, port } = request.usbip;
      let server: UsbIpServer;
      try {
        server = await UsbIpServer.listen([make.usbDevice()], { host, port, ...(onEvent === undefined ? {} : { onEvent }) });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw badInput(`cannot listen for USB/IP on ${host}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use (another usbipd or simulator? try --usbip=0)' : (e as Error).message}`);
      }
      closers.push(() => server.close());
      opened.usbip = server.specs[0]!;
    }
    if (request.uhid) {
      const devices = await make.uhid();
      closers.push(async () => void (await Promise.all(devices.map((d) => d.close()))));
      opened.uhid = devices.map((d) => d.hidraw ?? d.phys);
    }
  } catch (e) {
    await opened.close();
    if (e instanceof TokenrigError) throw e;
    throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot open the USB endpoints: ${(e as Error).message}`, { cause: e });
  }
  return opened;
}
