/**
 * `tokenrig code --device SPEC [--json]`: press a token's button and print the code, over the
 * serial line protocol (serial:, tcp:) or the vendor HID interface (udp:, hid:, usb:).
 */
import { openOtpTokenDriver } from '../../drivers/otp-token-driver.js';
import { flag, intOpt, parseCommandArgs, requireOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

const USAGE = `usage: tokenrig code --device SPEC [--timeout MS] [--json]
  SPEC: serial:/dev/pts/N, tcp:127.0.0.1:PORT, udp:127.0.0.1:PORT, hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID,
        usbip:HOST:PORT/BUSID`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { device: { type: 'string' }, timeout: { type: 'string' } });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const spec = requireOpt(args, 'device');
  const driver = await openOtpTokenDriver(spec, { timeoutMs: intOpt(args, 'timeout', 1, 600_000) ?? 2000 });
  try {
    const id = await driver.identify();
    const code = await driver.press();
    if (flag(args, 'json')) printJson(io, { device: spec, via: driver.via, serial: id.serial, model: id.model, manufacturer: id.manufacturer, firmware: id.firmware, code });
    else printLine(io, code);
    return 0;
  } finally {
    await driver.close();
  }
}
