/**
 * `tokenrig code --device SPEC [--json]`: press a token's button and print the code, over the
 * serial line protocol (serial:, tcp:) or the vendor HID interface (udp:, hid:, usb:).
 */
import { openOtpTokenDriver } from '../../drivers/otp-token-driver.js';
import { ErrorCode, TokenrigError } from '../../errors.js';
import { type ParsedArgs, flag, intOpt, requireOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable } from '../command.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const spec = requireOpt(args, 'device');
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 2000;
  const driver = await openOtpTokenDriver(spec, { timeoutMs });
  try {
    const id = await driver.identify().catch((e: unknown) => {
      if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no OTP token answered within ${timeoutMs} ms (is it running, and is this its OTP interface?)`, { cause: e });
      // A CTAPHID device that does not know the OTP vendor commands: a FIDO interface.
      if (e instanceof TokenrigError && e.code === ErrorCode.DEVICE && e.wireCode === 0x01) {
        throw new TokenrigError(ErrorCode.UNSUPPORTED, `${spec}: not an OTP token's interface (it does not know the OTP vendor commands): use the ready line's otp or serial spec`, { cause: e });
      }
      throw e;
    });
    const code = await driver.press();
    if (flag(args, 'json')) printJson(io, { device: spec, via: driver.via, serial: id.serial, model: id.model, manufacturer: id.manufacturer, firmware: id.firmware, code });
    else printLine(io, code);
    return 0;
  } finally {
    await driver.close();
  }
}

export const commands: CommandTable = {
  '': {
    summary: "press a token's button and print the code it shows (first line: the code alone)",
    flags: {
      device: { type: 'string', value: 'SPEC', help: 'the token: serial:/dev/ttyACM0 or serial:/dev/pts/N, tcp:HOST:PORT (serial protocol);\nudp:HOST:PORT, hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID, usbip:HOST:PORT/BUSID (vendor HID interface);\nany spec a `tokenrig sim` ready line names' },
      timeout: { type: 'string', value: 'MS', help: 'how long to wait for each answer (default 2000)' },
    },
    examples: ['tokenrig code --device serial:/dev/pts/7', 'tokenrig code --device udp:127.0.0.1:8112 --json'],
    exits: {
      BAD_INPUT: ['--device', 'bogus'],
      NOT_FOUND: ['--device', 'serial:/dev/tokenrig-no-such-port'],
      TIMEOUT: ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'],
    },
    run,
  },
};
