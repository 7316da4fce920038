/**
 * Fuzz: 100,000 mutated credentialManagement (0x0A, 0x41), authenticatorConfig (0x0D),
 * makeCredential-with-extensions (credProtect, minPinLength, enterpriseAttestation) and
 * getAssertion requests into a key with a PIN, resident credentials and valid pinUvAuthParams
 * to mutate. Every answer must be a CTAP2 status the spec defines (never CTAP1_ERR_OTHER, an
 * exception that escaped a handler), and the key must still serve afterwards: getInfo,
 * credential management with a fresh token, an assertion.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../firmware-sim/env/index.js';
import { authMessage } from '../../src/protocol/auth-message.js';
import { encodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_TWO as P2 } from '../support/pin-uv-auth-reference.js';

const REQUESTS = 100_000;
const SPEC_STATUSES = new Set<number>(Object.values(S));

describe('credential management, config and extension fuzz', () => {
  it(`answers ${REQUESTS.toLocaleString('en')} mutated requests with spec'd statuses and keeps serving`, async () => {
    const sim = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, plat: false, clientPin: false, pinUvAuthToken: true, credMgmt: true, credentialMgmtPreview: true, authnrCfg: true, alwaysUv: false, setMinPINLength: true, ep: false, makeCredUvNotRqd: true } } });
    const pin = pinClient(sim);
    await pin.setPin('12345678');
    const ids: Uint8Array[] = [];
    for (const [rpId, user, level] of [['a.example', 1, 1], ['a.example', 2, 2], ['b.example', 3, 3]] as const) {
      const t = await pin.token('12345678', 0x01);
      const made = await sim.cbor(0x01, mcParams([[2, new Map([['id', rpId]])], [3, new Map([['id', Uint8Array.of(user)]])], [6, new Map([['credProtect', level]])], [8, P2.authenticate(t.token!, cdh)], [9, 2]], true));
      ids.push(parseAuthData(made.body!.get(2) as Uint8Array).credId!);
    }
    // A token with cm and acfg: seeds carry valid pinUvAuthParams, so mutations reach deep steps.
    const token = (await pin.token('12345678', 0x04 | 0x20)).token!;
    const cm = (sub: number, params?: Map<number, unknown>): Uint8Array => {
      const m = new Map<number, unknown>([[1, sub]]);
      if (params !== undefined) m.set(2, params);
      m.set(3, 2);
      m.set(4, P2.authenticate(token, authMessage([sub], params as never)));
      return encodeCbor(m);
    };
    const cfg = (sub: number, params?: Map<number, unknown>): Uint8Array => {
      const m = new Map<number, unknown>([[1, sub]]);
      if (params !== undefined) m.set(2, params);
      m.set(3, 2);
      m.set(4, P2.authenticate(token, authMessage([...new Array<number>(32).fill(0xff), 0x0d, sub], params as never)));
      return encodeCbor(m);
    };
    const user = new Map<string, unknown>([['id', Uint8Array.of(2)], ['name', 'bob'], ['displayName', 'Bob']]);
    const seeds: Uint8Array[] = [
      Uint8Array.from([0x0a, ...cm(1)]),
      Uint8Array.from([0x0a, ...cm(2)]),
      Uint8Array.from([0x0a, 3]),
      Uint8Array.from([0x0a, ...cm(4, new Map([[1, sha256(new TextEncoder().encode('a.example'))]]))]),
      Uint8Array.from([0x0a, ...encodeCbor(new Map([[1, 5]]))]),
      Uint8Array.from([0x41, ...cm(7, new Map<number, unknown>([[2, descriptor(ids[1]!)], [3, user]]))]),
      Uint8Array.from([0x0a, ...cm(6, new Map<number, unknown>([[2, descriptor(new Uint8Array(ids[2]!.length))]]))]),
      Uint8Array.from([0x0d, ...cfg(3, new Map<number, unknown>([[1, 8], [2, ['a.example']], [3, false]]))]),
      Uint8Array.from([0x0d, ...cfg(1)]),
      Uint8Array.from([0x0d, ...encodeCbor(new Map<number, unknown>([[1, 2], [3, 2], [4, new Uint8Array(32)]]))]),
      Uint8Array.from([0x01, ...encodeCbor(mcParams([[6, new Map<string, unknown>([['credProtect', 2], ['minPinLength', true]])], [10, 2], [5, [descriptor(ids[0]!)]]]))]),
      Uint8Array.from([0x02, ...encodeCbor(gaParams([[1, 'a.example'], [3, ids.map(descriptor)], [5, new Map([['up', false]])]]))]),
    ];
    const rnd = new SeededRandom('management-fuzz');
    const pool = rnd.bytes(REQUESTS * 8);
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const r = pool.subarray(i * 8, i * 8 + 8);
      const msg = seeds[r[0]! % seeds.length]!.slice();
      // Mutate 1–3 bytes (never the command byte: that is the dispatch table, fuzzed elsewhere).
      for (let k = 0; k < 1 + (r[1]! % 3); k++) msg[1 + ((r[2 + k]! * 251 + r[5 + k]! + i) % (msg.length - 1))] = r[5 - k]! ^ r[6]!;
      const { status } = await sim.cbor(msg[0]!, msg.subarray(1));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const strays = [...statuses.keys()].filter((s) => !SPEC_STATUSES.has(s));
    if (process.env.TOKENRIG_FUZZ_REPORT === '1') console.log(Object.fromEntries([...statuses].map(([k, v]) => [`0x${k.toString(16)}`, v])));
    expect(strays).toEqual([]);
    expect(statuses.get(S.CTAP1_ERR_OTHER)).toBeUndefined();
    expect(statuses.get(S.CTAP2_OK)).toBeGreaterThan(100);
    for (const s of [S.CTAP2_ERR_INVALID_CBOR, S.CTAP2_ERR_PIN_AUTH_INVALID, S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, S.CTAP2_ERR_MISSING_PARAMETER]) expect(statuses.get(s) ?? 0).toBeGreaterThan(0);
    // Still serving: getInfo, a fresh token for credential management, an assertion.
    sim.fido.powerCycle();
    sim.reconnect();
    const info = await sim.cbor(0x04);
    expect(info.status).toBe(0);
    let current = '12345678';
    if (info.body!.get(12) === true) {
      // A mutated setMinPINLength may have forced a PIN change: make one, as a user would.
      const next = '9'.repeat(Math.max(8, info.body!.get(13) as number));
      const k = await pin.shared();
      const newPinEnc = pin.enc(k, pin.padPin(next));
      const pinHashEnc = pin.enc(k, pin.pinHash(current));
      const change = new Map<number, unknown>([[1, 2], [2, 4], [3, pin.hostCose], [4, P2.authenticate(k, new Uint8Array([...newPinEnc, ...pinHashEnc]))], [5, newPinEnc], [6, pinHashEnc]]);
      expect(await sim.status(0x06, change)).toBe(0);
      current = next;
    }
    const fresh = await pin.token(current, 0x04 | 0x02);
    expect(fresh.status).toBe(0);
    const meta = await sim.cbor(0x0a, new Map<number, unknown>([[1, 1], [3, 2], [4, P2.authenticate(fresh.token!, Uint8Array.of(1))]]));
    expect(meta.status).toBe(0);
    expect(await sim.status(0x02, gaParams([[1, 'a.example'], [3, ids.map(descriptor)]]))).toBe(0);
    sim.host.send(sim.cid(), CTAPHID.PING, [1, 2, 3]);
    expect(sim.host.last().data).toEqual(Uint8Array.of(1, 2, 3));
  }, 600_000);
});
