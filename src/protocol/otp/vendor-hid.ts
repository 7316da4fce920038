/**
 * The OTP token's vendor HID interface (docs/hid-otp-protocol.md): CTAPHID framing with
 * vendor commands in 0x40..0x7F (CTAP 2.1 §11.2.9.2). Every response starts with a status
 * byte; the rest is ASCII text.
 */

/** Vendor command numbers. */
export const OTP_HID_CMD = {
  /** → status, `manufacturer,model,serial,firmware` */
  IDENTIFY: 0x40,
  /** Press the button → status, the code now displayed. */
  PRESS: 0x41,
  /** Read the display without pressing → status, the code or nothing. */
  READ_DISPLAY: 0x42,
} as const;

/** First byte of every response. */
export const OTP_HID_STATUS = {
  OK: 0x00,
  /** READ_DISPLAY while the display is blank. */
  BLANK: 0x01,
  BATTERY_DEAD: 0x10,
  END_OF_LIFE: 0x11,
  STORAGE: 0x12,
} as const;

/** Name of a status byte, or `0xNN` for an unknown one. */
export function otpHidStatusName(status: number): string {
  for (const [name, value] of Object.entries(OTP_HID_STATUS)) if (value === status) return name;
  return `0x${status.toString(16).padStart(2, '0')}`;
}
