import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment, DenyPresence, ManualPresence, MemoryStorage, ScriptedPresence, type UserPresence } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';
import { encodeCbor } from '../../src/protocol/cbor.js';
import { CTAPHID, KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { TestHidHost } from '../support/ctaphid-host.js';
import { type M, cdh, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { ManualTimers } from '../support/manual-timers.js';

async function setup(options: { presence?: UserPresence; storage?: MemoryStorage; attestation?: 'batch' | 'self' } = {}) {
  return simulatedAuthenticator({ ...options, ...(options.attestation ? { profile: { attestation: options.attestation } } : {}) });
}

const mc = mcParams;
const ga = gaParams;

describe('FIDO authenticator over CTAPHID (memory)', () => {
  it('getInfo lists versions, options, PIN protocols and the AAGUID', async () => {
    const { cbor } = await setup();
    const { status, body } = await cbor(0x04);
    expect(status).toBe(0);
    expect(body!.get(1)).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    expect((body!.get(4) as M).get('clientPin')).toBe(false);
    expect((body!.get(4) as M).get('rk')).toBe(true);
    expect(body!.get(6)).toEqual([2, 1]);
    expect(body!.get(5)).toBe(7609);
    expect(Buffer.from(body!.get(3) as Uint8Array).toString()).toBe('tokenrig-sim-fid');
  });

  it('makes a non-resident credential with packed batch attestation and asserts with rising counters', async () => {
    const { cbor, fido } = await setup();
    const made = await cbor(0x01, mc());
    expect(made.status).toBe(0);
    expect(made.body!.get(1)).toBe('packed');
    const authData = made.body!.get(2) as Uint8Array;
    const att = parseAuthData(authData);
    expect(att.flags).toBe(0x41);
    expect(att.counter).toBe(0);
    const stmt = made.body!.get(3) as M;
    expect(stmt.get('alg')).toBe(-7);
    const cert = (stmt.get('x5c') as Uint8Array[])[0]!;
    expect(cert).toEqual(fido.attestationCertificate);
    // The attestation signature verifies under the certificate's key (last 65 bytes of its SPKI).
    const spki = Buffer.from(cert).indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04]));
    const attPub = cert.slice(spki + 3, spki + 3 + 65);
    const signed = new Uint8Array([...authData, ...cdh]);
    expect(p256.verify(stmt.get('sig') as Uint8Array, signed, attPub, { format: 'der' })).toBe(true);

    for (const expected of [1, 2]) {
      const got = await cbor(0x02, ga([[3, [new Map<string, unknown>([['id', att.credId], ['type', 'public-key']])]]]));
      expect(got.status).toBe(0);
      const ad = got.body!.get(2) as Uint8Array;
      expect(parseAuthData(ad)).toEqual({ flags: 0x01, counter: expected });
      expect(p256.verify(got.body!.get(3) as Uint8Array, new Uint8Array([...ad, ...cdh]), att.pub!, { format: 'der' })).toBe(true);
      expect(got.body!.has(4)).toBe(false);
    }
    // The id does not open for another RP.
    const other = await cbor(0x02, new Map<number, unknown>([[1, 'evil.example'], [2, cdh], [3, [new Map<string, unknown>([['id', att.credId], ['type', 'public-key']])]]]));
    expect(other.status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    // excludeList with that credential: excluded.
    const ex = await cbor(0x01, mc([[5, [new Map<string, unknown>([['id', att.credId], ['type', 'public-key']])]]]));
    expect(ex.status).toBe(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  });

  it('self attestation signs with the credential key and has no x5c', async () => {
    const { cbor } = await setup({ attestation: 'self' });
    const made = await cbor(0x01, mc());
    const stmt = made.body!.get(3) as M;
    expect(stmt.has('x5c')).toBe(false);
    const authData = made.body!.get(2) as Uint8Array;
    expect(p256.verify(stmt.get('sig') as Uint8Array, new Uint8Array([...authData, ...cdh]), parseAuthData(authData).pub!, { format: 'der' })).toBe(true);
  });

  it('finds resident credentials without allowList, newest first, with getNextAssertion, and keeps them over a restart', async () => {
    const storage = new MemoryStorage();
    const a = await setup({ storage });
    for (const user of [1, 2]) {
      const r = await a.cbor(0x01, mc([[3, new Map<string, unknown>([['id', Uint8Array.of(user)], ['name', `u${user}`]])]], true));
      expect(r.status).toBe(0);
      a.clock.advance(1000);
    }
    // Same user again replaces, not adds.
    expect((await a.cbor(0x01, mc([[3, new Map<string, unknown>([['id', Uint8Array.of(2)], ['name', 'u2']])]], true))).status).toBe(0);
    expect(a.fido.residentCount).toBe(2);
    const b = await setup({ storage });
    const first = await b.cbor(0x02, ga());
    expect(first.status).toBe(0);
    expect(first.body!.get(5)).toBe(2);
    expect((first.body!.get(4) as M).get('id')).toEqual(Uint8Array.of(2));
    const second = await b.cbor(0x08);
    expect((second.body!.get(4) as M).get('id')).toEqual(Uint8Array.of(1));
    expect((await b.cbor(0x08)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    expect((await b.cbor(0x02, new Map<number, unknown>([[1, 'nobody.example'], [2, cdh]]))).status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('keeps one signature counter per credential over restarts, honours the retired counters document, and reset removes them', async () => {
    const storage = new MemoryStorage();
    const a = await setup({ storage });
    const idOf = async (user: number): Promise<Uint8Array> =>
      parseAuthData((await a.cbor(0x01, mc([[3, new Map<string, unknown>([['id', Uint8Array.of(user)], ['name', `u${user}`]])]]))).body!.get(2) as Uint8Array).credId!;
    const [one, two] = [await idOf(1), await idOf(2)];
    const assert = async (s: Awaited<ReturnType<typeof setup>>, id: Uint8Array): Promise<number> =>
      parseAuthData((await s.cbor(0x02, ga([[3, [new Map<string, unknown>([['id', id], ['type', 'public-key']])]]]))).body!.get(2) as Uint8Array).counter;
    expect([await assert(a, one), await assert(a, one), await assert(a, two)]).toEqual([1, 2, 1]);
    expect(storage.keys('fido.counter.')).toHaveLength(2);
    // A device that kept its counters in the retired document: the higher value wins.
    storage.write('fido.counters', new TextEncoder().encode(JSON.stringify({ [Buffer.from(two.subarray(0, 24)).toString('base64')]: 41 })));
    const b = await setup({ storage });
    expect([await assert(b, one), await assert(b, two), await assert(b, two)]).toEqual([3, 42, 43]);
    expect((await b.cbor(0x07)).status).toBe(0);
    expect(storage.keys('fido.counter')).toEqual([]);
  });

  it('moves resident credentials out of the retired one-document store, and keeps the newer of two left by a crash', async () => {
    const storage = new MemoryStorage();
    const a = await setup({ storage });
    for (const user of [1, 2]) {
      expect((await a.cbor(0x01, mc([[3, new Map<string, unknown>([['id', Uint8Array.of(user)], ['name', `u${user}`]])]], true))).status).toBe(0);
      a.clock.advance(1000);
    }
    const records = storage.keys('fido.resident.').map((k) => JSON.parse(new TextDecoder().decode(storage.read(k))) as { userId: string; createdMs: number });
    expect(records).toHaveLength(2);
    // An older device: one `fido.rk` document, no per-credential keys.
    for (const k of storage.keys('fido.resident.')) storage.remove(k);
    storage.write('fido.rk', new TextEncoder().encode(JSON.stringify(records)));
    const b = await setup({ storage });
    const found = await b.cbor(0x02, ga());
    expect(found.status).toBe(0);
    expect(found.body!.get(5)).toBe(2);
    expect(storage.keys('fido.rk')).toEqual([]);
    expect(storage.keys('fido.resident.')).toHaveLength(2);
    // A crash after writing a replacement but before removing the old record leaves both.
    const [oldKey] = storage.keys('fido.resident.');
    const old = JSON.parse(new TextDecoder().decode(storage.read(oldKey!))) as { id: string; userId: string; createdMs: number };
    const twin = { ...old, id: Buffer.alloc(61, 9).toString('base64'), createdMs: old.createdMs - 1 };
    storage.write('fido.resident.00000000000000000000000000000000', new TextEncoder().encode(JSON.stringify(twin)));
    const c = await setup({ storage });
    expect(c.fido.residentCount).toBe(2);
    expect(storage.keys('fido.resident.')).not.toContain('fido.resident.00000000000000000000000000000000');
  });

  it('asks for a touch with KEEPALIVE UPNEEDED, and CANCEL aborts with KEEPALIVE_CANCEL', async () => {
    const { env, clock } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1) });
    const timers = new ManualTimers(clock);
    const presence = new ManualPresence(timers);
    const fido = await FidoAuthenticator.create({ ...env, timers, presence });
    const host = new TestHidHost(fido.hid);
    const cid = host.init();
    host.send(cid, CTAPHID.CBOR, [0x01, ...encodeCbor(mc())]);
    for (let i = 0; i < 50 && presence.pending === 0; i++) await host.settle(1);
    expect(presence.pending).toBe(1);
    timers.advance(250);
    const kas = host.take().filter((m) => m.cmd === CTAPHID.KEEPALIVE);
    expect(kas.length).toBeGreaterThanOrEqual(3);
    expect(kas.every((m) => m.data[0] === KEEPALIVE_STATUS.UPNEEDED)).toBe(true);
    host.send(cid, CTAPHID.CANCEL, []);
    await host.settle(5);
    expect(host.take().find((m) => m.cmd === CTAPHID.CBOR)?.data).toEqual(Uint8Array.of(S.CTAP2_ERR_KEEPALIVE_CANCEL));
    // A touch completes the next request.
    host.send(cid, CTAPHID.CBOR, [0x01, ...encodeCbor(mc())]);
    for (let i = 0; i < 50 && presence.pending === 0; i++) await host.settle(1);
    expect(presence.press()).toBe(1);
    await host.waitFor(CTAPHID.CBOR);
    expect(host.take().find((m) => m.cmd === CTAPHID.CBOR)?.data[0]).toBe(0);
  });

  it('denied touch answers OPERATION_DENIED; malformed requests get CBOR and parameter errors', async () => {
    const { cbor } = await setup({ presence: new DenyPresence() });
    expect((await cbor(0x01, mc())).status).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    expect((await cbor(0x01, new Map([[1, cdh]]))).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect((await cbor(0x01, mc([[4, [new Map<string, unknown>([['alg', -65535], ['type', 'public-key']])]]]))).status).toBe(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    expect((await cbor(0x01, mc([[7, new Map([['uv', true]])]]))).status).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect((await cbor(0x01, mc([[1, 'not bytes']]))).status).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect((await cbor(0x42)).status).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });

  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`clientPIN protocol ${protocol.version}: set, token with permissions, makeCredential with pinUvAuthParam, retries and blocking`, async () => {
      const sim = await setup();
      const { cbor, fido, reconnect, clock } = sim;
      const pin = pinClient(sim, protocol);
      const ka = (await cbor(0x06, new Map([[1, protocol.version], [2, 2]]))).body!.get(1) as M;
      expect(ka.get(3)).toBe(-25);
      expect((await cbor(0x06, new Map([[1, protocol.version], [2, 1]]))).status).toBe(S.CTAP2_ERR_PIN_NOT_SET);
      await pin.setPin('1234');
      expect((await cbor(0x06, new Map([[1, protocol.version], [2, 1]]))).body!.get(3)).toBe(8);
      expect(((await cbor(0x04)).body!.get(4) as M).get('clientPin')).toBe(true);
      // PIN set: makeCredential now needs a token.
      expect((await cbor(0x01, mc())).status).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
      const getToken = async (permissions: number): Promise<Uint8Array> => {
        const reply = await pin.token('1234', permissions, 'example.com');
        expect(reply.status).toBe(0);
        return reply.token!;
      };
      const token = await getToken(0x01);
      // The token has only mc permission: getAssertion with it is refused.
      expect((await cbor(0x02, ga([[6, protocol.authenticate(token, cdh)], [7, protocol.version]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      const made = await cbor(0x01, mc([[8, protocol.authenticate(token, cdh)], [9, protocol.version]]));
      expect(made.status).toBe(0);
      expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x04).toBe(0x04);
      expect((await cbor(0x01, mc([[8, new Uint8Array(protocol.version === 1 ? 16 : 32)], [9, protocol.version]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      // Spent by the touch it authorized (§6.1.2 step 14): the same token again is refused.
      expect((await cbor(0x01, mc([[8, protocol.authenticate(token, cdh)], [9, protocol.version]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      // So is a ga token once it signed an assertion with a touch (§6.2.2).
      const gaToken = await getToken(0x02);
      const credId = parseAuthData(made.body!.get(2) as Uint8Array).credId!;
      const withGa = (): Map<number, unknown> => ga([[3, [new Map<string, unknown>([['id', credId], ['type', 'public-key']])]], [6, protocol.authenticate(gaToken, cdh)], [7, protocol.version]]);
      expect((await cbor(0x02, withGa())).status).toBe(0);
      expect((await cbor(0x02, withGa())).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      // A fresh token is still valid just before 10 minutes, and expired after.
      const early = await getToken(0x01);
      clock.advance(10 * 60_000 - 1);
      expect((await cbor(0x01, mc([[8, protocol.authenticate(early, cdh)], [9, protocol.version]]))).status).toBe(0);
      const late = await getToken(0x01);
      clock.advance(10 * 60_000 + 1);
      expect((await cbor(0x01, mc([[8, protocol.authenticate(late, cdh)], [9, protocol.version]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      // Three wrong PINs: PIN_INVALID, PIN_INVALID, PIN_AUTH_BLOCKED, then blocked until power cycle.
      const wrong = async (): Promise<number> => (await pin.token('0000')).status;
      expect([await wrong(), await wrong(), await wrong(), await wrong()]).toEqual([S.CTAP2_ERR_PIN_INVALID, S.CTAP2_ERR_PIN_INVALID, S.CTAP2_ERR_PIN_AUTH_BLOCKED, S.CTAP2_ERR_PIN_AUTH_BLOCKED]);
      expect((await cbor(0x06, new Map([[1, protocol.version], [2, 1]]))).body!.get(3)).toBe(5);
      fido.powerCycle();
      reconnect();
      expect(await wrong()).toBe(S.CTAP2_ERR_PIN_INVALID);
      expect((await pin.token('1234')).status).toBe(0);
      expect((await cbor(0x06, new Map([[1, protocol.version], [2, 1]]))).body!.get(3)).toBe(8);
    });
  }

  it('reset works only within 10 s of power-up and with a touch, and forgets credentials', async () => {
    const { cbor, clock, fido } = await setup({ presence: new ScriptedPresence([true, false, true], true) });
    expect((await cbor(0x01, mc([], true))).status).toBe(0);
    expect(fido.residentCount).toBe(1);
    expect((await cbor(0x07)).status).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    clock.advance(10_001);
    expect((await cbor(0x07)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    fido.powerCycle();
    const host = new TestHidHost(fido.hid);
    const cid = host.init();
    host.send(cid, CTAPHID.CBOR, [0x07]);
    await host.waitFor(CTAPHID.CBOR);
    expect(host.take().find((m) => m.cmd === CTAPHID.CBOR)?.data).toEqual(Uint8Array.of(0));
    expect(fido.residentCount).toBe(0);
  });

  it('U2F: VERSION, REGISTER, check-only and signed AUTHENTICATE', async () => {
    const { u2f } = await setup();
    const ok = (r: Uint8Array) => Buffer.from(r.subarray(-2)).toString('hex');
    const version = await u2f([0, 3, 0, 0, 0, 0, 0]);
    expect(Buffer.from(version.subarray(0, -2)).toString()).toBe('U2F_V2');
    expect(ok(version)).toBe('9000');
    const challenge = new Uint8Array(32).fill(1);
    const app = sha256(new TextEncoder().encode('https://example.com'));
    const reg = await u2f([0, 1, 0, 0, 0, 0, 64, ...challenge, ...app, 0, 0]);
    expect(ok(reg)).toBe('9000');
    expect(reg[0]).toBe(5);
    const pub = reg.slice(1, 66);
    const kh = reg.slice(67, 67 + reg[66]!);
    const auth = (p1: number, handle: Uint8Array, appParam = app) => u2f([0, 2, p1, 0, 0, 0, 65 + handle.length, ...challenge, ...appParam, handle.length, ...handle, 0, 0]);
    expect(ok(await auth(7, kh))).toBe('6985');
    expect(ok(await auth(7, kh, new Uint8Array(32)))).toBe('6a80');
    const signed = await auth(3, kh);
    expect(ok(signed)).toBe('9000');
    expect(signed[0]).toBe(1);
    const counter = signed.slice(1, 5);
    expect([...counter]).toEqual([0, 0, 0, 1]);
    const msg = new Uint8Array([...app, 1, ...counter, ...challenge]);
    expect(p256.verify(signed.slice(5, -2), msg, pub, { format: 'der' })).toBe(true);
    expect(ok(await u2f([0, 9, 0, 0]))).toBe('6d00');
    expect(ok(await u2f([1, 3, 0, 0]))).toBe('6e00');
  });
});

describe('FIDO profile', () => {
  it('takes the USB identity of a composite device profile and refuses one without FIDO', async () => {
    const { COMPOSITE_KEY_PROFILE, DEVICE_PROFILES } = await import('../../devices/index.js');
    const { fidoProfileFromDevice } = await import('../../firmware-sim/fido/index.js');
    const p = fidoProfileFromDevice(COMPOSITE_KEY_PROFILE);
    expect(p).toMatchObject({ vendorId: 0x1050, productId: 0x0407, product: COMPOSITE_KEY_PROFILE.usb.product, attestation: 'batch' });
    const otpOnly = Object.values(DEVICE_PROFILES).find((d) => !d.interfaces.some((i) => i.kind === 'fido'));
    if (otpOnly !== undefined) expect(() => fidoProfileFromDevice(otpOnly)).toThrow(RangeError);
    expect(() => fidoProfileFromDevice(COMPOSITE_KEY_PROFILE, { aaguid: 'xyz' })).toThrow(RangeError);
  });
});
