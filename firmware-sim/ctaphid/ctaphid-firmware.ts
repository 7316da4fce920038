/**
 * The device side of CTAPHID (CTAP 2.1 §11.2): channel allocation through INIT (broadcast and
 * re-init), PING, WINK, LOCK, CANCEL, the CTAPHID_ERROR codes, the 500 ms transaction
 * timeout and KEEPALIVE while an asynchronous handler runs. Complete messages are dispatched
 * to a handler object; the capabilities INIT reports follow from which handlers exist.
 * A pure message machine: one 64-byte report in, reports out through the attached sink.
 * Nothing thrown by a handler or caused by wire input escapes `receive`.
 *
 * Channels: at most `maxChannels` are remembered; when INIT needs another, the least
 * recently used channel that is not mid-transaction is forgotten (with any LOCK it held).
 * A report on a channel that is not allocated is refused before anything is buffered, so a
 * stray partial message cannot hold the device for the 500 ms transaction timeout. Where the
 * endpoint tells hosts apart (UDP), a channel belongs to the host that allocated it: its
 * answers go there, and reports on it from anyone else are dropped.
 *
 * @example
 * ```ts
 * const hid = new CtapHidFirmware(env, { vendor: (cmd, data) => data });
 * const endpoint = await UdpEndpoint.listen(hid, { port: 0 });
 * ```
 */
import {
  BROADCAST_CID,
  CAPABILITY,
  CTAPHID,
  CTAPHID_ERR,
  CTAPHID_PROTOCOL_VERSION,
  CtapHidAssembler,
  HID_PACKET_SIZE,
  KEEPALIVE_INTERVAL_MS,
  KEEPALIVE_STATUS,
  MAX_MESSAGE_SIZE,
  RESERVED_CID,
  TRANSACTION_TIMEOUT_MS,
  isInitPacket,
  isVendorCommand,
  packetCid,
  splitMessage,
} from '../../src/protocol/ctaphid/index.js';
import type { DeviceEnvironment } from '../env/index.js';
import type { HidPeer, SimulatedHidInterface } from '../hid-interface.js';

/** What a handler learns about the transaction it serves. */
export interface CtapHidContext {
  readonly cid: number;
  /** Aborted on CTAPHID_CANCEL, a re-INIT of the channel, or a power cycle. */
  readonly signal: AbortSignal;
  /** Set the status the KEEPALIVE reports carry (PROCESSING by default, UPNEEDED while waiting for touch). */
  keepalive(status: number): void;
}

type Reply = Uint8Array | Promise<Uint8Array>;

/** The handlers a device plugs in; absent ones answer ERR_INVALID_CMD. */
export interface CtapHidHandlers {
  /** CTAPHID_MSG: a U2F/CTAP1 APDU; returns the response APDU. */
  msg?(data: Uint8Array, ctx: CtapHidContext): Reply;
  /** CTAPHID_CBOR: a CTAP2 command byte + CBOR; returns status byte + CBOR. */
  cbor?(data: Uint8Array, ctx: CtapHidContext): Reply;
  /** Vendor commands 0x40..0x7F (e.g. the OTP token's interface). */
  vendor?(cmd: number, data: Uint8Array, ctx: CtapHidContext): Reply;
  /** CTAPHID_WINK: show the user which device this is. */
  wink?(): void;
  /** The device power-cycled: drop volatile state. */
  powerCycle?(): void;
}

/** A handler may throw this to answer with CTAPHID_ERROR `code` instead of a response. */
export class CtapHidCommandError extends Error {
  override readonly name = 'CtapHidCommandError';
  readonly hidCode: number;
  constructor(hidCode: number, message = `CTAPHID error 0x${hidCode.toString(16)}`) {
    super(message);
    this.hidCode = hidCode;
  }
}

export interface CtapHidFirmwareOptions {
  /** Device version reported by INIT: major, minor, build. */
  version?: readonly [number, number, number];
  /** HID report descriptor (FIDO usage page by default). */
  reportDescriptor?: Uint8Array;
  /** At most this many channels are remembered; the least recently used idle one is forgotten first. Default 256. */
  maxChannels?: number;
  /**
   * Serve a message on a channel the device never allocated (adopting it) while no other
   * transaction is under way, and resynchronize an INIT on one, as solo1 firmware does. The
   * strict default answers ERR_INVALID_CHANNEL (CTAP 2.1 §11.2.4).
   */
  adoptUnknownChannels?: boolean;
}

/** FIDO usage page 0xF1D0, usage 0x01, 64-byte input and output reports (CTAP 2.1 §11.2.8.1). */
export const FIDO_REPORT_DESCRIPTOR = Uint8Array.from([
  0x06, 0xd0, 0xf1, 0x09, 0x01, 0xa1, 0x01, 0x09, 0x20, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x40, 0x81, 0x02, 0x09, 0x21, 0x15, 0x00,
  0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x02, 0xc0,
]);

/** An allocated channel: who allocated it (when the endpoint tells hosts apart). */
interface Channel {
  peer: HidPeer | undefined;
}

interface Pending {
  cid: number;
  cmd: number;
  /** Made on first use of `ctx.signal`: a handler that never waits never needs one. */
  controller: AbortController | undefined;
  status: number;
  keepaliveTimer: unknown;
}

export class CtapHidFirmware implements SimulatedHidInterface {
  readonly reportDescriptor: Uint8Array;
  readonly #env: DeviceEnvironment;
  readonly #handlers: CtapHidHandlers;
  readonly #version: readonly [number, number, number];
  readonly #maxChannels: number;
  readonly #adoptUnknownChannels: boolean;
  readonly #assembler = new CtapHidAssembler();
  /** Allocated channels, least recently used first (a Map keeps insertion order). */
  readonly #channels = new Map<number, Channel>();
  #send: ((report: Uint8Array, to?: HidPeer) => void) | undefined;
  /** The host of the report being handled: answers on channels nobody owns go back to it. */
  #from: HidPeer | undefined;
  #timeoutTimer: unknown;
  #pending: Pending | undefined;
  #lock: { cid: number; untilMs: number } | undefined;
  /** Bumped on power cycle, so replies of an interrupted transaction are dropped. */
  #generation = 0;

  constructor(env: DeviceEnvironment, handlers: CtapHidHandlers, options: CtapHidFirmwareOptions = {}) {
    this.#env = env;
    this.#handlers = handlers;
    this.#version = options.version ?? [1, 0, 0];
    this.reportDescriptor = options.reportDescriptor ?? FIDO_REPORT_DESCRIPTOR;
    this.#maxChannels = options.maxChannels ?? 256;
    this.#adoptUnknownChannels = options.adoptUnknownChannels ?? false;
  }

  /** CAPABILITIES byte of the INIT response. */
  get capabilities(): number {
    let caps = CAPABILITY.WINK;
    if (this.#handlers.cbor !== undefined) caps |= CAPABILITY.CBOR;
    if (this.#handlers.msg === undefined) caps |= CAPABILITY.NMSG;
    return caps;
  }

  /** True while a handler runs. */
  get busy(): boolean {
    return this.#pending !== undefined;
  }

  attach(send: (report: Uint8Array, to?: HidPeer) => void): void {
    this.#send = send;
  }

  receive(report: Uint8Array, from?: HidPeer): void {
    this.#from = from;
    try {
      this.#receive(report);
    } catch (e) {
      // Wire input must never crash the device; a bug here is logged, not thrown to the endpoint.
      this.#env.log.log('error', 'ctaphid.internal', { error: e instanceof Error ? e.message : String(e) });
    } finally {
      this.#from = undefined;
    }
  }

  powerCycle(): void {
    this.#generation++;
    this.#assembler.reset();
    this.#clearTimeout();
    if (this.#pending !== undefined) this.#finishPending(this.#pending, true);
    this.#channels.clear();
    this.#lock = undefined;
    this.#handlers.powerCycle?.();
  }

  #receive(report: Uint8Array): void {
    if (report instanceof Uint8Array && report.length === HID_PACKET_SIZE && !this.#admit(report)) return;
    const result = this.#assembler.push(report);
    switch (result.kind) {
      case 'ignored':
        return;
      case 'pending':
        this.#armTimeout(result.cid);
        return;
      case 'error':
        // Only an error that ended the transaction in progress stops its timeout: a stray
        // report from elsewhere must not leave the assembler busy forever (found by fuzzing).
        if (this.#assembler.busyCid === undefined) this.#clearTimeout();
        this.#sendError(result.cid, result.code);
        return;
      case 'message':
        this.#clearTimeout();
        this.#dispatch(result.cid, result.cmd, result.data);
        return;
    }
  }

  /**
   * Whether a report may reach the assembler. Refused before anything is buffered: an
   * initialization packet on channel 0, on a channel never allocated, or on the broadcast
   * channel for anything but INIT (INVALID_CHANNEL, §11.2.9.1.6); any report on a channel
   * another host allocated (dropped: that host must not hear of it). The adoptUnknownChannels
   * quirk takes an unknown channel instead while the device is idle.
   */
  #admit(report: Uint8Array): boolean {
    const cid = packetCid(report);
    const channel = this.#channels.get(cid);
    if (channel !== undefined) {
      if (channel.peer === undefined || this.#from === undefined || channel.peer === this.#from) return true;
      this.#env.log.log('debug', 'ctaphid.foreign_report', { cid });
      return false;
    }
    if (!isInitPacket(report)) return true; // a stray continuation: the assembler ignores it
    if (cid === BROADCAST_CID && (report[4]! & 0x7f) === CTAPHID.INIT) return true;
    if (this.#adoptWhenIdle(cid)) return true;
    this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CHANNEL);
    return false;
  }

  #armTimeout(cid: number): void {
    this.#clearTimeout();
    this.#timeoutTimer = this.#env.timers.setTimeout(() => {
      this.#timeoutTimer = undefined;
      if (this.#assembler.busyCid !== cid) return;
      this.#assembler.reset();
      this.#sendError(cid, CTAPHID_ERR.ERR_MSG_TIMEOUT);
    }, TRANSACTION_TIMEOUT_MS);
  }

  #clearTimeout(): void {
    if (this.#timeoutTimer !== undefined) this.#env.timers.clearTimeout(this.#timeoutTimer);
    this.#timeoutTimer = undefined;
  }

  #dispatch(cid: number, cmd: number, data: Uint8Array): void {
    if (cmd === CTAPHID.INIT) return this.#init(cid, data);
    if (cid === RESERVED_CID || cid === BROADCAST_CID || !this.#channels.has(cid)) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CHANNEL);
    this.#touch(cid);
    const pending = this.#pending;
    if (cmd === CTAPHID.CANCEL) {
      // §11.2.9.1.5: CANCEL has no response of its own; the cancelled request answers.
      if (pending !== undefined && pending.cid === cid) pending.controller?.abort();
      return;
    }
    if (pending !== undefined) return this.#sendError(cid, CTAPHID_ERR.ERR_CHANNEL_BUSY);
    if (this.#lock !== undefined) {
      if (this.#env.clock.now() >= this.#lock.untilMs) this.#lock = undefined;
      else if (this.#lock.cid !== cid) return this.#sendError(cid, CTAPHID_ERR.ERR_CHANNEL_BUSY);
    }
    switch (cmd) {
      case CTAPHID.PING:
        return this.#sendMessage(cid, CTAPHID.PING, data);
      case CTAPHID.WINK:
        if (data.length !== 0) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_LEN);
        this.#handlers.wink?.();
        return this.#sendMessage(cid, CTAPHID.WINK, new Uint8Array(0));
      case CTAPHID.LOCK: {
        if (data.length !== 1) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_LEN);
        const seconds = data[0]!;
        if (seconds > 10) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_PAR);
        this.#lock = seconds === 0 ? undefined : { cid, untilMs: this.#env.clock.now() + seconds * 1000 };
        return this.#sendMessage(cid, CTAPHID.LOCK, new Uint8Array(0));
      }
      case CTAPHID.MSG: {
        const h = this.#handlers.msg;
        if (h === undefined) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CMD);
        return this.#run(cid, cmd, (ctx) => h.call(this.#handlers, data, ctx));
      }
      case CTAPHID.CBOR: {
        const h = this.#handlers.cbor;
        if (h === undefined) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CMD);
        if (data.length === 0) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_LEN);
        return this.#run(cid, cmd, (ctx) => h.call(this.#handlers, data, ctx));
      }
      default: {
        const h = this.#handlers.vendor;
        if (!isVendorCommand(cmd) || h === undefined) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CMD);
        return this.#run(cid, cmd, (ctx) => h.call(this.#handlers, cmd, data, ctx));
      }
    }
  }

  #init(cid: number, data: Uint8Array): void {
    if (data.length !== 8) return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_LEN);
    let newCid: number | undefined;
    if (cid === BROADCAST_CID) {
      newCid = this.#allocateChannel();
    } else if (cid !== RESERVED_CID && this.#channels.has(cid)) {
      // §11.2.9.1.3: INIT on an allocated channel resynchronizes it and aborts its transaction.
      if (this.#pending !== undefined && this.#pending.cid === cid) this.#finishPending(this.#pending, true);
      this.#touch(cid);
      newCid = cid;
    } else {
      return this.#sendError(cid, CTAPHID_ERR.ERR_INVALID_CHANNEL);
    }
    if (newCid === undefined) return this.#sendError(cid, CTAPHID_ERR.ERR_CHANNEL_BUSY);
    const reply = new Uint8Array(17);
    reply.set(data, 0);
    new DataView(reply.buffer).setUint32(8, newCid);
    reply[12] = CTAPHID_PROTOCOL_VERSION;
    reply[13] = this.#version[0] & 0xff;
    reply[14] = this.#version[1] & 0xff;
    reply[15] = this.#version[2] & 0xff;
    reply[16] = this.capabilities;
    this.#sendMessage(cid, CTAPHID.INIT, reply);
  }

  /**
   * The adoptUnknownChannels quirk: the first packet of a message on a channel nobody allocated
   * makes it this host's channel, while no transaction is under way (being assembled or served)
   * and a channel can be freed. An INIT on it then resynchronizes it like any allocated channel.
   */
  #adoptWhenIdle(cid: number): boolean {
    if (!this.#adoptUnknownChannels || cid === RESERVED_CID || cid === BROADCAST_CID) return false;
    if (this.#pending !== undefined || this.#assembler.busyCid !== undefined) return false;
    if (this.#channels.size >= this.#maxChannels && !this.#evictIdleChannel()) return false;
    this.#channels.set(cid, { peer: this.#from });
    return true;
  }

  /** A new channel for the host of the current report; undefined when every channel is mid-transaction. */
  #allocateChannel(): number | undefined {
    if (this.#channels.size >= this.#maxChannels && !this.#evictIdleChannel()) return undefined;
    for (;;) {
      const b = this.#env.random.bytes(4);
      const cid = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (cid === RESERVED_CID || cid === BROADCAST_CID || this.#channels.has(cid)) continue;
      this.#channels.set(cid, { peer: this.#from });
      return cid;
    }
  }

  /**
   * Forget the least recently used channel that is not mid-transaction (being assembled or
   * waiting for its handler), and the LOCK it held: a lock must not outlive its channel.
   */
  #evictIdleChannel(): boolean {
    for (const cid of this.#channels.keys()) {
      if (cid === this.#assembler.busyCid || cid === this.#pending?.cid) continue;
      this.#channels.delete(cid);
      if (this.#lock?.cid === cid) this.#lock = undefined;
      this.#env.log.log('debug', 'ctaphid.channel_evicted', { cid });
      return true;
    }
    return false;
  }

  /** Mark a channel as just used: it moves to the end of the eviction order. */
  #touch(cid: number): void {
    const channel = this.#channels.get(cid);
    if (channel === undefined) return;
    this.#channels.delete(cid);
    this.#channels.set(cid, channel);
  }

  #run(cid: number, cmd: number, call: (ctx: CtapHidContext) => Reply): void {
    const pending: Pending = { cid, cmd, controller: undefined, status: KEEPALIVE_STATUS.PROCESSING, keepaliveTimer: undefined };
    const ctx: CtapHidContext = {
      cid,
      get signal(): AbortSignal {
        pending.controller ??= new AbortController();
        return pending.controller.signal;
      },
      keepalive: (status) => {
        const changed = pending.status !== status;
        pending.status = status;
        // Tell the host at once that it should ask for a touch.
        if (changed && this.#pending === pending) this.#sendMessage(cid, CTAPHID.KEEPALIVE, Uint8Array.of(status));
      },
    };
    // Pending before the call, so a handler may ask for UPNEEDED at once.
    this.#pending = pending;
    const generation = this.#generation;
    let reply: Reply;
    try {
      reply = call(ctx);
    } catch (e) {
      this.#finishPending(pending, true);
      return this.#answerError(cid, e);
    }
    if (reply instanceof Uint8Array) {
      this.#finishPending(pending);
      return this.#sendMessage(cid, cmd, reply);
    }
    this.#scheduleKeepalive(pending);
    reply.then(
      (data) => {
        if (this.#pending !== pending || generation !== this.#generation) return;
        this.#finishPending(pending);
        this.#sendMessage(cid, cmd, data);
      },
      (e: unknown) => {
        if (this.#pending !== pending || generation !== this.#generation) return;
        this.#finishPending(pending, true);
        this.#answerError(cid, e);
      },
    );
  }

  #scheduleKeepalive(pending: Pending): void {
    pending.keepaliveTimer = this.#env.timers.setTimeout(() => {
      if (this.#pending !== pending) return;
      this.#sendMessage(pending.cid, CTAPHID.KEEPALIVE, Uint8Array.of(pending.status));
      this.#scheduleKeepalive(pending);
    }, KEEPALIVE_INTERVAL_MS);
  }

  /**
   * End `pending`. `interrupted` (re-INIT, power cycle, a failed handler) aborts its signal so
   * anything still waiting (for a touch, say) stops; a handler that answered has nothing left
   * running, and aborting costs a DOMException per request (8% of a getAssertion).
   */
  #finishPending(pending: Pending, interrupted = false): void {
    if (pending.keepaliveTimer !== undefined) this.#env.timers.clearTimeout(pending.keepaliveTimer);
    if (interrupted) pending.controller?.abort();
    if (this.#pending === pending) this.#pending = undefined;
  }

  #answerError(cid: number, e: unknown): void {
    if (e instanceof CtapHidCommandError) return this.#sendError(cid, e.hidCode);
    this.#env.log.log('error', 'ctaphid.handler_failed', { cid, error: e instanceof Error ? e.message : String(e) });
    this.#sendError(cid, CTAPHID_ERR.ERR_OTHER);
  }

  #sendError(cid: number, code: number): void {
    this.#sendMessage(cid, CTAPHID.ERROR, Uint8Array.of(code));
  }

  #sendMessage(cid: number, cmd: number, data: Uint8Array): void {
    if (data.length > MAX_MESSAGE_SIZE) {
      this.#env.log.log('error', 'ctaphid.reply_too_large', { cid, length: data.length });
      return this.#sendError(cid, CTAPHID_ERR.ERR_OTHER);
    }
    const send = this.#send;
    if (send === undefined) return;
    // A channel's answers go to the host that allocated it; the rest to whoever asked.
    const to = this.#channels.get(cid)?.peer ?? this.#from;
    for (const packet of splitMessage(cid, cmd, data)) send(packet, to);
  }
}
