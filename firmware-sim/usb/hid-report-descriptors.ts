/**
 * The HID report descriptors of every simulated HID interface, written once here with the
 * item encoder of src/protocol/usb/hid.ts. The USB descriptors, the uhid endpoint and the
 * firmware modules all take them from this file.
 *
 * @example
 * ```ts
 * FIDO_REPORT_DESCRIPTOR;                    // 06 d0 f1 09 01 a1 01 ... c0 (34 bytes)
 * vendorReportDescriptor(0xff00, 0x01, 64);  // the OTP token's vendor interface
 * ```
 */
import {
  COLLECTION,
  MAIN_DATA,
  collection,
  endCollection,
  hidReportDescriptor,
  input,
  logicalMaximum,
  logicalMinimum,
  output,
  reportCount,
  reportSize,
  usage,
  usageMaximum,
  usageMinimum,
  usagePage,
} from '../../src/protocol/usb/hid.js';

/** The FIDO Alliance usage page and its CTAPHID usages (CTAP 2.1 §11.2.8.1). */
export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE_CTAPHID = 0x01;
const FIDO_USAGE_DATA_IN = 0x20;
const FIDO_USAGE_DATA_OUT = 0x21;

/**
 * A 64-byte input and a 64-byte output report on `page`/`use`, no report IDs: the layout of
 * CTAP 2.1 §11.2.8.1, which the OTP token's vendor interface shares (docs/hid-otp-protocol.md).
 */
export function vendorReportDescriptor(page: number, use: number, size = 64): Uint8Array {
  return hidReportDescriptor([
    usagePage(page),
    usage(use),
    collection(COLLECTION.APPLICATION),
    usage(FIDO_USAGE_DATA_IN),
    logicalMinimum(0),
    logicalMaximum(0xff),
    reportSize(8),
    reportCount(size),
    input(MAIN_DATA.DATA_VAR_ABS),
    usage(FIDO_USAGE_DATA_OUT),
    logicalMinimum(0),
    logicalMaximum(0xff),
    reportSize(8),
    reportCount(size),
    output(MAIN_DATA.DATA_VAR_ABS),
    endCollection(),
  ]);
}

/** CTAP 2.1 §11.2.8.1: usage page 0xF1D0, usage 0x01, 64-byte input and output reports. */
export const FIDO_REPORT_DESCRIPTOR = vendorReportDescriptor(FIDO_USAGE_PAGE, FIDO_USAGE_CTAPHID);

/** HID Usage Tables: Generic Desktop page, its Keyboard usage; the Keyboard/Keypad and LED pages. */
const GENERIC_DESKTOP = 0x01;
const USAGE_KEYBOARD = 0x06;
const KEYBOARD_PAGE = 0x07;
const LED_PAGE = 0x08;

/**
 * HID 1.11 Appendix B.1 (boot keyboard) in the form of its Appendix E.6 example: an 8-byte
 * input report (modifier bits, a reserved byte, six key codes) and a 1-byte output report
 * whose low five bits are the Num/Caps/Scroll Lock, Compose and Kana LEDs.
 */
export const BOOT_KEYBOARD_REPORT_DESCRIPTOR = hidReportDescriptor([
  usagePage(GENERIC_DESKTOP),
  usage(USAGE_KEYBOARD),
  collection(COLLECTION.APPLICATION),
  // Modifier byte: Left Control (0xE0) .. Right GUI (0xE7), one bit each.
  usagePage(KEYBOARD_PAGE),
  usageMinimum(0xe0),
  usageMaximum(0xe7),
  logicalMinimum(0),
  logicalMaximum(1),
  reportSize(1),
  reportCount(8),
  input(MAIN_DATA.DATA_VAR_ABS),
  // Reserved byte.
  reportCount(1),
  reportSize(8),
  input(MAIN_DATA.CONST_ARRAY_ABS),
  // LED output report: five LEDs, three bits of padding.
  reportCount(5),
  reportSize(1),
  usagePage(LED_PAGE),
  usageMinimum(1),
  usageMaximum(5),
  output(MAIN_DATA.DATA_VAR_ABS),
  reportCount(1),
  reportSize(3),
  output(MAIN_DATA.CONST_ARRAY_ABS),
  // Six key codes.
  reportCount(6),
  reportSize(8),
  logicalMinimum(0),
  logicalMaximum(0x65),
  usagePage(KEYBOARD_PAGE),
  usageMinimum(0),
  usageMaximum(0x65),
  input(MAIN_DATA.DATA_ARRAY_ABS),
  endCollection(),
]);

/** Bytes of a boot keyboard input report and of its LED output report. */
export const BOOT_KEYBOARD_INPUT_SIZE = 8;
export const BOOT_KEYBOARD_OUTPUT_SIZE = 1;
