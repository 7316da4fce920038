/**
 * Read one code from a token by its device spec, whichever of its OTP interfaces the spec
 * names: the serial line protocol and the vendor HID interface answer a PRESS command; a boot
 * keyboard (a composite key's third interface, `endpoints.keyboard` of a `sim key` ready line)
 * only types the code when someone presses the button. A `udp:` spec may be either, and
 * nothing on the wire says which until one of them speaks, so both are tried at once: the
 * vendor interface's INIT (a keyboard endpoint drops a 64-byte report) and the keyboard's LED
 * report (a vendor endpoint drops a 1-byte one), and whichever answers first wins.
 *
 * @example
 * ```ts
 * const read = await readTokenCode('udp:127.0.0.1:8113', { timeoutMs: 30_000, onWaitingForPress: () => console.error('press the button') });
 * read.via;  // 'keyboard'
 * read.code; // '287082'
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import type { Identity } from '../protocol/otp/index.js';
import { parseDeviceSpec } from '../transports/device-spec.js';
import { hidRoleOf } from '../transports/hid-role.js';
import { BOOT_KEYBOARD_REPORT_SIZES, UdpHidTransport } from '../transports/udp-hid-transport.js';
import { type DriverOptions, HidOtpTokenDriver, KeyboardCodeReader, type OtpTokenDriver, openOtpTokenDriver } from './otp-token-driver.js';

export interface TokenCode {
  /** The interface that gave the code. */
  via: OtpTokenDriver['via'] | 'keyboard';
  code: string;
  /** The token's identity; absent for a keyboard, which has no way to tell it. */
  identity?: Identity;
}

export interface TokenCodeOptions extends DriverOptions {
  /**
   * Called once when no command interface has answered for a moment and the spec may be a
   * keyboard: the code comes only when someone presses the token's button (say so).
   */
  onWaitingForPress?: () => void;
}

/** How long a vendor interface may stay silent before the wait is announced as one for a press. */
const PRESS_NOTICE_MS = 300;

/**
 * Identify the token and press its button (serial, vendor HID), or wait within `timeoutMs` for
 * the code its keyboard types (`udp:` specs, raced as the module header says). Rejects with
 * TIMEOUT when nothing answered and nothing was typed in time.
 */
export async function readTokenCode(spec: string, options: TokenCodeOptions = {}): Promise<TokenCode> {
  const parsed = parseDeviceSpec(spec);
  if (parsed.kind === 'udp') return readOverUdp(parsed, options);
  if (parsed.kind === 'hid' && 'path' in parsed && (await hidRoleOfPath(parsed.path)) === 'keyboard') return readFromHidKeyboard(parsed.path, options);
  const driver = await openOtpTokenDriver(spec, options);
  try {
    const identity = await driver.identify().catch((e: unknown) => {
      if (isTimeout(e)) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no OTP token answered within ${options.timeoutMs ?? 2000} ms`, { cause: e });
      throw e;
    });
    return { via: driver.via, identity, code: await driver.press() };
  } finally {
    await driver.close();
  }
}

type Outcome = ({ via: 'vendor-hid'; identity: Identity } | { via: 'keyboard'; code: string } | { failed: unknown }) & { from: 'vendor' | 'keyboard' };

async function readOverUdp(target: { host: string; port: number }, options: TokenCodeOptions): Promise<TokenCode> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const vendor = new HidOtpTokenDriver(await UdpHidTransport.open(target), options);
  let keyboard: UdpHidTransport;
  try {
    keyboard = await UdpHidTransport.open({ ...target, reportSizes: BOOT_KEYBOARD_REPORT_SIZES });
  } catch (e) {
    await vendor.close();
    throw e;
  }
  const notice = setTimeout(() => options.onWaitingForPress?.(), Math.min(PRESS_NOTICE_MS, timeoutMs / 4));
  try {
    // HID 1.11 Appendix B.1: the LED output report (all off); the endpoint sends what the
    // keyboard types to the last host that wrote to it.
    await keyboard.write(new Uint8Array(BOOT_KEYBOARD_REPORT_SIZES.output));
    const identified = vendor.identify().then(
      (identity): Outcome => ({ from: 'vendor', via: 'vendor-hid', identity }),
      (failed: unknown): Outcome => ({ from: 'vendor', failed }),
    );
    const typed = new KeyboardCodeReader(keyboard).readCode(timeoutMs).then(
      (code): Outcome => ({ from: 'keyboard', via: 'keyboard', code }),
      (failed: unknown): Outcome => ({ from: 'keyboard', failed }),
    );
    let outcome = await Promise.race([identified, typed]);
    // One side timed out (a keyboard's port never answers INIT; a vendor interface never types):
    // the other may still answer within its own timeout.
    if ('failed' in outcome && isTimeout(outcome.failed)) {
      const other = await (outcome.from === 'vendor' ? typed : identified);
      if ('failed' in other && isTimeout(other.failed)) {
        throw new TokenrigError(ErrorCode.TIMEOUT, `udp:${target.host}:${target.port}: no OTP token answered and no code was typed within ${timeoutMs} ms`, { cause: other.failed });
      }
      outcome = other;
    }
    if ('failed' in outcome) throw outcome.failed;
    clearTimeout(notice);
    if (outcome.via === 'keyboard') return { via: 'keyboard', code: outcome.code };
    await keyboard.close();
    return { via: 'vendor-hid', identity: outcome.identity, code: await vendor.press() };
  } finally {
    clearTimeout(notice);
    await keyboard.close();
    await vendor.close();
  }
}

/** The role of the hidraw node at `path` from its usage page and usage (node-hid lists them), if it is listed. */
async function hidRoleOfPath(path: string): Promise<string | undefined> {
  const hid = await import('node-hid');
  const found = (await hid.devicesAsync()).find((d) => d.path === path);
  return found === undefined ? undefined : hidRoleOf(found.usagePage, found.usage);
}

/** A hidraw keyboard (a `--uhid` ready line's keyboard spec): every input report reaches every reader, no subscription. */
async function readFromHidKeyboard(path: string, options: TokenCodeOptions): Promise<TokenCode> {
  const { NodeHidTransport } = await import('../transports/node-hid-transport.js');
  const keyboard = await NodeHidTransport.open({ path, reportSizes: BOOT_KEYBOARD_REPORT_SIZES });
  try {
    options.onWaitingForPress?.();
    const timeoutMs = options.timeoutMs ?? 2000;
    const code = await new KeyboardCodeReader(keyboard).readCode(timeoutMs).catch((e: unknown) => {
      if (isTimeout(e)) throw new TokenrigError(ErrorCode.TIMEOUT, `hid:${path}: a keyboard interface, and no code was typed within ${timeoutMs} ms`, { cause: e });
      throw e;
    });
    return { via: 'keyboard', code };
  } finally {
    await keyboard.close();
  }
}

function isTimeout(e: unknown): boolean {
  return e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT;
}
