/**
 * Interop: Debian's python3-fido2 (0.9) drives the simulated authenticator over UDP HID, as it
 * would a SoloKeys simulator, and verifies packed and U2F attestation and every signature
 * itself. Skipped with a reason locally when python3-fido2 is absent; CI=true makes it fail.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FidoKey, startFidoKey } from '../../src/sim/index.js';
import { peers, runPython } from '../support/peer.js';

describe('python3-fido2 peer over UDP HID', () => {
  let sim: FidoKey | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('runs getInfo, makeCredential, getAssertion, U2F and clientPin (protocols 1 and 2) against the simulator', async (ctx) => {
    peers.pythonFido2.require(ctx);
    sim = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
    const r = await runPython(join(import.meta.dirname, 'fido2_udp_peer.py'), [sim.endpoints.hid!.split(':')[2]!]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ping).toBe(true);
    expect(out.capabilities & 0x04).toBe(0x04);
    expect(out.info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    expect(out.info.pinUvProtocols).toEqual([2, 1]);
    expect(out.makeCredential).toMatchObject({ fmt: 'packed', attestationVerified: true, flags: 0x41 });
    expect(out.getAssertion).toEqual({ verified: true, counters: [1, 2] });
    expect(out.residentAssertions).toEqual({ count: 2, users: ['rk-1', 'rk-2'] });
    expect(out.u2f).toEqual({ version: 'U2F_V2', registered: true, checkOnly: '0x6985', authenticated: true, counter: 1 });
    for (const v of ['1', '2']) {
      expect(out.clientPin[v]).toEqual({ uvFlag: true, withoutPin: 'PIN_REQUIRED', wrongPin: 'PIN_INVALID', retries: 7 });
    }
  });
});
