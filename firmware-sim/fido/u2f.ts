/**
 * U2F (CTAP1) over CTAPHID_MSG: VERSION, REGISTER and AUTHENTICATE (FIDO U2F Raw Message
 * Formats v1.2). Key handles are the same self-contained credential IDs CTAP2 uses, so a
 * U2F registration also answers CTAP2 getAssertion for the same application parameter.
 * APDUs in short or extended length encoding (ISO 7816-4 §5.1) are accepted.
 */
import type { CtapHidContext } from '../ctaphid/index.js';
import { unwrapCredential, wrapCredential } from './credential-id.js';
import { type Es256Key, generateEs256, importEs256, signEs256, uncompressedPoint } from './es256.js';

export interface U2fDevice {
  masterKey(): Uint8Array;
  attestationKey(): Es256Key;
  attestationCert(): Uint8Array;
  random(n: number): Uint8Array;
  nextCounter(id: Uint8Array): number;
  touch(ctx: CtapHidContext): Promise<boolean>;
  emit(e: { event: string; [k: string]: unknown }): void;
}

/** ISO 7816 status words U2F uses. */
export const SW = {
  NO_ERROR: 0x9000,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  WRONG_LENGTH: 0x6700,
  CLA_NOT_SUPPORTED: 0x6e00,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;

const U2F_INS = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;
const AUTH_CHECK_ONLY = 0x07;
const AUTH_ENFORCE = 0x03;
const AUTH_DONT_ENFORCE = 0x08;

interface Apdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/** Parse a command APDU; undefined when its length fields do not add up. */
function parseApdu(b: Uint8Array): Apdu | undefined {
  if (b.length < 4) return undefined;
  const head = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]! };
  if (b.length === 4) return { ...head, data: new Uint8Array(0) };
  if (b[4] === 0 && b.length >= 7) {
    // Extended: 00 Lc1 Lc2 data [Le1 Le2], or 00 Le1 Le2 with no data.
    const lc = (b[5]! << 8) | b[6]!;
    if (b.length === 7) return { ...head, data: new Uint8Array(0) };
    if (b.length === 7 + lc || b.length === 9 + lc) return { ...head, data: b.subarray(7, 7 + lc) };
    return undefined;
  }
  const lc = b[4]!;
  if (b.length === 5) return { ...head, data: new Uint8Array(0) };
  if (b.length === 5 + lc || b.length === 6 + lc) return { ...head, data: b.subarray(5, 5 + lc) };
  return undefined;
}

function sw(code: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  out[body.length] = code >> 8;
  out[body.length + 1] = code & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Serve one U2F request APDU; returns response data ‖ SW1 SW2. */
export async function handleU2fApdu(device: U2fDevice, message: Uint8Array, ctx: CtapHidContext): Promise<Uint8Array> {
  const apdu = parseApdu(message);
  if (apdu === undefined) return sw(SW.WRONG_LENGTH);
  if (apdu.cla !== 0) return sw(SW.CLA_NOT_SUPPORTED);
  switch (apdu.ins) {
    case U2F_INS.VERSION:
      if (apdu.data.length !== 0) return sw(SW.WRONG_LENGTH);
      return sw(SW.NO_ERROR, new TextEncoder().encode('U2F_V2'));
    case U2F_INS.REGISTER:
      return register(device, apdu, ctx);
    case U2F_INS.AUTHENTICATE:
      return authenticate(device, apdu, ctx);
    default:
      return sw(SW.INS_NOT_SUPPORTED);
  }
}

async function register(device: U2fDevice, apdu: Apdu, ctx: CtapHidContext): Promise<Uint8Array> {
  if (apdu.data.length !== 64) return sw(SW.WRONG_LENGTH);
  const challenge = apdu.data.subarray(0, 32);
  const application = apdu.data.subarray(32, 64);
  if (!(await device.touch(ctx))) return sw(SW.CONDITIONS_NOT_SATISFIED);
  const key = await generateEs256({ bytes: (n) => device.random(n) });
  const handle = wrapCredential(device.masterKey(), application, key.d, device.random(12));
  const publicKey = uncompressedPoint(key);
  // U2F raw formats §4.3: sign 0x00 ‖ application ‖ challenge ‖ key handle ‖ public key.
  const signature = await signEs256(device.attestationKey(), concat(Uint8Array.of(0), application, challenge, handle, publicKey));
  device.emit({ event: 'u2f_registered' });
  return sw(SW.NO_ERROR, concat(Uint8Array.of(0x05), publicKey, Uint8Array.of(handle.length), handle, device.attestationCert(), signature));
}

async function authenticate(device: U2fDevice, apdu: Apdu, ctx: CtapHidContext): Promise<Uint8Array> {
  const d = apdu.data;
  if (d.length < 65 || d.length !== 65 + d[64]!) return sw(SW.WRONG_LENGTH);
  const challenge = d.subarray(0, 32);
  const application = d.subarray(32, 64);
  const handle = d.subarray(65);
  const privateKey = unwrapCredential(device.masterKey(), application, handle);
  if (privateKey === undefined) return sw(SW.WRONG_DATA);
  if (apdu.p1 === AUTH_CHECK_ONLY) return sw(SW.CONDITIONS_NOT_SATISFIED); // "the key handle is ours"
  if (apdu.p1 !== AUTH_ENFORCE && apdu.p1 !== AUTH_DONT_ENFORCE) return sw(SW.WRONG_DATA);
  let flags = 0;
  if (apdu.p1 === AUTH_ENFORCE) {
    if (!(await device.touch(ctx))) return sw(SW.CONDITIONS_NOT_SATISFIED);
    flags = 0x01;
  }
  const counter = device.nextCounter(handle);
  const counterBytes = Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff);
  const key = await importEs256(privateKey);
  const signature = await signEs256(key, concat(application, Uint8Array.of(flags), counterBytes, challenge));
  device.emit({ event: 'u2f_authenticated', counter });
  return sw(SW.NO_ERROR, concat(Uint8Array.of(flags), counterBytes, signature));
}
