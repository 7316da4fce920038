/**
 * `tokenrig devices [--usbip HOST[:PORT]] [--json]`: the HID devices and serial ports this
 * machine sees, as device specs, with what each HID interface is (FIDO, OTP vendor,
 * keyboard); with --usbip, what a USB/IP server exports instead. A local source that cannot
 * be read here (no hidraw access, no udevadm) is named in a note, not an error.
 */
import { badInput } from '../../errors.js';
import { USBIP_PORT } from '../../protocol/usbip/messages.js';
import { discoverDevices, discoverUsbIpDevices } from '../../transports/discovery.js';
import { type ParsedArgs, flag, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable } from '../command.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
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
  const port = m?.[3] === undefined ? USBIP_PORT : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw badInput(`--usbip takes HOST or HOST:PORT, got ${JSON.stringify(text)}`);
  return [m[1] ?? m[2]!, port];
}

export const commands: CommandTable = {
  '': {
    summary: 'list the HID devices and serial ports this machine sees, as device specs',
    flags: {
      usbip: { type: 'string', value: 'HOST[:PORT]', help: `list what a USB/IP server exports instead (port ${USBIP_PORT} when left out), each device\nas a usbip:HOST:PORT/BUSID spec that --device takes, with its interfaces` },
    },
    notes: ['Each HID interface says what it is ([fido], [otp], [keyboard]); a source that cannot be read here\n(no hidraw access, no udevadm) is named in a note on stderr, not an error.'],
    examples: ['tokenrig devices', 'tokenrig devices --json', 'tokenrig devices --usbip 10.0.0.5'],
    exits: { BAD_INPUT: ['--usbip', 'a:b:c'], NOT_FOUND: ['--usbip', '127.0.0.1:1'] },
    run,
  },
};
