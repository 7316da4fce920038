/**
 * `tokenrig devices [--json]`: the HID devices and serial ports this machine sees, as device
 * specs, with what each HID interface is (FIDO, OTP vendor, keyboard). A source that cannot be
 * read here (no hidraw access, no udevadm) is named in a note, not an error.
 */
import { discoverDevices } from '../../transports/discovery.js';
import { type ParsedArgs, flag } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable } from '../command.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const { devices, notes } = await discoverDevices();
  if (flag(args, 'json')) {
    printJson(io, { devices, notes });
    return 0;
  }
  if (devices.length === 0) printLine(io, 'no HID devices or serial ports found');
  for (const d of devices) {
    const ids = d.vendorId === undefined ? '' : ` ${d.vendorId.toString(16).padStart(4, '0')}:${(d.productId ?? 0).toString(16).padStart(4, '0')}`;
    const what = [d.manufacturer, d.product].filter((x) => x !== undefined).join(' ');
    printLine(io, `${d.spec}${ids}${d.role === undefined || d.role === 'other' ? '' : ` [${d.role}]`}${what === '' ? '' : `  ${what}`}`);
  }
  for (const n of notes) io.stderr.write(`note: ${n}\n`);
  return 0;
}

export const commands: CommandTable = {
  '': {
    summary: 'list the HID devices and serial ports this machine sees, as device specs',
    flags: {},
    notes: ['Each HID interface says what it is ([fido], [otp], [keyboard]); a source that cannot be read here\n(no hidraw access, no udevadm) is named in a note on stderr, not an error.'],
    examples: ['tokenrig devices', 'tokenrig devices --json'],
    exits: { BAD_INPUT: ['--bogus'] },
    run,
  },
};
