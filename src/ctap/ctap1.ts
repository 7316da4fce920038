/**
 * CTAP1 / FIDO U2F over a CTAPHID device (FIDO U2F Raw Message Formats v1.2; CTAP 2.1 §11.2.9.1.1
 * CTAPHID_MSG). A U2F key answers SW_CONDITIONS_NOT_SATISFIED until it is touched, so register
 * and authenticate poll, as U2F hosts do.
 *
 * @example
 * ```ts
 * const u2f = new Ctap1(device);
 * const reg = await u2f.register(sha256(clientDataJSON), sha256(utf8('example.com')));
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CTAPHID } from '../protocol/ctaphid/index.js';
import { SW, U2F_AUTH_P1, U2F_INS, encodeApdu, parseResponseApdu, swName } from '../protocol/u2f-apdu.js';
import type { CtapHidDevice } from '../drivers/ctaphid-device.js';

export interface U2fRegistration {
  /** 65-byte uncompressed P-256 user public key. */
  publicKey: Uint8Array;
  keyHandle: Uint8Array;
  /** DER X.509 attestation certificate. */
  certificate: Uint8Array;
  /** DER ECDSA signature over 0x00 ‖ appParam ‖ clientParam ‖ keyHandle ‖ publicKey. */
  signature: Uint8Array;
}

export interface U2fSignature {
  userPresence: number;
  counter: number;
  signature: Uint8Array;
  /** The bytes as received: flags ‖ counter ‖ signature. */
  raw: Uint8Array;
}

export interface Ctap1Options {
  /** How long to keep asking for a touch; default 30 000 ms. */
  touchTimeoutMs?: number;
  /** Pause between polls; default 100 ms. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Length of a DER element starting at `offset` (tag, length, content). */
function derLength(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1];
  if (first === undefined) throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F registration: truncated certificate');
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 3) throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F registration: bad certificate length');
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | (bytes[offset + 2 + i] ?? 0);
  return 2 + n + len;
}

export class Ctap1 {
  readonly device: CtapHidDevice;
  readonly #o: Required<Ctap1Options>;

  constructor(device: CtapHidDevice, options: Ctap1Options = {}) {
    this.device = device;
    this.#o = {
      touchTimeoutMs: options.touchTimeoutMs ?? 30_000,
      pollMs: options.pollMs ?? 100,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      now: options.now ?? Date.now,
    };
  }

  /** Send one APDU; return the data or throw DEVICE with the SW as wireCode. */
  async send(ins: number, p1: number, data: Uint8Array): Promise<Uint8Array> {
    const { data: out, sw } = await this.#raw(ins, p1, data);
    if (sw !== SW.NO_ERROR) throw new TokenrigError(ErrorCode.DEVICE, `U2F: ${swName(sw)}`, { wireCode: sw });
    return out;
  }

  async #raw(ins: number, p1: number, data: Uint8Array): Promise<{ data: Uint8Array; sw: number }> {
    const reply = await this.device.call(CTAPHID.MSG, encodeApdu({ cla: 0, ins, p1, p2: 0, data, le: 65536 }, true));
    try {
      return parseResponseApdu(reply);
    } catch (e) {
      throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F reply shorter than a status word', { cause: e });
    }
  }

  async #untilTouched(ins: number, p1: number, data: Uint8Array): Promise<Uint8Array> {
    const deadline = this.#o.now() + this.#o.touchTimeoutMs;
    for (;;) {
      const { data: out, sw } = await this.#raw(ins, p1, data);
      if (sw === SW.NO_ERROR) return out;
      if (sw !== SW.CONDITIONS_NOT_SATISFIED) throw new TokenrigError(ErrorCode.DEVICE, `U2F: ${swName(sw)}`, { wireCode: sw });
      if (this.#o.now() >= deadline) throw new TokenrigError(ErrorCode.TIMEOUT, 'U2F: the key was not touched in time');
      await this.#o.sleep(this.#o.pollMs);
    }
  }

  /** U2F_VERSION: "U2F_V2" on every U2F key. */
  async getVersion(): Promise<string> {
    return new TextDecoder().decode(await this.send(U2F_INS.VERSION, 0, new Uint8Array(0)));
  }

  /** U2F_REGISTER (§4): clientParam and appParam are SHA-256 hashes. */
  async register(clientParam: Uint8Array, appParam: Uint8Array): Promise<U2fRegistration> {
    if (clientParam.length !== 32 || appParam.length !== 32) throw new RangeError('clientParam and appParam must be 32 bytes');
    const data = new Uint8Array(64);
    data.set(clientParam);
    data.set(appParam, 32);
    const r = await this.#untilTouched(U2F_INS.REGISTER, 0, data);
    // §4.3: 0x05 ‖ publicKey(65) ‖ L ‖ keyHandle(L) ‖ certificate(DER) ‖ signature(DER)
    if (r[0] !== 0x05 || r.length < 67) throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F registration: bad reserved byte or length');
    const publicKey = r.slice(1, 66);
    const l = r[66]!;
    const keyHandle = r.slice(67, 67 + l);
    const certStart = 67 + l;
    const certEnd = certStart + derLength(r, certStart);
    if (certEnd > r.length) throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F registration: truncated certificate');
    return { publicKey, keyHandle, certificate: r.slice(certStart, certEnd), signature: r.slice(certEnd) };
  }

  #authData(clientParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array): Uint8Array {
    if (keyHandle.length > 255) throw new RangeError('keyHandle must be at most 255 bytes');
    const data = new Uint8Array(65 + keyHandle.length);
    data.set(clientParam);
    data.set(appParam, 32);
    data[64] = keyHandle.length;
    data.set(keyHandle, 65);
    return data;
  }

  /** U2F_AUTHENTICATE check-only (§5.1): true when the key made `keyHandle` for `appParam`. */
  async knowsKeyHandle(appParam: Uint8Array, keyHandle: Uint8Array): Promise<boolean> {
    const { sw } = await this.#raw(U2F_INS.AUTHENTICATE, U2F_AUTH_P1.CHECK_ONLY, this.#authData(new Uint8Array(32), appParam, keyHandle));
    // "check-only" answers CONDITIONS_NOT_SATISFIED for a handle the key knows, WRONG_DATA otherwise.
    if (sw === SW.CONDITIONS_NOT_SATISFIED) return true;
    if (sw === SW.WRONG_DATA) return false;
    throw new TokenrigError(ErrorCode.DEVICE, `U2F check-only: ${swName(sw)}`, { wireCode: sw });
  }

  /** U2F_AUTHENTICATE (§5) with user presence enforced; polls until the key is touched. */
  async authenticate(clientParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array): Promise<U2fSignature> {
    const data = this.#authData(clientParam, appParam, keyHandle);
    const r = await this.#untilTouched(U2F_INS.AUTHENTICATE, U2F_AUTH_P1.ENFORCE_USER_PRESENCE_AND_SIGN, data);
    if (r.length < 6) throw new TokenrigError(ErrorCode.PROTOCOL, 'U2F authentication response too short');
    return { userPresence: r[0]!, counter: new DataView(r.buffer, r.byteOffset).getUint32(1), signature: r.slice(5), raw: r };
  }
}
