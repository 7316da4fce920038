/**
 * The yubikey-bio personality against a real YubiKey Bio: its getInfo, in the same state
 * (PIN set, one finger enrolled, four discoverable credentials), equals the response captured
 * from the real key (test/vectors/yubikey-bio-getinfo.json) except for the members this
 * personality leaves out, each named here. A member that starts to differ, or a gap
 * that closes without the profile catching up, fails the test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { type M, bioKey, mcParams } from '../support/fido-sim.js';

const vector = JSON.parse(readFileSync(join(import.meta.dirname, '../vectors/yubikey-bio-getinfo.json'), 'utf8')) as { response: string };

/**
 * Where the personality differs: credBlob is left out (sealed in the credential ID, 32 bytes of
 * it would break the real key's maxCredentialIdLength of 128), and with alwaysUv on this
 * firmware turns U2F off and drops U2F_V2 from versions (as OpenSK does), where the captured
 * YubiKey Bio still lists it.
 */
const NOT_YET = {
  members: ['0x01 versions', '0x02 extensions', '0x0f maxCredBlobLength'],
  options: [] as string[],
};

describe('the yubikey-bio personality', () => {
  it('reports what a YubiKey Bio reports, but for credBlob', async () => {
    const real = decodeCbor(Buffer.from(vector.response, 'hex')) as M;
    const key = await bioKey();
    await key.login();
    await key.enroll();
    for (let i = 0; i < 4; i++) {
      const user = new Map<string, unknown>([['id', Uint8Array.of(i)], ['name', `u${i}`]]);
      const t = (await key.pin.token('1234', 0x01)).token!;
      const p = mcParams([[3, user], [7, new Map([['rk', true]])], [8, key.pin.protocol.authenticate(t, mcParams().get(1) as Uint8Array)], [9, 2]]);
      expect(await key.sim.status(0x01, p)).toBe(0);
    }
    // The captured key had alwaysUv turned on (authenticatorConfig toggleAlwaysUv, §6.11.2).
    const acfg = (await key.pin.token('1234', 0x20)).token!;
    const message = Buffer.concat([Buffer.alloc(32, 0xff), Buffer.from([0x0d, 0x02])]);
    expect(await key.sim.status(0x0d, new Map<number, unknown>([[1, 0x02], [3, 2], [4, key.pin.protocol.authenticate(acfg, message)]]))).toBe(0);
    const ours = (await key.sim.cbor(0x04)).body!;
    const name = (k: number) => `0x${k.toString(16).padStart(2, '0')}`;
    const differing: string[] = [];
    for (const k of new Set([...real.keys(), ...ours.keys()] as number[])) {
      if (k === 4) continue;
      const same = real.has(k) && ours.has(k) && Buffer.from(encodeCbor(real.get(k))).equals(encodeCbor(ours.get(k)));
      if (!same) differing.push(name(k));
    }
    const realOptions = real.get(4) as Map<string, boolean>;
    const ourOptions = ours.get(4) as Map<string, boolean>;
    const optionGaps = [...new Set([...realOptions.keys(), ...ourOptions.keys()])].filter((o) => realOptions.get(o) !== ourOptions.get(o)).sort();
    expect(differing).toEqual(NOT_YET.members.map((m) => m.split(' ')[0]));
    expect(optionGaps).toEqual(NOT_YET.options);
    // Of the differing members, ours is a subset of the real key's, in its order.
    expect(ours.get(0x01)).toEqual((real.get(0x01) as string[]).filter((v) => v !== 'U2F_V2'));
    expect(ours.get(0x02)).toEqual((real.get(0x02) as string[]).filter((e) => e !== 'credBlob'));
    expect(ours.get(0x14)).toBe(21);
    expect(ours.get(0x0e)).toBe(real.get(0x0e));
  });
});
