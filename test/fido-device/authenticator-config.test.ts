/**
 * authenticatorConfig on the simulated key (CTAP 2.1 §6.11): the acfg permission and each
 * refusal; toggleAlwaysUv and what alwaysUv does to makeCredential (§6.1.2 step 6),
 * getAssertion (§6.2.2 step 5), U2F and getInfo; setMinPINLength with forcePINChange and
 * what that does to clientPIN; enableEnterpriseAttestation and enterprise attestation in
 * makeCredential (§6.1.2 step 9, §7.1), vendor-facilitated and platform-managed; reset brings
 * back the factory settings, a restart keeps them.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../firmware-sim/env/index.js';
import { authMessage } from '../../src/protocol/auth-message.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { type M, type Sim, cdh, gaParams, mcParams, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const INFO = 0x04;
const PIN = 0x06;
const RESET = 0x07;
const CONFIG = 0x0d;
const SUB = { ep: 1, alwaysUv: 2, minPin: 3 } as const;
const ACFG = 0x20;
const P2 = PIN_PROTOCOL_TWO;

const info = async (sim: Sim): Promise<M> => (await sim.cbor(INFO)).body!;
const options = async (sim: Sim): Promise<M> => (await info(sim)).get(4) as M;

/** authenticatorConfig `sub` with `params`, authenticated by `token` when given. */
function config(sim: Sim, sub: number, params?: Map<number, unknown>, token?: Uint8Array) {
  const m = new Map<number, unknown>([[1, sub]]);
  if (params !== undefined) m.set(2, params);
  if (token !== undefined) {
    m.set(3, 2);
    m.set(4, P2.authenticate(token, authMessage([...new Array<number>(32).fill(0xff), 0x0d, sub], params as Map<never, never> | undefined)));
  }
  return sim.status(CONFIG, m);
}

async function withPin(pinCode = '1234', profile?: Parameters<typeof simulatedAuthenticator>[0]) {
  const sim = await simulatedAuthenticator(profile);
  const pin = pinClient(sim);
  await pin.setPin(pinCode);
  const token = async (permissions = ACFG, p = pinCode) => (await pin.token(p, permissions)).token!;
  return { sim, pin, token };
}

describe('authenticatorConfig authorization (§6.11)', () => {
  it('an unprotected key configures without a pinUvAuthParam; a protected one needs one with the acfg permission', async () => {
    const open = await simulatedAuthenticator();
    expect(await config(open, SUB.alwaysUv)).toBe(0);
    const { sim, token } = await withPin();
    expect(await config(sim, SUB.alwaysUv)).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 2], [4, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 2], [3, 7], [4, new Uint8Array(32)]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 2], [3, 2], [4, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await config(sim, SUB.alwaysUv, undefined, await token(0x04))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID); // cm, not acfg
    // The message covers the parameters: a param made for other ones fails.
    const t = await token();
    const good = new Map<number, number>([[1, 6]]);
    const m = new Map<number, unknown>([[1, 3], [2, new Map([[1, 7]])], [3, 2], [4, P2.authenticate(t, authMessage([...new Array<number>(32).fill(0xff), 0x0d, 3], good))]]);
    expect(await sim.status(CONFIG, m)).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await config(sim, SUB.minPin, good, t)).toBe(0);
    expect(await config(sim, SUB.alwaysUv, undefined, t)).toBe(0);
  });

  it('refuses what it does not have: unknown and vendor sub-commands, toggleAlwaysUv without alwaysUv, setMinPINLength without setMinPINLength; a key without authnrCfg has no 0x0D', async () => {
    const sim = await simulatedAuthenticator();
    expect(await config(sim, 4)).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await config(sim, 0xff, new Map([[1, 1]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    const bare = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, authnrCfg: true } } });
    expect(await config(bare, SUB.alwaysUv)).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await config(bare, SUB.minPin, new Map([[1, 6]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await config(bare, SUB.ep)).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // not capable of enterprise attestation
    const none = await simulatedAuthenticator({ profile: { options: { rk: true, up: true } } });
    expect(await config(none, SUB.alwaysUv)).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });

  it('types its parameters: CBOR_UNEXPECTED_TYPE and MISSING_PARAMETER', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(CONFIG, new Map([[2, new Map()]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CONFIG, new Map([[1, 'toggle']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, [6]]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, new Map([[1, '6']])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, new Map([[2, 'a.example']])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, new Map([[2, [7]]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 3], [2, new Map([[3, 1]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CONFIG, new Map<number, unknown>([[1, 2], [3, 2], [4, 'param']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('toggleAlwaysUv (§6.11.2) and what alwaysUv does', () => {
  it('getInfo: alwaysUv true, makeCredUvNotRqd false, no U2F_V2; U2F is off', async () => {
    const sim = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, authnrCfg: true, alwaysUv: false, makeCredUvNotRqd: true } } });
    const before = await options(sim);
    expect([before.get('alwaysUv'), before.get('makeCredUvNotRqd')]).toEqual([false, true]);
    expect(await config(sim, SUB.alwaysUv)).toBe(0);
    const i = await info(sim);
    expect((i.get(4) as M).get('alwaysUv')).toBe(true);
    expect((i.get(4) as M).get('makeCredUvNotRqd')).toBe(false);
    expect(i.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1']);
    sim.host.send(sim.cid(), CTAPHID.MSG, [0, 3, 0, 0, 0, 0, 0]);
    await sim.host.waitFor(CTAPHID.MSG);
    expect(sim.host.last()).toMatchObject({ cmd: CTAPHID.ERROR, data: Uint8Array.of(0x01) });
    expect(await config(sim, SUB.alwaysUv)).toBe(0); // turning it off needs no UV the key cannot give
    expect((await info(sim)).get(1)).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    const version = await sim.u2f([0, 3, 0, 0, 0, 0, 0]);
    expect(Buffer.from(version.subarray(0, -2)).toString()).toBe('U2F_V2');
  });

  it('without a PIN: makeCredential and a getAssertion with a touch are PIN_NOT_SET; a silent (up=false) check still runs', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams())).toBe(0);
    expect(await config(sim, SUB.alwaysUv)).toBe(0);
    expect(await sim.status(MC, mcParams())).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    expect(await sim.status(GA, gaParams())).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    expect(await sim.status(GA, gaParams([[5, new Map([['up', false]])]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('with a PIN: operations without a pinUvAuthParam are PUAT_REQUIRED, with one they run; config itself needs the token', async () => {
    const { sim, pin, token } = await withPin();
    expect(await config(sim, SUB.alwaysUv, undefined, await token())).toBe(0);
    expect(await sim.status(MC, mcParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await sim.status(GA, gaParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    const mc = (await pin.token('1234', 0x01)).token!;
    expect(await sim.status(MC, mcParams([[8, P2.authenticate(mc, cdh)], [9, 2]], true))).toBe(0);
    const ga = (await pin.token('1234', 0x02)).token!;
    expect(await sim.status(GA, gaParams([[6, P2.authenticate(ga, cdh)], [7, 2]]))).toBe(0);
    expect(await config(sim, SUB.alwaysUv)).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
  });
});

describe('setMinPINLength (§6.11.4) and forcePINChange', () => {
  it('raises the minimum: getInfo says so, a shorter new PIN is PIN_POLICY_VIOLATION; lowering it is PIN_POLICY_VIOLATION too', async () => {
    const sim = await simulatedAuthenticator();
    expect((await info(sim)).get(13)).toBe(4);
    expect(await config(sim, SUB.minPin, new Map([[1, 6]]))).toBe(0);
    expect((await info(sim)).get(13)).toBe(6);
    expect((await info(sim)).get(12)).toBe(false);
    const pin = pinClient(sim);
    expect(await sim.status(PIN, await pin.setPinParams('12345'))).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect(await sim.status(PIN, await pin.setPinParams('123456'))).toBe(0);
    const t = (await pin.token('123456', ACFG)).token!;
    expect(await config(sim, SUB.minPin, new Map([[1, 5]]), t)).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect(await config(sim, SUB.minPin, new Map([[1, 64]]), t)).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect(await config(sim, SUB.minPin, new Map([[2, ['a', 'b', 'c', 'd', 'e']]]), t)).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // maxRPIDsForSetMinPINLength 4
    expect(await config(sim, SUB.minPin, undefined, t)).toBe(0); // nothing changes
    expect((await info(sim)).get(13)).toBe(6);
  });

  it('a PIN shorter than the new minimum must be changed: tokens are PIN_POLICY_VIOLATION until changePIN, which clears forcePINChange', async () => {
    const { sim, pin, token } = await withPin('1234');
    expect(await config(sim, SUB.minPin, new Map([[1, 6]]), await token())).toBe(0);
    expect((await info(sim)).get(12)).toBe(true);
    expect((await pin.token('1234', 0x01)).status).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect((await pin.token('1234')).status).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION); // getPinToken too
    const change = async (from: string, to: string) => {
      const k = await pin.shared();
      const newPinEnc = pin.enc(k, pin.padPin(to));
      const pinHashEnc = pin.enc(k, pin.pinHash(from));
      const message = new Uint8Array([...newPinEnc, ...pinHashEnc]);
      return sim.status(PIN, new Map<number, unknown>([[1, 2], [2, 4], [3, pin.hostCose], [4, P2.authenticate(k, message)], [5, newPinEnc], [6, pinHashEnc]]));
    };
    expect(await change('1234', '98765')).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect(await change('1234', '987654')).toBe(0);
    expect((await info(sim)).get(12)).toBe(false);
    expect((await pin.token('987654', 0x01)).status).toBe(0);
  });

  it('forceChangePin forces a change to a different PIN; it needs a PIN to change (PIN_NOT_SET)', async () => {
    const open = await simulatedAuthenticator();
    expect(await config(open, SUB.minPin, new Map([[3, true]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    const { sim, pin, token } = await withPin('123456');
    expect(await config(sim, SUB.minPin, new Map([[3, true]]), await token(ACFG, '123456'))).toBe(0);
    expect((await info(sim)).get(12)).toBe(true);
    const same = await (async () => {
      const k = await pin.shared();
      const newPinEnc = pin.enc(k, pin.padPin('123456'));
      const pinHashEnc = pin.enc(k, pin.pinHash('123456'));
      return sim.status(PIN, new Map<number, unknown>([[1, 2], [2, 4], [3, pin.hostCose], [4, P2.authenticate(k, new Uint8Array([...newPinEnc, ...pinHashEnc]))], [5, newPinEnc], [6, pinHashEnc]]));
    })();
    expect(same).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    expect((await info(sim)).get(12)).toBe(true);
  });
});

describe('enterprise attestation (§6.11.1, §6.1.2 step 9, §7.1)', () => {
  const epCert = (made: { body: M | undefined }): X509Certificate => new X509Certificate(((made.body!.get(3) as M).get('x5c') as Uint8Array[])[0]!);

  it('refused until enabled (INVALID_PARAMETER); 1 or 2 only (INVALID_OPTION); then epAtt with a certificate that names the device', async () => {
    const sim = await simulatedAuthenticator();
    expect((await options(sim)).get('ep')).toBe(false);
    expect(await sim.status(MC, mcParams([[10, 1]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await config(sim, SUB.ep)).toBe(0);
    expect((await options(sim)).get('ep')).toBe(true);
    expect(await sim.status(MC, mcParams([[10, 3]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    // Vendor-facilitated: the pre-configured RP gets it, another RP the batch attestation.
    const vendor = await sim.cbor(MC, mcParams([[2, new Map([['id', 'enterprise.example']])], [10, 1]]));
    expect(vendor.body!.get(4)).toBe(true);
    expect(epCert(vendor).subject).toMatch(/CN=tokenrig FIDO2 simulator EA [0-9a-f]{12}/);
    const regular = await sim.cbor(MC, mcParams([[10, 1]]));
    expect(regular.body!.has(4)).toBe(false);
    expect(epCert(regular).subject).toMatch(/CN=tokenrig FIDO2 simulator batch/);
    // Platform-managed: this profile offers it for any RP.
    const platform = await sim.cbor(MC, mcParams([[10, 2]]));
    expect(platform.body!.get(4)).toBe(true);
    expect(epCert(platform).raw).toEqual(epCert(vendor).raw);
    expect(epCert(platform).verify(epCert(platform).publicKey)).toBe(true);
  });

  it('a vendor-facilitated-only key answers platform-managed requests for other RPs with the regular attestation', async () => {
    const sim = await simulatedAuthenticator({ profile: { enterpriseAttestation: { rpIds: ['corp.example'], platformManaged: false } } });
    expect(await config(sim, SUB.ep)).toBe(0);
    expect((await sim.cbor(MC, mcParams([[10, 2]]))).body!.has(4)).toBe(false);
    expect((await sim.cbor(MC, mcParams([[2, new Map([['id', 'corp.example']])], [10, 2]]))).body!.get(4)).toBe(true);
  });
});

describe('settings and the key’s life', () => {
  it('authenticatorReset brings back the factory settings; a restart on the same storage keeps them', async () => {
    const storage = new MemoryStorage();
    const sim = await simulatedAuthenticator({ storage });
    expect(await config(sim, SUB.minPin, new Map([[1, 8]]))).toBe(0);
    expect(await config(sim, SUB.ep)).toBe(0);
    expect(await config(sim, SUB.alwaysUv)).toBe(0);
    const again = await simulatedAuthenticator({ storage });
    const o = await options(again);
    expect([o.get('alwaysUv'), o.get('ep'), (await info(again)).get(13)]).toEqual([true, true, 8]);
    expect(await again.status(RESET)).toBe(0);
    const after = await options(again);
    expect([after.get('alwaysUv'), after.get('ep'), (await info(again)).get(13)]).toEqual([false, false, 4]);
  });
});


