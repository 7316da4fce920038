import { describe, expect, it } from 'vitest';
import { CtapHidCommandError, CtapHidFirmware, type CtapHidContext } from '../../firmware-sim/ctaphid/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { BROADCAST_CID, CAPABILITY, CTAPHID, CTAPHID_ERR, KEEPALIVE_STATUS, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from '../support/ctaphid-host.js';
import { ManualTimers } from '../support/manual-timers.js';

function setup(handlers: ConstructorParameters<typeof CtapHidFirmware>[1] = {}) {
  const { env, clock } = createTestEnvironment({ startMs: 1_000_000 });
  const timers = new ManualTimers(clock);
  const fw = new CtapHidFirmware({ ...env, timers }, handlers, { version: [2, 3, 4] });
  const host = new TestHidHost(fw);
  return { fw, host, timers, clock };
}

const err = (code: number) => ({ cmd: CTAPHID.ERROR, data: Uint8Array.of(code) });

describe('CTAPHID device layer', () => {
  it('allocates a channel on broadcast INIT with the nonce, version and capabilities, and re-inits it', () => {
    const { host } = setup({ cbor: () => new Uint8Array([0]) });
    host.send(BROADCAST_CID, CTAPHID.INIT, [9, 8, 7, 6, 5, 4, 3, 2]);
    const m = host.last();
    expect(m.cid).toBe(BROADCAST_CID);
    expect([...m.data.subarray(0, 8)]).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
    expect([...m.data.subarray(12)]).toEqual([2, 2, 3, 4, CAPABILITY.WINK | CAPABILITY.CBOR | CAPABILITY.NMSG]);
    const cid = new DataView(m.data.buffer).getUint32(8);
    expect(cid).not.toBe(0);
    expect(cid).not.toBe(BROADCAST_CID);
    host.send(cid, CTAPHID.INIT, [1, 1, 1, 1, 1, 1, 1, 1]);
    const again = host.last();
    expect(again.cid).toBe(cid);
    expect(new DataView(again.data.buffer).getUint32(8)).toBe(cid);
    expect(host.init()).not.toBe(cid);
  });

  it('answers PING with the same bytes across many packets, and WINK', () => {
    let winks = 0;
    const { host } = setup({ wink: () => winks++ });
    const cid = host.init();
    const data = Uint8Array.from({ length: 7609 }, (_, i) => i & 0xff);
    host.send(cid, CTAPHID.PING, data);
    expect(host.last()).toEqual({ cid, cmd: CTAPHID.PING, data });
    host.send(cid, CTAPHID.WINK, []);
    expect(host.last()).toMatchObject({ cmd: CTAPHID.WINK, data: new Uint8Array(0) });
    expect(winks).toBe(1);
  });

  it('reports INVALID_CMD, INVALID_LEN, INVALID_CHANNEL and INVALID_SEQ', () => {
    const { host } = setup({ msg: () => new Uint8Array([0x90, 0]) });
    const cid = host.init();
    host.send(cid, CTAPHID.CBOR, [4]);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_CMD));
    host.send(cid, 0x45, []);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_CMD));
    host.send(cid, 0x22, []);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_CMD));
    host.send(cid, CTAPHID.INIT, [1, 2, 3]);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_LEN));
    host.send(0x12345678, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: 0x12345678, ...err(CTAPHID_ERR.ERR_INVALID_CHANNEL) });
    host.send(BROADCAST_CID, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_CHANNEL));
    const packets = splitMessage(cid, CTAPHID.PING, new Uint8Array(200));
    host.raw(packets[0]!);
    host.raw(packets[2]!);
    expect(host.last()).toMatchObject({ cid, ...err(CTAPHID_ERR.ERR_INVALID_SEQ) });
    host.send(cid, CTAPHID.MSG, [0, 3, 0, 0]);
    expect(host.last()).toMatchObject({ cmd: CTAPHID.MSG, data: Uint8Array.of(0x90, 0) });
  });

  it('answers CHANNEL_BUSY to another channel mid-message and MSG_TIMEOUT after 500 ms', () => {
    const { host, timers, fw } = setup();
    const a = host.init();
    const b = host.init();
    const packets = splitMessage(a, CTAPHID.PING, new Uint8Array(100));
    host.raw(packets[0]!);
    host.send(b, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: b, ...err(CTAPHID_ERR.ERR_CHANNEL_BUSY) });
    timers.advance(499);
    expect(host.take()).toEqual([]);
    timers.advance(1);
    expect(host.last()).toMatchObject({ cid: a, ...err(CTAPHID_ERR.ERR_MSG_TIMEOUT) });
    host.raw(packets[1]!); // stray continuation after the timeout: ignored
    expect(host.take()).toEqual([]);
    // Regression (fuzzing): a wrong-length report mid-message must not cancel the timeout.
    host.raw(packets[0]!);
    fw.receive(new Uint8Array(10));
    host.take();
    timers.advance(500);
    expect(host.last()).toMatchObject({ cid: a, ...err(CTAPHID_ERR.ERR_MSG_TIMEOUT) });
    expect(host.take()).toEqual([]);
    host.send(b, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: b, cmd: CTAPHID.PING });
  });

  it('sends KEEPALIVE every 100 ms while an async handler runs, CHANNEL_BUSY to others, and honours CANCEL', async () => {
    let seen: CtapHidContext | undefined;
    const { host, timers } = setup({
      cbor: (_data, ctx) => {
        seen = ctx;
        ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
        return new Promise<Uint8Array>((resolve) => ctx.signal.addEventListener('abort', () => resolve(Uint8Array.of(0x2d))));
      },
    });
    const cid = host.init();
    const other = host.init();
    host.send(cid, CTAPHID.CBOR, [2]);
    expect(host.take()).toEqual([{ cid, cmd: CTAPHID.KEEPALIVE, data: Uint8Array.of(KEEPALIVE_STATUS.UPNEEDED) }]);
    timers.advance(350);
    expect(host.take().filter((m) => m.cmd === CTAPHID.KEEPALIVE)).toHaveLength(3);
    host.send(other, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: other, ...err(CTAPHID_ERR.ERR_CHANNEL_BUSY) });
    host.send(other, CTAPHID.CANCEL, []); // another channel's CANCEL does nothing
    expect(seen?.signal.aborted).toBe(false);
    host.send(cid, CTAPHID.CANCEL, []);
    await host.settle(3);
    expect(host.last()).toEqual({ cid, cmd: CTAPHID.CBOR, data: Uint8Array.of(0x2d) });
    timers.advance(1000);
    expect(host.take()).toEqual([]);
  });

  it('maps handler failures to ERROR codes, and LOCK keeps other channels out until it expires', async () => {
    const { host, timers } = setup({
      vendor: (cmd) => {
        if (cmd === 0x41) throw new CtapHidCommandError(CTAPHID_ERR.ERR_INVALID_PAR);
        if (cmd === 0x42) return Promise.reject(new Error('boom'));
        return Uint8Array.of(cmd);
      },
    });
    const a = host.init();
    const b = host.init();
    host.send(a, 0x41, []);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_PAR));
    host.send(a, 0x42, []);
    await host.settle(3);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_OTHER));
    host.send(a, 0x40, []);
    expect(host.last()).toMatchObject({ cmd: 0x40, data: Uint8Array.of(0x40) });
    host.send(a, CTAPHID.LOCK, [2]);
    expect(host.last()).toMatchObject({ cmd: CTAPHID.LOCK });
    host.send(b, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: b, ...err(CTAPHID_ERR.ERR_CHANNEL_BUSY) });
    host.send(a, CTAPHID.LOCK, [11]);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_PAR));
    timers.advance(2000);
    host.send(b, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: b, cmd: CTAPHID.PING });
  });

  it('forgets channels and drops the answer of an interrupted request on power cycle', async () => {
    let resolve: ((r: Uint8Array) => void) | undefined;
    let cycles = 0;
    const { host, fw } = setup({ cbor: () => new Promise((r) => (resolve = r)), powerCycle: () => cycles++ });
    const cid = host.init();
    host.send(cid, CTAPHID.CBOR, [4]);
    expect(fw.busy).toBe(true);
    fw.powerCycle();
    expect(fw.busy).toBe(false);
    expect(cycles).toBe(1);
    resolve?.(Uint8Array.of(0));
    await host.settle(3);
    expect(host.take()).toEqual([]);
    host.send(cid, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject(err(CTAPHID_ERR.ERR_INVALID_CHANNEL));
  });
});
