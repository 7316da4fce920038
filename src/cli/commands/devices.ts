/**
 * `tokenrig devices [--usbip HOST[:PORT]] [--json]`: the HID devices and serial ports this
 * machine sees, as device specs, with what each HID interface is (FIDO, OTP vendor,
 * keyboard); with --usbip, what a USB/IP server exports instead. A local source that cannot
 * be read here (no hidraw access, no udevadm) is named in a note, not an error.
 */
import { discoverDevices, discoverUsbIpDevices } from '../../transports/discovery.js';
import { flag, parseCommandArgs, stringOpt } from '../args.js';
import { badInput } from '../../errors.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { usbip: { type: 'string' } });
  if (flag(args, 'help')) return printLine(io, 'usage: tokenrig devices [--usbip HOST[:PORT]] [--json]\n  --usbip HOST[:PORT]  list what a USB/IP server exports (port 3240 if left out), as usbip: device specs'), 0;
  const server = stringOpt(args, 'usbip');
  const { devices, notes } = server === undefined ? await discoverDevices() : { devices: await discoverUsbIpDevices(...usbipServer(server)), notes: [] };
  if (flag(args, 'json')) {
    printJson(io, { devices, notes });
    return 0;
  }
  if (devices.length === 0) printLine(io, server === undefined ? 'no HID devices or serial ports found' : `${server} exports no devices`);
  for (const d of devices) {
    const ids = d.vendorId === undefined ? '' : ` ${d.vendorId.toString(16).padStart(4, '0')}:${(d.productId ?? 0).toString(16).padStart(4, '0')}`;
    const what = [d.manufacturer, d.product].filter((x) => x !== undefined).join(' ');
    const roles = d.interfaces !== undefined ? ` [${d.interfaces.join(', ')}]` : d.role === undefined || d.role === 'other' ? '' : ` [${d.role}]`;
    printLine(io, `${d.spec}${ids}${roles}${what === '' ? '' : `  ${what}`}`);
  }
  for (const n of notes) io.stderr.write(`note: ${n}\n`);
  return 0;
}

/** `HOST`, `HOST:PORT` or `[V6]:PORT` of --usbip; BAD_INPUT otherwise. */
function usbipServer(text: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s/]+))(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? 3240 : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw badInput(`--usbip takes HOST or HOST:PORT, got ${JSON.stringify(text)}`);
  return [m[1] ?? m[2]!, port];
}
