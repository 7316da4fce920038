/**
 * CTAPHID wire constants, named as in the spec: FIDO Client to Authenticator Protocol v2.1,
 * §11.2 "USB Human Interface Device (USB HID)". Shared by the host driver and the device.
 */

/** Size of one HID report (packet) on the FIDO usage page. */
export const HID_PACKET_SIZE = 64;
/** Payload bytes in an initialization packet: 64 − CID(4) − CMD(1) − BCNT(2). */
export const INIT_DATA_SIZE = HID_PACKET_SIZE - 7;
/** Payload bytes in a continuation packet: 64 − CID(4) − SEQ(1). */
export const CONT_DATA_SIZE = HID_PACKET_SIZE - 5;
/** §11.2.4: 57 + 128 × 59 = 7609 bytes is the largest message a 64-byte report can carry. */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + 128 * CONT_DATA_SIZE;
/** The channel every INIT on a fresh device goes to. */
export const BROADCAST_CID = 0xffffffff;
/** The channel id 0 is reserved and never allocated. */
export const RESERVED_CID = 0;
/** Bit 7 of the command byte marks an initialization packet. */
export const TYPE_INIT = 0x80;

/** §11.2.9 command codes (without the 0x80 init bit). */
export const CTAPHID = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
  // SYNC (0x3c) was retired in CTAP 2.0.
} as const;
export type CtapHidCommand = (typeof CTAPHID)[keyof typeof CTAPHID];

/** §11.2.9.2: vendor-specific commands live in 0x40..0x7F. */
export const CTAPHID_VENDOR_FIRST = 0x40;
export const CTAPHID_VENDOR_LAST = 0x7f;

/** True when `cmd` (without the init bit) is in the vendor range. */
export function isVendorCommand(cmd: number): boolean {
  return cmd >= CTAPHID_VENDOR_FIRST && cmd <= CTAPHID_VENDOR_LAST;
}

/** §11.2.9.1.6 CTAPHID_ERROR codes. */
export const CTAPHID_ERR = {
  ERR_INVALID_CMD: 0x01,
  ERR_INVALID_PAR: 0x02,
  ERR_INVALID_LEN: 0x03,
  ERR_INVALID_SEQ: 0x04,
  ERR_MSG_TIMEOUT: 0x05,
  ERR_CHANNEL_BUSY: 0x06,
  ERR_LOCK_REQUIRED: 0x0a,
  ERR_INVALID_CHANNEL: 0x0b,
  ERR_OTHER: 0x7f,
} as const;
export type CtapHidErrorCode = (typeof CTAPHID_ERR)[keyof typeof CTAPHID_ERR];

/** Name of a CTAPHID error code, or `0xNN` for an unknown one (the code is never lost). */
export function ctapHidErrorName(code: number): string {
  for (const [name, value] of Object.entries(CTAPHID_ERR)) if (value === code) return name;
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** §11.2.9.1.3 CAPABILITIES flags in the INIT response. */
export const CAPABILITY = {
  WINK: 0x01,
  CBOR: 0x04,
  NMSG: 0x08,
} as const;

/** §11.2.9.1.5 KEEPALIVE status bytes. */
export const KEEPALIVE_STATUS = {
  PROCESSING: 1,
  UPNEEDED: 2,
} as const;

/** CTAPHID protocol version reported by INIT (§11.2.9.1.3). */
export const CTAPHID_PROTOCOL_VERSION = 2;
/** A partial message is dropped with ERR_MSG_TIMEOUT after this long (§11.2.5.3 suggests 500 ms). */
export const TRANSACTION_TIMEOUT_MS = 500;
/** Hosts expect a KEEPALIVE about every 100 ms while a request runs (§11.2.9.1.5). */
export const KEEPALIVE_INTERVAL_MS = 100;
