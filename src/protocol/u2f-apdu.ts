/**
 * ISO/IEC 7816-4 command and response APDUs as FIDO U2F uses them (FIDO U2F Raw Message
 * Formats v1.2 §3; CTAP 2.1 §11.2.9.1.1 CTAPHID_MSG), short and extended length, with the
 * U2F instruction bytes and status words. Pure code shared by host and device.
 *
 * @example
 * ```ts
 * const apdu = encodeApdu({ cla: 0, ins: U2F_INS.VERSION, p1: 0, p2: 0, data: new Uint8Array(0), le: 65536 });
 * const { data, sw } = parseResponseApdu(reply);
 * ```
 */

/** U2F instruction bytes (U2F Raw Message Formats §4-§6). */
export const U2F_INS = {
  REGISTER: 0x01,
  AUTHENTICATE: 0x02,
  VERSION: 0x03,
} as const;

/** P1 of U2F_AUTHENTICATE (U2F Raw Message Formats §5.1). */
export const U2F_AUTH_P1 = {
  CHECK_ONLY: 0x07,
  ENFORCE_USER_PRESENCE_AND_SIGN: 0x03,
  DONT_ENFORCE_USER_PRESENCE_AND_SIGN: 0x08,
} as const;

/** Status words (ISO 7816-4 §5.1.3, U2F Raw Message Formats §3.3). */
export const SW = {
  NO_ERROR: 0x9000,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  WRONG_LENGTH: 0x6700,
  CLA_NOT_SUPPORTED: 0x6e00,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;

/** Name of a status word, or `0xNNNN` for one this table does not know. */
export function swName(sw: number): string {
  for (const [name, value] of Object.entries(SW)) if (value === sw) return `SW_${name}`;
  return `0x${sw.toString(16).padStart(4, '0')}`;
}

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length Ne: 0 for none, up to 256 (short) or 65536 (extended). */
  le: number;
}

function byteArg(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
}

/**
 * Encode a command APDU. Short form when the data fits 255 bytes and Ne ≤ 256, unless
 * `extended` is forced (U2F devices must accept extended length, §3.1; CTAPHID_MSG uses it).
 */
export function encodeApdu(apdu: CommandApdu, extended = false): Uint8Array {
  byteArg('cla', apdu.cla);
  byteArg('ins', apdu.ins);
  byteArg('p1', apdu.p1);
  byteArg('p2', apdu.p2);
  const nc = apdu.data.length;
  const ne = apdu.le;
  if (!Number.isInteger(ne) || ne < 0 || ne > 65536) throw new RangeError(`le must be 0..65536, got ${ne}`);
  if (nc > 65535) throw new RangeError(`data must be at most 65535 bytes, got ${nc}`);
  const useExtended = extended || nc > 255 || ne > 256;
  const parts: number[] = [apdu.cla, apdu.ins, apdu.p1, apdu.p2];
  if (!useExtended) {
    if (nc > 0) parts.push(nc);
    const head = Uint8Array.from(parts);
    const out = new Uint8Array(head.length + nc + (ne > 0 ? 1 : 0));
    out.set(head);
    out.set(apdu.data, head.length);
    if (ne > 0) out[out.length - 1] = ne === 256 ? 0 : ne;
    return out;
  }
  // ISO 7816-4 §5.1: extended Lc is 0x00 ‖ 2 bytes; extended Le is 2 bytes (3 when no Lc); 0 means 65536.
  if (nc > 0) parts.push(0, nc >> 8, nc & 0xff);
  const head = Uint8Array.from(parts);
  const leBytes = ne === 0 ? [] : nc > 0 ? [(ne >> 8) & 0xff, ne & 0xff] : [0, (ne >> 8) & 0xff, ne & 0xff];
  const out = new Uint8Array(head.length + nc + leBytes.length);
  out.set(head);
  out.set(apdu.data, head.length);
  out.set(leBytes, head.length + nc);
  return out;
}

/** Parse a command APDU in any of the four ISO cases, short or extended; RangeError on a bad one. */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4) throw new RangeError('APDU shorter than its 4-byte header');
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const body = bytes.subarray(4);
  const n = body.length;
  if (n === 0) return { cla, ins, p1, p2, data: new Uint8Array(0), le: 0 };
  if (body[0] !== 0 || n === 1) {
    // Short form.
    if (n === 1) return { cla, ins, p1, p2, data: new Uint8Array(0), le: body[0] === 0 ? 256 : body[0]! };
    const lc = body[0]!;
    if (n === 1 + lc) return { cla, ins, p1, p2, data: body.slice(1), le: 0 };
    if (n === 2 + lc) return { cla, ins, p1, p2, data: body.slice(1, 1 + lc), le: body[1 + lc] === 0 ? 256 : body[1 + lc]! };
    throw new RangeError('short APDU length does not match Lc');
  }
  // Extended form: body[0] === 0.
  if (n === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return { cla, ins, p1, p2, data: new Uint8Array(0), le: le === 0 ? 65536 : le };
  }
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) throw new RangeError('extended APDU with Lc = 0');
  if (n === 3 + lc) return { cla, ins, p1, p2, data: body.slice(3, 3 + lc), le: 0 };
  if (n === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return { cla, ins, p1, p2, data: body.slice(3, 3 + lc), le: le === 0 ? 65536 : le };
  }
  throw new RangeError('extended APDU length does not match Lc');
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

/** Split a response APDU into data and the trailing status word. */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new RangeError('response APDU shorter than its status word');
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

/** Build a response APDU: data ‖ SW1 ‖ SW2. */
export function encodeResponseApdu(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
