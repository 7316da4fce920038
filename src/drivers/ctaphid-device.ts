/**
 * A CTAPHID device over any HidTransport (CTAP 2.1 §11.2): channel allocation with INIT,
 * message framing, KEEPALIVE, CANCEL on abort, CHANNEL_BUSY retry with backoff, timeouts.
 * Knows nothing of CTAP1/CTAP2; `Ctap1` and `Ctap2` call it with CTAPHID_MSG / CTAPHID_CBOR.
 *
 * @example
 * ```ts
 * const device = await CtapHidDevice.open(await openHidTransport('udp:127.0.0.1:8111'));
 * const echo = await device.call(CTAPHID.PING, new Uint8Array([1, 2, 3]));
 * await device.close();
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import {
  BROADCAST_CID,
  CAPABILITY,
  CTAPHID,
  CTAPHID_ERR,
  CtapHidAssembler,
  ctapHidErrorName,
  isInitPacket,
  packetCid,
  splitMessage,
} from '../protocol/ctaphid/index.js';
import type { HidTransport } from '../transports/hid-transport.js';

export interface CtapHidDeviceOptions {
  /** Random bytes for the INIT nonce; default WebCrypto getRandomValues. */
  randomBytes?: (n: number) => Uint8Array;
  /** Overall time a call may take, including waiting for a touch; default 35 000 ms. */
  timeoutMs?: number;
  /** How often a CHANNEL_BUSY answer is retried; default 10. */
  busyRetries?: number;
  /** First backoff after CHANNEL_BUSY, doubled each time up to 1 s; default 20 ms. */
  busyBackoffMs?: number;
  /** Waits `ms`; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds now; injectable for tests. */
  now?: () => number;
}

export interface CallOptions {
  /** Called with each KEEPALIVE status (1 = PROCESSING, 2 = UPNEEDED). */
  onKeepalive?: (status: number) => void;
  /** Abort sends CTAPHID_CANCEL; the device then answers (CTAP2_ERR_KEEPALIVE_CANCEL). */
  signal?: AbortSignal;
  /** Overrides the device's timeoutMs for this call. */
  timeoutMs?: number;
}

/** What INIT told us (§11.2.9.1.3). */
export interface CtapHidDeviceInfo {
  cid: number;
  protocolVersion: number;
  deviceVersion: [number, number, number];
  capabilities: number;
  wink: boolean;
  cbor: boolean;
  /** False when the device implements no CTAPHID_MSG (no U2F). */
  msg: boolean;
}

const defaultRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CtapHidDevice {
  readonly transport: HidTransport;
  readonly #options: Required<CtapHidDeviceOptions>;
  #info: CtapHidDeviceInfo | undefined;
  /** CTAPHID is one transaction at a time per channel: calls queue behind this. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(transport: HidTransport, options: CtapHidDeviceOptions) {
    this.transport = transport;
    this.#options = {
      randomBytes: options.randomBytes ?? defaultRandom,
      timeoutMs: options.timeoutMs ?? 35_000,
      busyRetries: options.busyRetries ?? 10,
      busyBackoffMs: options.busyBackoffMs ?? 20,
      sleep: options.sleep ?? defaultSleep,
      now: options.now ?? Date.now,
    };
  }

  /** INIT on the broadcast channel with a fresh 8-byte nonce; checks the echoed nonce. */
  static async open(transport: HidTransport, options: CtapHidDeviceOptions = {}): Promise<CtapHidDevice> {
    const device = new CtapHidDevice(transport, options);
    try {
      await device.init();
    } catch (e) {
      // Nothing answered (or not as a CTAPHID device): the transport is not left open.
      await transport.close();
      throw e;
    }
    return device;
  }

  get info(): CtapHidDeviceInfo {
    if (this.#info === undefined) throw new TokenrigError(ErrorCode.CLOSED, 'CTAPHID device is not initialised');
    return this.#info;
  }

  /** (Re)allocate a channel. */
  async init(): Promise<CtapHidDeviceInfo> {
    const nonce = this.#options.randomBytes(8);
    if (nonce.length !== 8) throw new RangeError('randomBytes(8) must return 8 bytes');
    const data = await this.#transact(BROADCAST_CID, CTAPHID.INIT, nonce, {}, (m) => m.data.length >= 8 && equal(m.data.subarray(0, 8), nonce));
    if (data.length < 17) throw new TokenrigError(ErrorCode.PROTOCOL, `INIT response of ${data.length} bytes, expected 17`);
    const view = new DataView(data.buffer, data.byteOffset, data.length);
    const cid = view.getUint32(8);
    if (cid === 0 || cid === BROADCAST_CID) throw new TokenrigError(ErrorCode.PROTOCOL, `INIT allocated reserved channel 0x${cid.toString(16)}`);
    const caps = data[16]!;
    this.#info = {
      cid,
      protocolVersion: data[12]!,
      deviceVersion: [data[13]!, data[14]!, data[15]!],
      capabilities: caps,
      wink: (caps & CAPABILITY.WINK) !== 0,
      cbor: (caps & CAPABILITY.CBOR) !== 0,
      msg: (caps & CAPABILITY.NMSG) === 0,
    };
    return this.#info;
  }

  /**
   * Send one message and return the reply's data. Throws TokenrigError DEVICE (wireCode =
   * CTAPHID error code) on CTAPHID_ERROR, TIMEOUT when nothing useful arrives in time.
   */
  async call(cmd: number, data: Uint8Array = new Uint8Array(0), options: CallOptions = {}): Promise<Uint8Array> {
    return this.#transact(this.info.cid, cmd, data, options);
  }

  /** CTAPHID_PING: the device echoes `data`. */
  ping(data: Uint8Array): Promise<Uint8Array> {
    return this.call(CTAPHID.PING, data);
  }

  /** CTAPHID_WINK, when the device has the capability. */
  async wink(): Promise<void> {
    if (!this.info.wink) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'device does not support WINK');
    await this.call(CTAPHID.WINK);
  }

  /** CTAPHID_CANCEL on our channel (no reply is expected). */
  async cancel(): Promise<void> {
    for (const p of splitMessage(this.info.cid, CTAPHID.CANCEL, new Uint8Array(0))) await this.transport.write(p);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  async #transact(
    cid: number,
    cmd: number,
    data: Uint8Array,
    options: CallOptions,
    accept: (m: { cmd: number; data: Uint8Array }) => boolean = () => true,
  ): Promise<Uint8Array> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      if (options.signal?.aborted) throw new TokenrigError(ErrorCode.REJECTED, 'call aborted before it started');
      const { now, sleep } = this.#options;
      const deadline = now() + (options.timeoutMs ?? this.#options.timeoutMs);
      let backoff = this.#options.busyBackoffMs;
      for (let attempt = 0; ; attempt++) {
        // Hand over every report at once: the transport keeps them in call order and decides
        // whether one waits for the previous (UDP does not; see hid-transport.ts).
        await Promise.all(splitMessage(cid, cmd, data).map((p) => this.transport.write(p)));
        const reply = await this.#receive(cid, cmd, deadline, options, accept);
        if (reply.cmd === CTAPHID.ERROR) {
          const code = reply.data[0] ?? CTAPHID_ERR.ERR_OTHER;
          if (code === CTAPHID_ERR.ERR_CHANNEL_BUSY && attempt < this.#options.busyRetries && now() + backoff < deadline) {
            await sleep(backoff);
            backoff = Math.min(backoff * 2, 1000);
            continue;
          }
          throw new TokenrigError(ErrorCode.DEVICE, `CTAPHID error ${ctapHidErrorName(code)}`, { wireCode: code });
        }
        if (reply.cmd !== cmd) throw new TokenrigError(ErrorCode.PROTOCOL, `reply command 0x${reply.cmd.toString(16)} to command 0x${cmd.toString(16)}`);
        return reply.data;
      }
    } finally {
      release();
    }
  }

  async #receive(
    cid: number,
    cmd: number,
    deadline: number,
    options: CallOptions,
    accept: (m: { cmd: number; data: Uint8Array }) => boolean,
  ): Promise<{ cmd: number; data: Uint8Array }> {
    const asm = new CtapHidAssembler();
    let cancelled = false;
    const onAbort = (): void => {
      if (cancelled) return;
      cancelled = true;
      // §11.2.9.1.4: CANCEL needs no reply; the pending request answers with KEEPALIVE_CANCEL.
      void Promise.all(splitMessage(cid, CTAPHID.CANCEL, new Uint8Array(0)).map((p) => this.transport.write(p))).catch(() => {});
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while the request was being written: the listener came too late, cancel now.
    if (options.signal?.aborted === true) onAbort();
    try {
      for (;;) {
        const left = deadline - this.#options.now();
        if (left <= 0) throw new TokenrigError(ErrorCode.TIMEOUT, `no reply to CTAPHID command 0x${cmd.toString(16)} in time`);
        const packet = await this.transport.read(left);
        // Packets of other channels belong to other hosts: ignore them (§11.2.4).
        if (packetCid(packet) !== cid) continue;
        if (!isInitPacket(packet) && asm.busyCid === undefined) continue;
        const r = asm.push(packet);
        if (r.kind === 'pending' || r.kind === 'ignored') continue;
        if (r.kind === 'error') throw new TokenrigError(ErrorCode.PROTOCOL, `bad CTAPHID framing from the device: ${r.reason}`, { wireCode: r.code });
        if (r.cmd === CTAPHID.KEEPALIVE) {
          options.onKeepalive?.(r.data[0] ?? 0);
          continue;
        }
        if (r.cmd !== CTAPHID.ERROR && !accept(r)) continue;
        return { cmd: r.cmd, data: r.data };
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
