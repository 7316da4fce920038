/**
 * A CTAPHID device over any HidTransport (CTAP 2.1 §11.2): channel allocation with INIT,
 * message framing, KEEPALIVE, CANCEL on abort, CHANNEL_BUSY retry with backoff, timeouts, and
 * never an answer paired with a request it does not belong to (see `call`).
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
  /**
   * How often a CHANNEL_BUSY answer is retried at most; default: as often as the call's
   * timeout allows. A host that gave up after a few doubling waits lost the device for good
   * to hosts that ask again the moment their answer arrives.
   */
  busyRetries?: number;
  /** First backoff after CHANNEL_BUSY, doubled each time up to MAX_BUSY_BACKOFF_MS, each wait jittered by ±50%; default 20 ms. */
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

/**
 * The longest wait between CHANNEL_BUSY retries. Short enough that a host waiting for a key
 * other hosts keep busy still finds it idle now and then (a request takes milliseconds).
 */
export const MAX_BUSY_BACKOFF_MS = 200;

/**
 * How many times a request is sent again after ERR_MSG_TIMEOUT. The device answers it when our
 * continuation packets came too late (§11.2.4: a host descheduled between packets, a busy
 * machine) and has discarded the incomplete message without running it, so sending it again
 * cannot run it twice; a host that is always too slow still gets the error.
 */
export const MSG_TIMEOUT_RETRIES = 2;

const defaultRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CtapHidDevice {
  readonly transport: HidTransport;
  readonly #options: Required<CtapHidDeviceOptions>;
  #info: CtapHidDeviceInfo | undefined;
  /** CTAPHID is one transaction at a time per channel: calls queue behind this. */
  #tail: Promise<unknown> = Promise.resolve();
  /**
   * True while a request may still have an answer on its way that nobody will read: from
   * writing a request until its final answer was read. A call that ends otherwise (timeout,
   * abort, a transport error) leaves it set, and the next call first resynchronises the
   * channel, so that late answer is never taken for the next request's.
   */
  #unsettled = false;

  private constructor(transport: HidTransport, options: CtapHidDeviceOptions) {
    this.transport = transport;
    this.#options = {
      randomBytes: options.randomBytes ?? defaultRandom,
      timeoutMs: options.timeoutMs ?? 35_000,
      busyRetries: options.busyRetries ?? Number.POSITIVE_INFINITY,
      busyBackoffMs: options.busyBackoffMs ?? 20,
      sleep: options.sleep ?? defaultSleep,
      now: options.now ?? Date.now,
    };
  }

  /**
   * INIT on the broadcast channel with a fresh 8-byte nonce; checks the echoed nonce. The
   * device owns `transport` from here on: when INIT fails, the transport is closed before
   * the error is thrown, so a failed open leaves nothing open.
   */
  static async open(transport: HidTransport, options: CtapHidDeviceOptions = {}): Promise<CtapHidDevice> {
    const device = new CtapHidDevice(transport, options);
    try {
      await device.init();
    } catch (e) {
      // Nothing answered (or not as a CTAPHID device): the transport is not left open.
      await transport.close().catch(() => {});
      throw e;
    }
    return device;
  }

  get info(): CtapHidDeviceInfo {
    if (this.#info === undefined) throw new TokenrigError(ErrorCode.CLOSED, 'CTAPHID device is not initialised');
    return this.#info;
  }

  /** (Re)allocate a channel. */
  init(): Promise<CtapHidDeviceInfo> {
    return this.#serialized(() => this.#allocate(this.#options.now() + this.#options.timeoutMs));
  }

  /**
   * Send one message and return the reply's data. Throws TokenrigError DEVICE (wireCode =
   * CTAPHID error code) on CTAPHID_ERROR, TIMEOUT when nothing useful arrives in time.
   * A device busy with another host's transaction is asked again with a doubling, jittered
   * backoff (up to MAX_BUSY_BACKOFF_MS) until the call's timeout, when it gives up with
   * ERR_CHANNEL_BUSY; a message the device dropped half-received (ERR_MSG_TIMEOUT) is sent
   * again up to MSG_TIMEOUT_RETRIES times; a channel the device forgot (INVALID_CHANNEL: evicted, or
   * the device restarted) is allocated anew and the request sent once more.
   */
  call(cmd: number, data: Uint8Array = new Uint8Array(0), options: CallOptions = {}): Promise<Uint8Array> {
    return this.#serialized(async () => {
      if (options.signal?.aborted) throw new TokenrigError(ErrorCode.REJECTED, 'call aborted before it started');
      const deadline = this.#options.now() + (options.timeoutMs ?? this.#options.timeoutMs);
      if (this.#unsettled && this.#info !== undefined) await this.#resync(deadline);
      try {
        return await this.#exchange(this.info.cid, cmd, data, options, deadline);
      } catch (e) {
        if (!(e instanceof TokenrigError) || e.wireCode !== CTAPHID_ERR.ERR_INVALID_CHANNEL || e.code !== ErrorCode.DEVICE) throw e;
        await this.#allocate(deadline);
        return this.#exchange(this.info.cid, cmd, data, options, deadline);
      }
    });
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

  async #serialized<T>(run: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await run();
    } finally {
      release();
    }
  }

  /** INIT on the broadcast channel: a new channel, and what the device is (§11.2.9.1.3). */
  async #allocate(deadline: number): Promise<CtapHidDeviceInfo> {
    const nonce = this.#nonce();
    const data = await this.#exchange(BROADCAST_CID, CTAPHID.INIT, nonce, {}, deadline, (m) => m.cmd === CTAPHID.INIT && startsWith(m.data, nonce));
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
   * §11.2.9.1.3: INIT on our own channel makes the device drop whatever it still does for
   * the channel, and its answer carries our fresh nonce: everything before that answer is
   * stale and skipped. A channel the device forgot meanwhile is allocated anew.
   */
  async #resync(deadline: number): Promise<void> {
    const cid = this.info.cid;
    const nonce = this.#nonce();
    try {
      await this.#exchange(cid, CTAPHID.INIT, nonce, {}, deadline, (m) => m.cmd === CTAPHID.INIT && startsWith(m.data, nonce));
    } catch (e) {
      if (!(e instanceof TokenrigError) || e.wireCode !== CTAPHID_ERR.ERR_INVALID_CHANNEL || e.code !== ErrorCode.DEVICE) throw e;
      await this.#allocate(deadline);
    }
  }

  #nonce(): Uint8Array {
    const nonce = this.#options.randomBytes(8);
    if (nonce.length !== 8) throw new RangeError('randomBytes(8) must return 8 bytes');
    return nonce;
  }

  /** One request and its final answer, asking again while the device is busy with another host. */
  async #exchange(
    cid: number,
    cmd: number,
    data: Uint8Array,
    options: CallOptions,
    deadline: number,
    accept: (m: { cmd: number; data: Uint8Array }) => boolean = (m) => m.cmd === cmd,
  ): Promise<Uint8Array> {
    const { now, sleep } = this.#options;
    const started = now();
    let backoff = this.#options.busyBackoffMs;
    let lateMessages = 0;
    for (let attempt = 1; ; attempt++) {
      this.#unsettled = true;
      // Hand over every report at once: the transport keeps them in call order and decides
      // whether one waits for the previous (UDP does not; see hid-transport.ts).
      await Promise.all(splitMessage(cid, cmd, data).map((p) => this.transport.write(p)));
      const reply = await this.#receive(cid, cmd, deadline, options, accept);
      this.#unsettled = false;
      if (reply.cmd !== CTAPHID.ERROR) return reply.data;
      const code = reply.data[0] ?? CTAPHID_ERR.ERR_OTHER;
      const late = code === CTAPHID_ERR.ERR_MSG_TIMEOUT && lateMessages++ < MSG_TIMEOUT_RETRIES;
      if (code !== CTAPHID_ERR.ERR_CHANNEL_BUSY && !late) throw new TokenrigError(ErrorCode.DEVICE, `CTAPHID error ${ctapHidErrorName(code)}`, { wireCode: code });
      // §11.2.5.3: another host's transaction holds the device; this request was not taken.
      // (ERR_MSG_TIMEOUT: the device dropped our incomplete message; see MSG_TIMEOUT_RETRIES.)
      if (attempt > this.#options.busyRetries || now() + backoff >= deadline) {
        const why = late ? 'the device dropped the message half-received' : 'the device stayed busy with another host';
        throw new TokenrigError(ErrorCode.DEVICE, `CTAPHID error ${ctapHidErrorName(code)}: ${why} (${attempt} attempts over ${now() - started} ms)`, { wireCode: code });
      }
      // Jittered (0.5–1.5 ×): hosts that wait in step keep meeting the same busy moments.
      const wait = Math.max(1, Math.round(backoff * (0.5 + this.#options.randomBytes(1)[0]! / 256)));
      await sleep(wait);
      await this.#drain(now() + wait);
      backoff = Math.min(backoff * 2, MAX_BUSY_BACKOFF_MS);
    }
  }

  /**
   * Drop reports already waiting, until none is or `until` (a device shared with busy hosts
   * never falls silent: every host sees every report). A device that answers each packet of
   * a refused message (older firmware did) sends several CHANNEL_BUSY answers to one request;
   * taken one by one, they answered later retries, and the retries' own answers then answered
   * later requests.
   */
  async #drain(until: number): Promise<void> {
    while (this.#options.now() < until) {
      try {
        await this.transport.read(0);
      } catch (e) {
        if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) return;
        throw e;
      }
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
        // An answer of another command (or an INIT answer without our nonce) answers an
        // earlier request: skip it.
        if (r.cmd !== CTAPHID.ERROR && !accept(r)) continue;
        return { cmd: r.cmd, data: r.data };
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** True when `data` begins with `prefix`. */
function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}
