/**
 * The USB endpoint flags of `tokenrig sim otp|fido|key` as the command table parses them:
 * `--usbip` alone is the USB/IP port, `--usbip=PORT` another, and the flags become the
 * endpoint options of tokenrig/sim (with the refusals a user can meet, before anything starts).
 */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/command.js';
import { command as simFido } from '../../src/cli/commands/sim-fido.js';
import { command as simOtp, endpointOptions, listenOption } from '../../src/cli/commands/sim-otp.js';
import { TokenrigError } from '../../src/errors.js';

const otp = (...argv: string[]) => parseCommand('sim otp', simOtp, argv);

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenrigError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('--usbip[=PORT], --listen, --uhid', () => {
  it('--usbip alone is port 3240; --usbip=PORT another; a bare value after it is not taken as the port', () => {
    expect(endpointOptions(otp('--usbip'), { serialPort: 'pty' })).toEqual({ usbip: 3240 });
    expect(endpointOptions(otp('--usbip=0'), { serialPort: 'pty' })).toEqual({ usbip: 0 });
    expect(endpointOptions(parseCommand('sim fido', simFido, ['--usbip=3241', '--json']), { hid: 'udp' })).toEqual({ usbip: 3241 });
    expect(message(() => otp('--usbip', '3241'))).toBe('tokenrig sim otp: unexpected argument "3241" (see tokenrig sim otp --help)');
  });

  it('with no endpoint flag the command default applies; --uhid and the serial port combine', () => {
    expect(endpointOptions(otp(), { serialPort: 'pty' })).toEqual({ serialPort: 'pty' });
    expect(endpointOptions(otp('--uhid', '--serial-port', 'pty'), { serialPort: 'pty' })).toEqual({ serialPort: 'pty', uhid: true });
  });

  it('refuses a bad port, two hosts for the HID interfaces, a serial port beside USB/IP, and a --listen nothing uses', () => {
    expect(message(() => endpointOptions(otp('--usbip=70000'), {}))).toBe('--usbip takes a TCP port 0..65535 (--usbip=3240), got "70000"');
    expect(message(() => endpointOptions(otp('--usbip=x'), {}))).toBe('--usbip takes a TCP port 0..65535 (--usbip=3240), got "x"');
    expect(message(() => endpointOptions(otp('--uhid', '--hid', 'udp:0'), {}))).toMatch(/^give one of --hid, --usbip, --uhid: .* \(got --hid and --uhid\)$/);
    expect(message(() => endpointOptions(otp('--usbip', '--serial-port', 'pty'), {}))).toMatch(/^give --serial-port or --usbip, not both/);
    const uhidOnly = otp('--uhid', '--listen', '0.0.0.0');
    expect(message(() => listenOption(uhidOnly, endpointOptions(uhidOnly, {})))).toMatch(/^--listen sets the address of --usbip, --hid or --serial-port tcp:PORT/);
    const usbip = otp('--usbip=0', '--listen', '0.0.0.0');
    expect(listenOption(usbip, endpointOptions(usbip, {}))).toEqual({ host: '0.0.0.0' });
    expect(message(() => listenOption(otp('--usbip', '--listen', 'a b'), { usbip: 3240 }))).toBe('--listen must be an address or host name, got "a b"');
  });
});
