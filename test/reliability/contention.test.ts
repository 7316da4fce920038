/**
 * Many hosts share one simulated key (each a CtapHidDevice on its own channel) and every
 * answer must belong to its own request: N = 2, 4, 8 hosts × 300 mixed makeCredential and
 * getAssertion calls each, over every way of sharing in test/support/contention.ts.
 */
import { describe, expect, it } from 'vitest';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { CONTENTION_TRANSPORTS } from '../support/contention.js';
import { newTally, runHostWorkload } from '../support/fido-workload.js';

const ROUNDS = 300;

describe('hosts sharing one key get their own answers, and only those', () => {
  for (const transport of CONTENTION_TRANSPORTS) {
    for (const hosts of [2, 4, 8]) {
      it(`${transport.name}: ${hosts} hosts × ${ROUNDS} calls, zero wrong`, async () => {
        const key = await transport.connect(hosts);
        try {
          const devices = await Promise.all(key.transports.map((t) => CtapHidDevice.open(t, { timeoutMs: 30_000 })));
          expect(new Set(devices.map((d) => d.info.cid)).size).toBe(hosts);
          const tally = newTally();
          await Promise.all(devices.map((d, i) => runHostWorkload(new Ctap2(d), `host${i}`, ROUNDS, tally)));
          expect([...tally.notes, ...tally.failures]).toEqual([]);
          expect({ ok: tally.ok, wrong: tally.wrong, failed: tally.failed }).toEqual({ ok: hosts * ROUNDS, wrong: 0, failed: 0 });
        } finally {
          await key.close();
        }
      }, 120_000);
    }
  }
});
