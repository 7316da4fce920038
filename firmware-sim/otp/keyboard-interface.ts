/**
 * The boot keyboard interface of a composite key: on every press of the token's button it
 * types the code and Enter, as 8-byte boot keyboard input reports (HID 1.11 Appendix B.1:
 * modifiers, reserved, six key codes), a key-down report then an all-up report per key.
 *
 * @example
 * ```ts
 * const kbd = new OtpKeyboardInterface(token);
 * kbd.attach((report) => reports.push(report)); // 14 reports for "123456" + Enter
 * token.press();
 * ```
 */
import type { SimulatedHidInterface } from '../hid-interface.js';
import { BOOT_KEYBOARD_INPUT_SIZE, BOOT_KEYBOARD_REPORT_DESCRIPTOR } from '../usb/hid-report-descriptors.js';
import type { OtpTokenFirmware } from './otp-token-firmware.js';

/** HID Usage Tables §10: keyboard usages. '1'..'9' are 0x1E..0x26, '0' is 0x27. */
export const KEY_ENTER = 0x28;
export function digitUsage(digit: string): number {
  return digit === '0' ? 0x27 : 0x1e + (digit.charCodeAt(0) - 0x31);
}

/** HID 1.11 Appendix B.1: the boot keyboard report descriptor (built in firmware-sim/usb). */
export { BOOT_KEYBOARD_REPORT_DESCRIPTOR };

export const KEYBOARD_REPORT_SIZE = BOOT_KEYBOARD_INPUT_SIZE;

/** The reports that type `text` (digits) and Enter. */
export function keyboardReportsFor(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const usage of [...[...text].map(digitUsage), KEY_ENTER]) {
    const down = new Uint8Array(KEYBOARD_REPORT_SIZE);
    down[2] = usage;
    out.push(down, new Uint8Array(KEYBOARD_REPORT_SIZE));
  }
  return out;
}

export class OtpKeyboardInterface implements SimulatedHidInterface {
  readonly reportDescriptor = BOOT_KEYBOARD_REPORT_DESCRIPTOR;
  /** HID 1.11 Appendix B.1: the boot keyboard's output report is one byte of LED states. */
  readonly outputReportSize = 1;
  #send: ((report: Uint8Array) => void) | undefined;
  /** The LED output report the host last set (bit 0 Num Lock, bit 1 Caps Lock, bit 2 Scroll Lock). */
  leds = 0;

  constructor(token: OtpTokenFirmware) {
    token.onPress((result) => {
      for (const report of keyboardReportsFor(result.code)) this.#send?.(report);
    });
  }

  attach(send: (report: Uint8Array) => void): void {
    this.#send = send;
  }

  /** Output reports to a keyboard are LED states (Num/Caps Lock): kept, nothing else to do. */
  receive(report: Uint8Array): void {
    this.leds = report[0] ?? 0;
  }
}
