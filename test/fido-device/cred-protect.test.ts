/**
 * The credProtect (CTAP 2.1 §12.1) and minPinLength (§12.4) extensions on the simulated key:
 * credProtect's three levels enforced in getAssertion with and without an allowList, with and
 * without user verification, for resident and non-resident credentials, and in the
 * excludeList of makeCredential; minPinLength answered only to the RPs allowed to read it.
 */
import { describe, expect, it } from 'vitest';
import { type M, type Sim, cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const CONFIG = 0x0d;
const P2 = PIN_PROTOCOL_TWO;

/** A key with a PIN; `make` creates a credential with the given credProtect level. */
async function keyWithPin(profile: Parameters<typeof simulatedAuthenticator>[0] = {}) {
  const sim = await simulatedAuthenticator(profile);
  const pin = pinClient(sim);
  await pin.setPin();
  const uvParams = async (permission: number): Promise<[number, unknown][]> => {
    const t = await pin.token('1234', permission, 'example.com');
    return [[permission === 0x01 ? 8 : 6, P2.authenticate(t.token!, cdh)], [permission === 0x01 ? 9 : 7, 2]];
  };
  const make = async (level: number | undefined, rk: boolean, userId = 1) => {
    const extra: [number, unknown][] = [[3, new Map<string, unknown>([['id', Uint8Array.of(userId)], ['name', `u${userId}`]])], ...(await uvParams(0x01))];
    if (level !== undefined) extra.push([6, new Map([['credProtect', level]])]);
    const made = await sim.cbor(MC, mcParams(extra, rk));
    expect(made.status).toBe(0);
    sim.clock.advance(1000); // so "newest first" has an order to follow
    return parseAuthData(made.body!.get(2) as Uint8Array);
  };
  /** getAssertion status and the credential it asserted. */
  const assert = async (allow: Uint8Array[] | undefined, uv: boolean) => {
    const extra: [number, unknown][] = allow === undefined ? [] : [[3, allow.map(descriptor)]];
    if (uv) extra.push(...(await uvParams(0x02)));
    const r = await sim.cbor(GA, gaParams(extra));
    return { status: r.status, id: r.status === 0 ? ((r.body!.get(1) as M).get('id') as Uint8Array) : undefined, count: r.body?.get(5) };
  };
  return { sim, pin, make, assert, uvParams };
}

describe('credProtect (CTAP 2.1 §12.1)', () => {
  it('outputs the level it stored, ED flag set; a level outside 1..3 is INVALID_OPTION, a non-integer CBOR_UNEXPECTED_TYPE', async () => {
    const { sim, make } = await keyWithPin();
    for (const level of [1, 2, 3]) {
      const a = await make(level, false);
      expect(a.flags & 0x80).toBe(0x80);
      expect(a.extensions).toEqual(new Map([['credProtect', level]]));
    }
    const plain = await make(undefined, false);
    expect(plain.flags & 0x80).toBe(0);
    expect(await sim.status(MC, mcParams([[6, new Map([['credProtect', 4]])]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(MC, mcParams([[6, new Map([['credProtect', 0]])]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(MC, mcParams([[6, new Map([['credProtect', 'required']])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });

  it('resident credentials without an allowList: level 1 always, levels 2 and 3 only with UV', async () => {
    for (const [level, withoutUv] of [[1, 0], [2, S.CTAP2_ERR_NO_CREDENTIALS], [3, S.CTAP2_ERR_NO_CREDENTIALS]] as const) {
      const { make, assert } = await keyWithPin();
      const a = await make(level, true);
      expect((await assert(undefined, false)).status).toBe(withoutUv);
      const found = await assert(undefined, true);
      expect(found.status).toBe(0);
      expect(found.id).toEqual(a.credId);
    }
  });

  it('with an allowList: levels 1 and 2 without UV, level 3 only with UV (resident and non-resident alike)', async () => {
    for (const rk of [true, false]) {
      for (const [level, withoutUv] of [[1, 0], [2, 0], [3, S.CTAP2_ERR_NO_CREDENTIALS]] as const) {
        const { make, assert } = await keyWithPin();
        const a = await make(level, rk);
        expect((await assert([a.credId!], false)).status).toBe(withoutUv);
        expect((await assert([a.credId!], true)).status).toBe(0);
      }
    }
  });

  it('an allowList takes the first credential that applies; a resident lookup lists only those that apply', async () => {
    const { make, assert } = await keyWithPin();
    const required = await make(3, true, 1);
    const optional = await make(1, true, 2);
    const listed = await make(2, true, 3);
    const pick = await assert([required.credId!, optional.credId!], false);
    expect(pick.id).toEqual(optional.credId);
    const withoutUv = await assert(undefined, false);
    expect(withoutUv.id).toEqual(optional.credId);
    expect(withoutUv.count).toBeUndefined();
    const withUv = await assert(undefined, true);
    expect(withUv.count).toBe(3);
    expect(withUv.id).toEqual(listed.credId); // newest first
  });

  it('excludeList (§6.1.2 step 12): a level-3 credential excludes only under UV', async () => {
    const { sim, make, uvParams } = await keyWithPin({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, makeCredUvNotRqd: true } } });
    const a = await make(3, false);
    expect(await sim.status(MC, mcParams([[5, [descriptor(a.credId!)]]]))).toBe(0);
    expect(await sim.status(MC, mcParams([[5, [descriptor(a.credId!)]], ...(await uvParams(0x01))]))).toBe(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
    const b = await make(2, false);
    expect(await sim.status(MC, mcParams([[5, [descriptor(b.credId!)]]]))).toBe(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  });

  it('is ignored by a profile without it: no output, no protection', async () => {
    const sim = await simulatedAuthenticator({ profile: { extensions: [] } });
    const made = await sim.cbor(MC, mcParams([[6, new Map([['credProtect', 3]])]], true));
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x80).toBe(0);
    expect(await sim.status(GA, gaParams())).toBe(0);
  });
});

describe('minPinLength (CTAP 2.1 §12.4)', () => {
  const minPinLengthOf = async (sim: Sim, rpId: string, input: unknown = true) => {
    const made = await sim.cbor(MC, mcParams([[2, new Map([['id', rpId]])], [6, new Map([['minPinLength', input]])]]));
    expect(made.status).toBe(0);
    return parseAuthData(made.body!.get(2) as Uint8Array).extensions?.get('minPinLength');
  };

  it('answers the current minimum only to RPs allowed to read it: pre-configured or named by setMinPINLength', async () => {
    const sim = await simulatedAuthenticator({ profile: { minPinLengthRPIDs: ['preset.example'], limits: { minPINLength: 5 } } });
    expect(await minPinLengthOf(sim, 'preset.example')).toBe(5);
    expect(await minPinLengthOf(sim, 'preset.example', false)).toBeUndefined();
    expect(await minPinLengthOf(sim, 'example.com')).toBeUndefined();
    // No PIN yet: authenticatorConfig needs no pinUvAuthParam.
    const params = new Map<number, unknown>([[1, 6], [2, ['example.com']]]);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, params]]))).toBe(0);
    expect(await minPinLengthOf(sim, 'example.com')).toBe(6);
    expect(await minPinLengthOf(sim, 'preset.example')).toBe(6);
    expect(await sim.status(MC, mcParams([[6, new Map([['minPinLength', 1]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});
