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
import type { OtpTokenFirmware } from './otp-token-firmware.js';

/** HID Usage Tables §10: keyboard usages. '1'..'9' are 0x1E..0x26, '0' is 0x27. */
export const KEY_ENTER = 0x28;
export function digitUsage(digit: string): number {
  return digit === '0' ? 0x27 : 0x1e + (digit.charCodeAt(0) - 0x31);
}

/** HID 1.11 Appendix B.1: the boot keyboard report descriptor. */
export const BOOT_KEYBOARD_REPORT_DESCRIPTOR = Uint8Array.from([
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01,
  0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06,
  0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xc0,
]);

export const KEYBOARD_REPORT_SIZE = 8;

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

  constructor(token: OtpTokenFirmware) {
    token.onPress((result) => {
      for (const report of keyboardReportsFor(result.code)) this.#send?.(report);
    });
  }

  attach(send: (report: Uint8Array) => void): void {
    this.#send = send;
  }

  /** Output reports to a keyboard are LED states (Num/Caps Lock): nothing to do. */
  receive(): void {}
}
