/**
 * What a HID interface is, from the usage page and usage of its report descriptor: FIDO
 * (CTAP 2.1 §11.2.8.1: page 0xF1D0), a vendor interface such as the OTP token's (HID Usage
 * Tables §3: pages 0xFF00..0xFFFF), or a keyboard (Generic Desktop page, usage 6). Composite
 * devices have several HID interfaces under one VID:PID; a caller names the one it wants.
 *
 * @example
 * ```ts
 * hidRoleOf(0xf1d0, 1); // 'fido'
 * ```
 */
export type HidRole = 'fido' | 'otp-vendor' | 'keyboard' | 'other';

export function hidRoleOf(usagePage: number | undefined, usage: number | undefined): HidRole {
  if (usagePage === 0xf1d0) return 'fido';
  if (usagePage !== undefined && usagePage >= 0xff00) return 'otp-vendor';
  if (usagePage === 0x01 && usage === 0x06) return 'keyboard';
  return 'other';
}

/** Which interface of a composite device a HID transport should open. */
export interface HidOpenOptions {
  /** Open the interface of this role; default: a FIDO one, else the first with input and output reports. */
  role?: Exclude<HidRole, 'other'>;
}
