/** CtapHidDevice and Ctap2 against a scripted fake HidTransport: every byte the device sends is set here. */
import { describe, expect, it } from 'vitest';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { ErrorCode, TokenrigError } from '../../src/errors.js';
import { BROADCAST_CID, CTAPHID, CTAPHID_ERR, CtapHidAssembler, splitMessage } from '../../src/protocol/ctaphid/index.js';
import type { HidTransport } from '../../src/transports/hid-transport.js';
import { failure } from './failure.js';

const CID = 0x01020304;
const NONCE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

type Reply = { cid: number; cmd: number; data: Uint8Array | number[] };

/** Answers each whole request message with the replies `script` returns; read never waits. */
class ScriptedTransport implements HidTransport {
  readonly spec = 'scripted:';
  readonly requests: { cid: number; cmd: number; data: Uint8Array }[] = [];
  readonly #asm = new CtapHidAssembler();
  readonly #queue: Uint8Array[] = [];
  closed = false;
  constructor(readonly script: (req: { cid: number; cmd: number; data: Uint8Array }, n: number) => Reply[]) {}
  async write(report: Uint8Array): Promise<void> {
    const r = this.#asm.push(report);
    if (r.kind !== 'message') return;
    const req = { cid: r.cid, cmd: r.cmd, data: r.data };
    this.requests.push(req);
    for (const reply of this.script(req, this.requests.length)) this.#queue.push(...splitMessage(reply.cid, reply.cmd, Uint8Array.from(reply.data)));
  }
  async read(): Promise<Uint8Array> {
    const next = this.#queue.shift();
    if (next === undefined) throw new TokenrigError(ErrorCode.TIMEOUT, 'scripted transport: nothing to read');
    return next;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function initReply(nonce: Uint8Array, cid = CID, caps = 0x05): Reply {
  return { cid: BROADCAST_CID, cmd: CTAPHID.INIT, data: [...nonce, cid >>> 24, (cid >> 16) & 0xff, (cid >> 8) & 0xff, cid & 0xff, 2, 1, 2, 3, caps] };
}

const handshake = (rest: (req: { cid: number; cmd: number; data: Uint8Array }, n: number) => Reply[]) => (req: { cid: number; cmd: number; data: Uint8Array }, n: number): Reply[] =>
  req.cmd === CTAPHID.INIT ? [initReply(req.data)] : rest(req, n);

const sleeps: number[] = [];
const opts = { randomBytes: () => NONCE.slice(), sleep: async (ms: number) => void sleeps.push(ms) };

describe('CtapHidDevice', () => {
  it('INIT ignores a reply with another nonce and another channel, then uses the allocated channel', async () => {
    const t = new ScriptedTransport((req) =>
      req.cmd === CTAPHID.INIT ? [initReply(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 0x0badcafe), { cid: 0x77, cmd: CTAPHID.PING, data: [1] }, initReply(req.data)] : [{ cid: CID, cmd: req.cmd, data: req.data }],
    );
    const d = await CtapHidDevice.open(t, opts);
    expect(t.requests[0]).toEqual({ cid: BROADCAST_CID, cmd: CTAPHID.INIT, data: NONCE });
    expect(d.info).toMatchObject({ cid: CID, protocolVersion: 2, deviceVersion: [1, 2, 3], wink: true, cbor: true, msg: true });
    expect(await d.ping(Uint8Array.of(5, 6))).toEqual(Uint8Array.of(5, 6));
    expect(t.requests[1]!.cid).toBe(CID);
  });

  it('passes KEEPALIVE statuses to onKeepalive and returns the final reply', async () => {
    const t = new ScriptedTransport(handshake(() => [{ cid: CID, cmd: CTAPHID.KEEPALIVE, data: [1] }, { cid: CID, cmd: CTAPHID.KEEPALIVE, data: [2] }, { cid: CID, cmd: CTAPHID.CBOR, data: [0] }]));
    const d = await CtapHidDevice.open(t, opts);
    const seen: number[] = [];
    expect(await d.call(CTAPHID.CBOR, Uint8Array.of(4), { onKeepalive: (s) => seen.push(s) })).toEqual(Uint8Array.of(0));
    expect(seen).toEqual([1, 2]);
  });

  it('retries CHANNEL_BUSY with doubling, jittered backoff, then succeeds', async () => {
    sleeps.length = 0;
    const t = new ScriptedTransport(handshake((req, n) => (n < 4 ? [{ cid: CID, cmd: CTAPHID.ERROR, data: [CTAPHID_ERR.ERR_CHANNEL_BUSY] }] : [{ cid: CID, cmd: req.cmd, data: req.data }])));
    const d = await CtapHidDevice.open(t, opts);
    expect(await d.ping(Uint8Array.of(1))).toEqual(Uint8Array.of(1));
    // 20 and 40 ms, jittered by the injected random byte (1 of 256): × (0.5 + 1/256).
    expect(sleeps).toEqual([10, 20]);
    expect(t.requests.length).toBe(4);
  });

  it('turns CTAPHID_ERROR into DEVICE with the wire code and its name', async () => {
    const t = new ScriptedTransport(handshake(() => [{ cid: CID, cmd: CTAPHID.ERROR, data: [CTAPHID_ERR.ERR_INVALID_CMD] }]));
    const d = await CtapHidDevice.open(t, opts);
    const e = await failure(d.call(0x55));
    expect(e.code).toBe('DEVICE');
    expect(e.wireCode).toBe(1);
    expect(e.message).toMatch(/ERR_INVALID_CMD/);
  });

  it('times out when the device says nothing', async () => {
    const t = new ScriptedTransport(handshake(() => []));
    const d = await CtapHidDevice.open(t, opts);
    expect((await failure(d.ping(Uint8Array.of(1)))).code).toBe('TIMEOUT');
  });

  it('sends CANCEL on its channel when the signal aborts, and returns the device’s answer', async () => {
    const ac = new AbortController();
    const t = new ScriptedTransport(
      handshake((req) => {
        if (req.cmd === CTAPHID.CBOR) return [{ cid: CID, cmd: CTAPHID.KEEPALIVE, data: [2] }];
        return req.cmd === CTAPHID.CANCEL ? [{ cid: CID, cmd: CTAPHID.CBOR, data: [0x2d] }] : [];
      }),
    );
    const d = await CtapHidDevice.open(t, opts);
    // The user gives up while the key waits for a touch.
    const reply = await d.call(CTAPHID.CBOR, Uint8Array.of(2), { signal: ac.signal, onKeepalive: (s) => s === 2 && ac.abort() });
    expect(t.requests.map((r) => [r.cid, r.cmd])).toEqual([[BROADCAST_CID, CTAPHID.INIT], [CID, CTAPHID.CBOR], [CID, CTAPHID.CANCEL]]);
    expect(reply).toEqual(Uint8Array.of(0x2d));
  });

  it('refuses a call with an already aborted signal without sending anything', async () => {
    const t = new ScriptedTransport(handshake(() => []));
    const d = await CtapHidDevice.open(t, opts);
    const ac = new AbortController();
    ac.abort();
    expect((await failure(d.call(CTAPHID.CBOR, Uint8Array.of(4), { signal: ac.signal }))).code).toBe('REJECTED');
    expect(t.requests.length).toBe(1);
  });
});

describe('CtapHidDevice never pairs an answer with a request it does not belong to', () => {
  const busy: Reply = { cid: CID, cmd: CTAPHID.ERROR, data: [CTAPHID_ERR.ERR_CHANNEL_BUSY] };

  it('drains the extra CHANNEL_BUSY answers of a device that answers each refused packet', async () => {
    // Older firmware answered every packet of a refused three-packet message.
    const t = new ScriptedTransport(handshake((req, n) => (n === 2 ? [busy, busy, busy] : [{ cid: CID, cmd: req.cmd, data: req.data }])));
    const d = await CtapHidDevice.open(t, opts);
    const first = new Uint8Array(150).fill(1);
    const second = new Uint8Array(150).fill(2);
    expect(await d.ping(first)).toEqual(first);
    expect(await d.ping(second)).toEqual(second);
    expect(t.requests.filter((r) => r.cmd === CTAPHID.PING)).toHaveLength(3);
  });

  it('after a call timed out, its late answer is not taken as the next call’s (the channel is resynchronised with INIT)', async () => {
    let late = false;
    const t = new ScriptedTransport((req) => {
      if (req.cmd === CTAPHID.INIT && req.cid === BROADCAST_CID) return [initReply(req.data)];
      if (Array.from(req.data).every((b) => b === 1)) return []; // the first call: no answer in time
      // The first answer arrives late, ahead of whatever comes next.
      const stale: Reply[] = late ? [] : [{ cid: CID, cmd: CTAPHID.PING, data: new Uint8Array(10).fill(1) }];
      late = true;
      if (req.cmd === CTAPHID.INIT) return [...stale, { ...initReply(req.data), cid: CID }];
      return [...stale, { cid: CID, cmd: req.cmd, data: req.data }];
    });
    const d = await CtapHidDevice.open(t, opts);
    expect((await failure(d.ping(new Uint8Array(10).fill(1)))).code).toBe('TIMEOUT');
    expect(await d.ping(new Uint8Array(10).fill(2))).toEqual(new Uint8Array(10).fill(2));
  });

  it('skips a stale answer of another command', async () => {
    const t = new ScriptedTransport(handshake((req) => [{ cid: CID, cmd: CTAPHID.PING, data: [7] }, { cid: CID, cmd: req.cmd, data: [0] }]));
    const d = await CtapHidDevice.open(t, opts);
    expect(await d.call(CTAPHID.CBOR, Uint8Array.of(4))).toEqual(Uint8Array.of(0));
  });

  it('gives up on a device that stays busy with one clear CHANNEL_BUSY error', async () => {
    const t = new ScriptedTransport(handshake(() => [busy]));
    const d = await CtapHidDevice.open(t, { ...opts, busyRetries: 3 });
    const e = await failure(d.ping(Uint8Array.of(1)));
    expect(e).toMatchObject({ code: 'DEVICE', wireCode: CTAPHID_ERR.ERR_CHANNEL_BUSY });
    expect(e.message).toMatch(/ERR_CHANNEL_BUSY.*busy with another host.*4 attempts/);
  });

  it('sends a message again when the device dropped it half-received (ERR_MSG_TIMEOUT), at most twice', async () => {
    const late: Reply = { cid: CID, cmd: CTAPHID.ERROR, data: [CTAPHID_ERR.ERR_MSG_TIMEOUT] };
    const t = new ScriptedTransport(handshake((req, n) => (n < 4 ? [late] : [{ cid: CID, cmd: req.cmd, data: req.data }])));
    const d = await CtapHidDevice.open(t, opts);
    expect(await d.ping(Uint8Array.of(2))).toEqual(Uint8Array.of(2));
    expect(t.requests.filter((r) => r.cmd === CTAPHID.PING)).toHaveLength(3);
    const always = new ScriptedTransport(handshake(() => [late]));
    const e = await failure((await CtapHidDevice.open(always, opts)).ping(Uint8Array.of(2)));
    expect(e).toMatchObject({ code: 'DEVICE', wireCode: CTAPHID_ERR.ERR_MSG_TIMEOUT });
    expect(e.message).toMatch(/ERR_MSG_TIMEOUT/);
    expect(always.requests.filter((r) => r.cmd === CTAPHID.PING)).toHaveLength(3);
  });

  it('allocates a new channel when the device forgot its channel (INVALID_CHANNEL), and retries once', async () => {
    const CID2 = 0x0a0b0c0d;
    const t = new ScriptedTransport((req, n) => {
      if (req.cmd === CTAPHID.INIT) return [initReply(req.data, n === 1 ? CID : CID2)];
      if (req.cid === CID) return [{ cid: CID, cmd: CTAPHID.ERROR, data: [CTAPHID_ERR.ERR_INVALID_CHANNEL] }];
      return [{ cid: req.cid, cmd: req.cmd, data: req.data }];
    });
    const d = await CtapHidDevice.open(t, opts);
    expect(await d.ping(Uint8Array.of(3))).toEqual(Uint8Array.of(3));
    expect(d.info.cid).toBe(CID2);
  });
});

describe('CtapHidDevice call ordering', () => {
  it('queues concurrent calls: one transaction at a time, each gets its own reply', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const t = new ScriptedTransport(
      handshake((req) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        queueMicrotask(() => inFlight--);
        return [{ cid: CID, cmd: req.cmd, data: req.data }];
      }),
    );
    const d = await CtapHidDevice.open(t, opts);
    const ac = new AbortController();
    ac.abort();
    const results = await Promise.allSettled([d.ping(Uint8Array.of(1)), d.call(CTAPHID.PING, Uint8Array.of(9), { signal: ac.signal }), d.ping(Uint8Array.of(2)), d.ping(Uint8Array.of(3))]);
    expect(results.map((r) => (r.status === 'fulfilled' ? [...r.value] : 'rejected'))).toEqual([[1], 'rejected', [2], [3]]);
    expect(maxInFlight).toBe(1);
  });
});

describe('Ctap2 strictness', () => {
  it('rejects non-canonical CBOR from the authenticator with PROTOCOL', async () => {
    // {1: ["FIDO_2_0"], 3: h''} with the map length in a non-shortest form (0xb8 0x02).
    const nonCanonical = [0x00, 0xb8, 0x02, 0x01, 0x81, 0x68, ...Buffer.from('FIDO_2_0'), 0x03, 0x40];
    const d = await CtapHidDevice.open(new ScriptedTransport(handshake(() => [{ cid: CID, cmd: CTAPHID.CBOR, data: nonCanonical }])), opts);
    const e = await failure(new Ctap2(d).getInfo());
    expect(e.code).toBe('PROTOCOL');
    expect(e.message).toMatch(/canonical|CBOR/);
  });

  it('keeps an unknown CTAP2 status code as wireCode', async () => {
    const d = await CtapHidDevice.open(new ScriptedTransport(handshake(() => [{ cid: CID, cmd: CTAPHID.CBOR, data: [0xf3] }])), opts);
    const e = await failure(new Ctap2(d).getInfo());
    expect(e).toMatchObject({ code: 'DEVICE', wireCode: 0xf3 });
    expect(e.message).toMatch(/0xf3/);
  });
});
