/**
 * Fuzz: 100,000 random and mutated CTAPHID reports into the authenticator in memory. The
 * device must never throw out of `receive`, and must still answer a valid INIT + getInfo.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom, createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { BROADCAST_CID, CTAPHID, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from '../support/ctaphid-host.js';
import { ManualTimers } from '../support/manual-timers.js';

describe('CTAPHID fuzz', () => {
  it('survives 100k random and mutated reports and still answers INIT + getInfo', async () => {
    const { env, clock } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1) });
    const timers = new ManualTimers(clock);
    const fido = await FidoAuthenticator.create({ ...env, timers });
    let out = 0;
    const channels: Uint8Array[] = [];
    let timeouts = 0;
    fido.hid.attach((r) => {
      out++;
      // Remember channels the device allocated (INIT replies on broadcast), to aim mutations at them.
      if (r[4] === 0xbf && r[7] === 0x05) timeouts++;
      if (r[4] === 0x86 && r[0] === 0xff && r[1] === 0xff && r[2] === 0xff && r[3] === 0xff) channels.push(r.slice(15, 19));
    });
    const rnd = new SeededRandom('fuzz');
    const pool = rnd.bytes(64 * 100_000);
    // Valid-looking seeds to mutate: INITs, CBOR getInfo/makeCredential, MSG, PING, CANCEL.
    const seeds: Uint8Array[] = [
      ...splitMessage(BROADCAST_CID, CTAPHID.INIT, new Uint8Array(8)),
      ...splitMessage(0x01020304, CTAPHID.CBOR, Uint8Array.of(4)),
      ...splitMessage(0x01020304, CTAPHID.CBOR, new Uint8Array([1, ...encodeCbor(new Map<number, unknown>([[1, new Uint8Array(32)], [2, new Map([['id', 'x']])]]))])),
      ...splitMessage(0x01020304, CTAPHID.MSG, new Uint8Array([0, 1, 0, 0, 0, 0, 64, ...new Uint8Array(64)])),
      ...splitMessage(0x01020304, CTAPHID.PING, new Uint8Array(200)),
      ...splitMessage(0x01020304, CTAPHID.CANCEL, new Uint8Array(0)),
    ];
    let thrown = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = pool.subarray(i * 64, i * 64 + 64);
      let report: Uint8Array;
      const mode = r[0]! % 8;
      if (mode === 0) report = r;
      else {
        report = seeds[r[1]! % seeds.length]!.slice();
        for (let k = 0; k < 1 + (r[2]! % 4); k++) report[r[3 + k]! % 64] = r[10 + k]!;
        if (mode === 1) report.set([0xff, 0xff, 0xff, 0xff], 0);
        else if (mode >= 2 && mode <= 5 && channels.length > 0) report.set(channels[r[30]! % channels.length]!, 0);
      }
      if (r[20]! < 3) report = report.subarray(0, r[21]! % 64); // wrong-length reports too
      try {
        fido.hid.receive(report);
      } catch {
        thrown++;
      }
      // Let partial messages time out now and then, so the device is not busy forever.
      if (i % 5 === 0) timers.advance(600);
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(thrown).toBe(0);
    expect(out).toBeGreaterThan(1000);
    // The device kept allocating channels and timing out partial messages throughout.
    expect(channels.length).toBeGreaterThan(1000);
    expect(timeouts).toBeGreaterThan(1000);
    // Let pending requests finish, then a clean INIT + getInfo must work.
    timers.advance(60_000);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    fido.powerCycle();
    const fresh = new TestHidHost(fido.hid);
    const cid = fresh.init();
    fresh.send(cid, CTAPHID.CBOR, [4]);
    await fresh.waitFor(CTAPHID.CBOR);
    const reply = fresh.take().find((m) => m.cmd === CTAPHID.CBOR)!;
    expect(reply.data[0]).toBe(0);
    expect((decodeCbor(reply.data.subarray(1)) as Map<number, unknown>).get(1)).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
  }, 30_000);
});

describe('CTAP2 request fuzz', () => {
  it('answers every mutated CTAP2 request with a status byte, never an internal error', async () => {
    const { env, clock } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1) });
    const timers = new ManualTimers(clock);
    const fido = await FidoAuthenticator.create({ ...env, timers });
    const host = new TestHidHost(fido.hid);
    const cid = host.init();
    const cdh = new Uint8Array(32);
    const seeds = [
      Uint8Array.from([1, ...encodeCbor(new Map<number, unknown>([[1, cdh], [2, new Map([['id', 'a.example']])], [3, new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'n']])], [4, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]], [7, new Map([['rk', true]])]]))]),
      Uint8Array.from([2, ...encodeCbor(new Map<number, unknown>([[1, 'a.example'], [2, cdh], [3, [new Map<string, unknown>([['id', new Uint8Array(61)], ['type', 'public-key']])]], [5, new Map([['up', false]])]]))]),
      Uint8Array.from([6, ...encodeCbor(new Map<number, unknown>([[1, 2], [2, 3], [3, new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(32)], [-3, new Uint8Array(32)]])], [4, new Uint8Array(32)], [5, new Uint8Array(80)]]))]),
      Uint8Array.from([6, ...encodeCbor(new Map<number, unknown>([[1, 1], [2, 9], [6, new Uint8Array(16)], [9, 3], [10, 'a.example']]))]),
      Uint8Array.of(4),
      Uint8Array.of(8),
    ];
    const rnd = new SeededRandom('ctap2-fuzz');
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const r = rnd.bytes(16);
      const msg = seeds[r[0]! % seeds.length]!.slice();
      for (let k = 0; k < 1 + (r[1]! % 3); k++) msg[(r[2 + k]! * 7 + r[8 + k]!) % msg.length] = r[5 + k]!;
      host.send(cid, CTAPHID.CBOR, msg);
      await host.waitFor(CTAPHID.CBOR);
      const reply = host.take().find((m) => m.cmd === CTAPHID.CBOR || m.cmd === CTAPHID.ERROR)!;
      expect(reply.cmd).toBe(CTAPHID.CBOR);
      statuses.set(reply.data[0]!, (statuses.get(reply.data[0]!) ?? 0) + 1);
    }
    expect(statuses.get(0x7f)).toBeUndefined(); // CTAP1_ERR_OTHER: an exception escaped a handler
    expect(statuses.get(0x00)).toBeGreaterThan(0);
    expect(statuses.get(0x12)).toBeGreaterThan(0); // INVALID_CBOR
    expect(statuses.size).toBeGreaterThan(5);
  }, 30_000);
});
