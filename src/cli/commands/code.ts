/**
 * `tokenrig code --device SPEC [--json]`: press a token's button and print the code, over the
 * serial line protocol (serial:, tcp:) or the vendor HID interface (udp:, hid:, usb:), or wait
 * for the code a composite key's keyboard interface types when its button is pressed (udp:).
 */
import { readTokenCode } from '../../drivers/token-code.js';
import { ErrorCode, TokenrigError } from '../../errors.js';
import { type ParsedArgs, flag, intOpt, requireOpt } from '../args.js';
import { type CliIo, printEvent, printJson, printLine } from '../cli-io.js';
import type { CommandTable } from '../command.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const spec = requireOpt(args, 'device');
  const json = flag(args, 'json');
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 2000;
  const onWaitingForPress = (): void => {
    const what = `${spec}: no OTP vendor interface answered yet; if this is a keyboard interface, press the token's button within ${timeoutMs} ms`;
    // For a person at a terminal, or a script reading --json events; a failing command's stderr
    // otherwise stays its one error line.
    if (json) printEvent({ ...io, stdout: io.stderr }, { event: 'waiting_for_press', device: spec, timeoutMs });
    else if ((io.stderr as { isTTY?: boolean }).isTTY === true) io.stderr.write(`${what}\n`);
  };
  const read = await readTokenCode(spec, { timeoutMs, onWaitingForPress }).catch((e: unknown) => {
    if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${e.message} (is it running, and is this its OTP interface?)`, { cause: e });
    // A CTAPHID device that does not know the OTP vendor commands: a FIDO interface.
    if (e instanceof TokenrigError && e.code === ErrorCode.DEVICE && e.wireCode === 0x01) {
      throw new TokenrigError(ErrorCode.UNSUPPORTED, `${spec}: not an OTP token's interface (it does not know the OTP vendor commands): use the ready line's otp, keyboard or serial spec`, { cause: e });
    }
    throw e;
  });
  if (json) {
    const id = read.identity;
    printJson(io, { device: spec, via: read.via, ...(id === undefined ? {} : { serial: id.serial, model: id.model, manufacturer: id.manufacturer, firmware: id.firmware }), code: read.code });
  } else printLine(io, read.code);
  return 0;
}

export const commands: CommandTable = {
  '': {
    summary: "press a token's button and print the code it shows (first line: the code alone)",
    notes: ["A keyboard interface (a ready line's keyboard spec) cannot be pressed from the host: the code comes when\nsomeone presses the token's button (a `sim` process: Enter on its stdin or Space in its live view; the rig:\nits press API). After a moment without an answer, a terminal's stderr says so (--json: a waiting_for_press event),\nand `code` waits until --timeout; give it time, e.g. --timeout 30000."],
    flags: {
      device: { type: 'string', value: 'SPEC', help: 'the token: serial:/dev/ttyACM0 or serial:/dev/pts/N, tcp:HOST:PORT (serial protocol);\nudp:HOST:PORT, hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID, usbip:HOST:PORT/BUSID (vendor HID interface);\nudp:HOST:PORT or hid:/dev/hidrawN of a keyboard interface (waits for the code typed on a press);\nany spec a `tokenrig sim` ready line names' },
      timeout: { type: 'string', value: 'MS', help: 'how long to wait for each answer, or for a keyboard\'s typed code (default 2000)' },
    },
    examples: ['tokenrig code --device serial:/dev/pts/7', 'tokenrig code --device udp:127.0.0.1:8112 --json', 'tokenrig code --device udp:127.0.0.1:8113 --timeout 30000'],
    exits: {
      BAD_INPUT: ['--device', 'bogus'],
      NOT_FOUND: ['--device', 'serial:/dev/tokenrig-no-such-port'],
      TIMEOUT: ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'],
    },
    run,
  },
};
