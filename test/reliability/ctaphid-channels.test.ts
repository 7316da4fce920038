/**
 * The device's channel table under abuse (issue: one local process must not block everyone):
 * a rejected message is answered once, a partial message on a channel that is not allocated
 * is refused before anything is buffered, a LOCK goes with its channel, eviction takes the
 * least recently used idle channel, and replies go to the host that allocated the channel.
 */
import { describe, expect, it } from 'vitest';
import { CtapHidFirmware, type CtapHidHandlers } from '../../firmware-sim/ctaphid/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { BROADCAST_CID, CTAPHID, CTAPHID_ERR, CtapHidAssembler, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from '../support/ctaphid-host.js';
import { ManualTimers } from '../support/manual-timers.js';

function setup(handlers: CtapHidHandlers = {}, maxChannels?: number) {
  const { env, clock } = createTestEnvironment({ startMs: 1_000_000 });
  const timers = new ManualTimers(clock);
  const fw = new CtapHidFirmware({ ...env, timers }, handlers, maxChannels === undefined ? {} : { maxChannels });
  const host = new TestHidHost(fw);
  return { fw, host, timers, clock };
}

const err = (code: number) => ({ cmd: CTAPHID.ERROR, data: Uint8Array.of(code) });

describe('CTAPHID channels: answers and refusals', () => {
  it('answers a message refused as busy once, not once per packet (CTAP 2.1 §11.2.5.3)', () => {
    const { host } = setup();
    const a = host.init();
    const b = host.init();
    host.raw(splitMessage(a, CTAPHID.PING, new Uint8Array(100))[0]!);
    // b's four-packet message arrives while a's is half in.
    host.send(b, CTAPHID.PING, new Uint8Array(200));
    expect(host.take()).toEqual([{ cid: b, ...err(CTAPHID_ERR.ERR_CHANNEL_BUSY) }]);
  });

  it('refuses a partial message on an unallocated channel or channel 0 before buffering it', () => {
    const { host } = setup();
    const b = host.init();
    for (const stranger of [0x12345678, 0]) {
      host.raw(splitMessage(stranger, CTAPHID.PING, new Uint8Array(300))[0]!);
      expect(host.take()).toEqual([{ cid: stranger, ...err(CTAPHID_ERR.ERR_INVALID_CHANNEL) }]);
      // Nothing was buffered: the allocated channel is served at once, not after 500 ms.
      host.send(b, CTAPHID.PING, [7]);
      expect(host.take()).toEqual([{ cid: b, cmd: CTAPHID.PING, data: Uint8Array.of(7) }]);
    }
    // The broadcast channel carries INIT only.
    host.raw(splitMessage(BROADCAST_CID, CTAPHID.PING, new Uint8Array(300))[0]!);
    expect(host.take()).toEqual([{ cid: BROADCAST_CID, ...err(CTAPHID_ERR.ERR_INVALID_CHANNEL) }]);
    host.send(b, CTAPHID.PING, [8]);
    expect(host.last()).toMatchObject({ cid: b, cmd: CTAPHID.PING });
  });

  it('drops a LOCK with its channel when the channel is evicted', () => {
    const { host } = setup({}, 3);
    const locker = host.init();
    host.send(locker, CTAPHID.LOCK, [10]);
    expect(host.last()).toMatchObject({ cid: locker, cmd: CTAPHID.LOCK });
    const others = [host.init(), host.init(), host.init()];
    // The locker was the least recently used: evicted, and its lock with it.
    host.send(locker, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: locker, ...err(CTAPHID_ERR.ERR_INVALID_CHANNEL) });
    host.send(others[2]!, CTAPHID.PING, [2]);
    expect(host.last()).toEqual({ cid: others[2], cmd: CTAPHID.PING, data: Uint8Array.of(2) });
  });

  it('evicts the least recently used idle channel, never one mid-transaction', async () => {
    let finish: ((r: Uint8Array) => void) | undefined;
    const { host, fw } = setup({ vendor: () => new Promise((r) => (finish = r)) }, 3);
    const a = host.init();
    const b = host.init();
    const c = host.init();
    // a is used again, so b is now the least recently used.
    host.send(a, CTAPHID.PING, [1]);
    host.take();
    host.init();
    host.send(b, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: b, ...err(CTAPHID_ERR.ERR_INVALID_CHANNEL) });
    host.send(a, CTAPHID.PING, [1]);
    expect(host.last()).toMatchObject({ cid: a, cmd: CTAPHID.PING });

    // c waits for its handler (a touch, say) while 300 INITs come in: c is not evicted.
    host.send(c, 0x40, []);
    expect(fw.busy).toBe(true);
    for (let i = 0; i < 300; i++) host.send(BROADCAST_CID, CTAPHID.INIT, [i & 0xff, 1, 2, 3, 4, 5, 6, 7]);
    host.take();
    finish?.(Uint8Array.of(0x90));
    await host.settle(3);
    expect(host.take()).toEqual([{ cid: c, cmd: 0x40, data: Uint8Array.of(0x90) }]);
    host.send(c, CTAPHID.PING, [5]);
    expect(host.take()).toEqual([{ cid: c, cmd: CTAPHID.PING, data: Uint8Array.of(5) }]);
  });
});

describe('CTAPHID channels: replies go to the host that allocated the channel', () => {
  /** Two hosts on one device, each told apart by the peer the endpoint passes along. */
  function twoPeers(handlers: CtapHidHandlers = {}) {
    const { env, clock } = createTestEnvironment({ startMs: 1_000_000 });
    const timers = new ManualTimers(clock);
    const fw = new CtapHidFirmware({ ...env, timers }, handlers);
    const inbox = new Map<string | undefined, { cid: number; cmd: number; data: Uint8Array }[]>();
    const assemblers = new Map<string | undefined, CtapHidAssembler>();
    fw.attach((report, to) => {
      const asm = assemblers.get(to) ?? new CtapHidAssembler();
      assemblers.set(to, asm);
      const r = asm.push(report);
      if (r.kind === 'message') inbox.set(to, [...(inbox.get(to) ?? []), { cid: r.cid, cmd: r.cmd, data: r.data }]);
    });
    const send = (from: string, cid: number, cmd: number, data: number[] | Uint8Array): void => {
      for (const p of splitMessage(cid, cmd, Uint8Array.from(data))) fw.receive(p, from);
    };
    const take = (peer: string) => {
      const got = inbox.get(peer) ?? [];
      inbox.delete(peer);
      return got;
    };
    const init = (peer: string): number => {
      send(peer, BROADCAST_CID, CTAPHID.INIT, [1, 2, 3, 4, 5, 6, 7, 8]);
      const m = take(peer).pop()!;
      return new DataView(m.data.buffer, m.data.byteOffset).getUint32(8);
    };
    return { fw, send, take, init, inbox };
  }

  it('answers on a channel go to its owner; other peers cannot use or re-init it', () => {
    const { send, take, init, inbox } = twoPeers();
    const a = init('10.0.0.1:7000');
    const b = init('10.0.0.2:7000');
    send('10.0.0.1:7000', a, CTAPHID.PING, [1]);
    expect(take('10.0.0.1:7000')).toEqual([{ cid: a, cmd: CTAPHID.PING, data: Uint8Array.of(1) }]);
    // A stranger speaking on a's channel is not served and a never hears of it.
    send('10.0.0.9:9', a, CTAPHID.PING, [2]);
    send('10.0.0.9:9', a, CTAPHID.INIT, [1, 1, 1, 1, 1, 1, 1, 1]);
    expect(take('10.0.0.1:7000')).toEqual([]);
    expect(take('10.0.0.9:9')).toEqual([]);
    send('10.0.0.2:7000', b, CTAPHID.PING, [3]);
    expect(take('10.0.0.2:7000')).toEqual([{ cid: b, cmd: CTAPHID.PING, data: Uint8Array.of(3) }]);
    expect([...inbox.keys()]).toEqual([]);
  });
});

describe('CTAPHID assembler', () => {
  it('ignores continuation packets of another channel while a message is in progress', () => {
    const asm = new CtapHidAssembler();
    const mine = splitMessage(1, CTAPHID.PING, new Uint8Array(200));
    const theirs = splitMessage(2, CTAPHID.PING, new Uint8Array(200));
    expect(asm.push(mine[0]!).kind).toBe('pending');
    expect(asm.push(theirs[0]!)).toMatchObject({ kind: 'error', code: CTAPHID_ERR.ERR_CHANNEL_BUSY });
    for (const p of theirs.slice(1)) expect(asm.push(p).kind).toBe('ignored');
    for (const p of mine.slice(1, -1)) expect(asm.push(p).kind).toBe('pending');
    expect(asm.push(mine.at(-1)!)).toMatchObject({ kind: 'message', cid: 1, data: new Uint8Array(200) });
  });
});
