/**
 * Every refusal of the simulated authenticator's CTAP2 commands, one by one, each named for
 * the CTAP 2.1 step it comes from (§6.1.2 makeCredential, §6.2.2 getAssertion, §6.3
 * getNextAssertion, §6.4 getInfo, §6.5.5 clientPIN, §6.6 reset, §6.9 selection), and the CBOR
 * type rules of §6 and §8: a missing required member is CTAP2_ERR_MISSING_PARAMETER, a member
 * of the wrong type CTAP2_ERR_CBOR_UNEXPECTED_TYPE, down to rp/user members, descriptors,
 * options and the extensions map.
 */
import { describe, expect, it } from 'vitest';
import { DenyPresence, ScriptedPresence } from '../../firmware-sim/env/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { type M, cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const INFO = 0x04;
const PIN = 0x06;
const RESET = 0x07;
const NEXT = 0x08;
const SELECTION = 0x0b;

const rp = (entries: [string, unknown][]) => new Map<unknown, unknown>(entries);
const user = (entries: [string, unknown][]) => new Map<unknown, unknown>(entries);
const param = (entries: [string, unknown][]) => new Map<unknown, unknown>(entries);

describe('CBOR parameter types (CTAP 2.1 §6, §8): MISSING_PARAMETER and CBOR_UNEXPECTED_TYPE', () => {
  const U = S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
  const MISSING = S.CTAP2_ERR_MISSING_PARAMETER;
  const makeCredentialCases: [string, [number, unknown][], number][] = [
    ['clientDataHash missing', [[1, undefined]], MISSING],
    ['clientDataHash as text', [[1, 'hash']], U],
    ['rp missing', [[2, undefined]], MISSING],
    ['rp as an array', [[2, ['example.com']]], U],
    ['rp with an integer key', [[2, rp([['id', 'example.com']]).set(1, 'x')]], U],
    ['rp.id missing', [[2, rp([['name', 'Example']])]], MISSING],
    ['rp.id as bytes', [[2, rp([['id', Uint8Array.of(1)]])]], U],
    ['rp.name as a number', [[2, rp([['id', 'example.com'], ['name', 7]])]], U],
    ['rp.icon as bytes', [[2, rp([['id', 'example.com'], ['icon', Uint8Array.of(1)]])]], U],
    ['user missing', [[3, undefined]], MISSING],
    ['user as text', [[3, 'alice']], U],
    ['user.id missing', [[3, user([['name', 'alice']])]], MISSING],
    ['user.id as text', [[3, user([['id', 'alice']])]], U],
    ['user.name as bytes', [[3, user([['id', Uint8Array.of(1)], ['name', Uint8Array.of(1)]])]], U],
    ['user.displayName as a number', [[3, user([['id', Uint8Array.of(1)], ['displayName', 1]])]], U],
    ['user.icon as a boolean', [[3, user([['id', Uint8Array.of(1)], ['icon', true]])]], U],
    ['pubKeyCredParams missing', [[4, undefined]], MISSING],
    ['pubKeyCredParams as a map', [[4, param([['alg', -7]])]], U],
    ['a pubKeyCredParams entry as a number', [[4, [-7]]], U],
    ['a pubKeyCredParams entry without alg', [[4, [param([['type', 'public-key']])]]], MISSING],
    ['a pubKeyCredParams entry without type', [[4, [param([['alg', -7]])]]], MISSING],
    ['pubKeyCredParams alg as text', [[4, [param([['alg', 'ES256'], ['type', 'public-key']])]]], U],
    ['pubKeyCredParams type as a number', [[4, [param([['alg', -7], ['type', 1]])]]], U],
    ['excludeList as a map', [[5, descriptor(Uint8Array.of(1))]], U],
    ['an excludeList entry without id', [[5, [param([['type', 'public-key']])]]], MISSING],
    ['an excludeList entry without type', [[5, [param([['id', Uint8Array.of(1)]])]]], MISSING],
    ['an excludeList id as text', [[5, [param([['id', 'x'], ['type', 'public-key']])]]], U],
    ['excludeList transports as text', [[5, [descriptor(Uint8Array.of(1)).set('transports', 'usb')]]], U],
    ['an excludeList transport as a number', [[5, [descriptor(Uint8Array.of(1)).set('transports', [1])]]], U],
    ['extensions as an array', [[6, ['credProtect']]], U],
    ['extensions with an integer key', [[6, new Map([[1, true]])]], U],
    ['options as an array', [[7, ['rk']]], U],
    ['an option value as a number', [[7, new Map([['rk', 1]])]], U],
    ['pinUvAuthParam as text', [[8, 'param']], U],
    ['pinUvAuthProtocol as text', [[8, new Uint8Array(32)], [9, 'two']], U],
    ['pinUvAuthProtocol negative', [[8, new Uint8Array(32)], [9, -2]], U],
    ['enterpriseAttestation as text', [[10, 'vendor']], U],
    ['attestationFormatsPreference as text', [[11, 'packed']], U],
    ['an attestationFormatsPreference entry as a number', [[11, [1]]], U],
  ];
  it.each(makeCredentialCases)('makeCredential: %s', async (_name, extra, expected) => {
    const sim = await simulatedAuthenticator();
    const p = mcParams(extra.filter(([, v]) => v !== undefined) as [number, unknown][]);
    for (const [k, v] of extra) if (v === undefined) p.delete(k);
    expect(await sim.status(MC, p)).toBe(expected);
  });

  const getAssertionCases: [string, [number, unknown][], number][] = [
    ['rpId missing', [[1, undefined]], MISSING],
    ['rpId as bytes', [[1, Uint8Array.of(1)]], U],
    ['clientDataHash missing', [[2, undefined]], MISSING],
    ['clientDataHash as a number', [[2, 32]], U],
    ['allowList as a map', [[3, descriptor(Uint8Array.of(1))]], U],
    ['an allowList entry as bytes', [[3, [Uint8Array.of(1)]]], U],
    ['an allowList entry without id', [[3, [param([['type', 'public-key']])]]], MISSING],
    ['an allowList id as a number', [[3, [param([['id', 1], ['type', 'public-key']])]]], U],
    ['extensions as text', [[4, 'hmac-secret']], U],
    ['extensions with a bytes key', [[4, new Map([[Uint8Array.of(1), true]])]], U],
    ['options as text', [[5, 'up']], U],
    ['an option value as text', [[5, new Map([['up', 'false']])]], U],
    ['pinUvAuthParam as a number', [[6, 1]], U],
    ['pinUvAuthProtocol as bytes', [[6, new Uint8Array(32)], [7, Uint8Array.of(2)]], U],
  ];
  it.each(getAssertionCases)('getAssertion: %s', async (_name, extra, expected) => {
    const sim = await simulatedAuthenticator();
    const p = gaParams(extra.filter(([, v]) => v !== undefined) as [number, unknown][]);
    for (const [k, v] of extra) if (v === undefined) p.delete(k);
    expect(await sim.status(GA, p)).toBe(expected);
  });

  const clientPinCases: [string, Map<number, unknown>, number][] = [
    ['subCommand missing', new Map([[1, 2]]), MISSING],
    ['subCommand as text', new Map<number, unknown>([[1, 2], [2, 'getRetries']]), U],
    ['pinUvAuthProtocol as text', new Map<number, unknown>([[1, 'two'], [2, 2]]), U],
    ['keyAgreement as bytes', new Map<number, unknown>([[1, 2], [2, 3], [3, new Uint8Array(65)]]), U],
    ['pinUvAuthParam as text', new Map<number, unknown>([[1, 2], [2, 3], [4, 'auth']]), U],
    ['newPinEnc as a number', new Map<number, unknown>([[1, 2], [2, 3], [5, 64]]), U],
    ['pinHashEnc as text', new Map<number, unknown>([[1, 2], [2, 5], [6, 'hash']]), U],
    ['permissions as text', new Map<number, unknown>([[1, 2], [2, 9], [9, 'mc']]), U],
    ['rpId as bytes', new Map<number, unknown>([[1, 2], [2, 9], [10, Uint8Array.of(1)]]), U],
  ];
  it.each(clientPinCases)('clientPIN: %s', async (_name, p, expected) => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(PIN, p)).toBe(expected);
  });

  it('parameters that are not a map, or not canonical CBOR', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, [1, 2])).toBe(U);
    expect(await sim.status(GA, 'rp')).toBe(U);
    expect(await sim.status(PIN, Uint8Array.of(0xa1, 0x01))).toBe(S.CTAP2_ERR_INVALID_CBOR); // truncated map
    expect(await sim.status(MC, Uint8Array.of(0xa1, 0x18, 0x01, 0x01))).toBe(S.CTAP2_ERR_INVALID_CBOR); // 1 in two bytes
  });

  it('commands without parameters refuse a body with INVALID_LENGTH', async () => {
    const sim = await simulatedAuthenticator();
    for (const cmd of [INFO, RESET, NEXT, SELECTION]) expect(await sim.status(cmd, new Map([[1, 1]]))).toBe(S.CTAP1_ERR_INVALID_LENGTH);
  });

  it('unknown extensions and unknown options are ignored', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([[6, new Map([['futureExtension', new Map([[1, 2]])]])], [7, new Map([['futureOption', true]])]]))).toBe(0);
    expect(await sim.status(GA, gaParams([[4, new Map([['futureExtension', 1]])]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
  });
});

describe('authenticatorMakeCredential (CTAP 2.1 §6.1.2)', () => {
  it('clientDataHash of another length than 32 bytes is INVALID_LENGTH', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([[1, new Uint8Array(31)]]))).toBe(S.CTAP1_ERR_INVALID_LENGTH);
  });

  it('step 1: a zero-length pinUvAuthParam asks for a touch, then PIN_NOT_SET, PIN_INVALID, or OPERATION_DENIED when refused', async () => {
    const sim = await simulatedAuthenticator({ presence: new ScriptedPresence([true, true, false], false) });
    expect(await sim.status(MC, mcParams([[8, new Uint8Array(0)]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    await pinClient(sim).setPin();
    expect(await sim.status(MC, mcParams([[8, new Uint8Array(0)], [9, 2]]))).toBe(S.CTAP2_ERR_PIN_INVALID);
    expect(await sim.status(MC, mcParams([[8, new Uint8Array(0)], [9, 2]]))).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it('step 2: a pinUvAuthParam without pinUvAuthProtocol is MISSING_PARAMETER, an unsupported one INVALID_PARAMETER', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([[8, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(MC, mcParams([[8, new Uint8Array(32)], [9, 3]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const v1only = await simulatedAuthenticator({ profile: { pinUvAuthProtocols: [1] } });
    expect(await v1only.status(MC, mcParams([[8, new Uint8Array(32)], [9, 2]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('step 3: no supported algorithm is UNSUPPORTED_ALGORITHM; entries of unknown type are skipped; the RP order wins', async () => {
    const sim = await simulatedAuthenticator();
    const params = (...entries: [number, string][]) => [[4, entries.map(([alg, type]) => param([['alg', alg], ['type', type]]))]] as [number, unknown][];
    // RS1 (-65535) and ESP256 (-9) are COSE algorithms the simulator does not implement.
    expect(await sim.status(MC, mcParams(params([-65535, 'public-key'], [-9, 'public-key'])))).toBe(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    expect(await sim.status(MC, mcParams(params([-7, 'future-key'])))).toBe(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    const made = await sim.cbor(MC, mcParams(params([-65535, 'public-key'], [-7, 'future-key'], [-7, 'public-key'])));
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).cose!.get(3)).toBe(-7);
  });

  it('step 5: uv=true without built-in UV and up=false are INVALID_OPTION; rk on a key without rk UNSUPPORTED_OPTION; uv is ignored beside a pinUvAuthParam', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([[7, new Map([['uv', true]])]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(MC, mcParams([[7, new Map([['up', false]])]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(MC, mcParams([[7, new Map([['uv', false], ['up', true], ['rk', false]])]]))).toBe(0);
    const pin = pinClient(sim);
    await pin.setPin();
    const { token } = await pin.token('1234', 0x01, 'example.com');
    expect(await sim.status(MC, mcParams([[7, new Map([['uv', true]])], [8, pin.protocol.authenticate(token!, cdh)], [9, 2]]))).toBe(0);
    const noRk = await simulatedAuthenticator({ profile: { options: { up: true, plat: false, clientPin: false, pinUvAuthToken: true } } });
    expect(await noRk.status(MC, mcParams([], true))).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    expect(await noRk.status(MC, mcParams([[7, new Map([['rk', false]])]]))).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    const rkFalse = await simulatedAuthenticator({ profile: { options: { rk: false, up: true, clientPin: false } } });
    expect(await rkFalse.status(MC, mcParams([], true))).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    expect(await rkFalse.status(MC, mcParams())).toBe(0);
  });

  it('step 8: with a PIN set and no pinUvAuthParam, PUAT_REQUIRED; makeCredUvNotRqd spares non-discoverable credentials only', async () => {
    const sim = await simulatedAuthenticator();
    await pinClient(sim).setPin();
    expect(await sim.status(MC, mcParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    const relaxed = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, makeCredUvNotRqd: true } } });
    await pinClient(relaxed).setPin();
    const made = await relaxed.cbor(MC, mcParams());
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x04).toBe(0);
    expect(await relaxed.status(MC, mcParams([], true))).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    const noMcGa = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, noMcGaPermissionsWithClientPin: true } } });
    await pinClient(noMcGa).setPin();
    expect(await noMcGa.status(MC, mcParams())).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it('step 9: enterpriseAttestation on a key without enterprise attestation is INVALID_PARAMETER', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([[10, 1]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`step 11 (protocol ${protocol.version}): no PIN is PIN_NOT_SET; a bad param, a token without mc or bound to another RP are PIN_AUTH_INVALID; the token binds to its first RP`, async () => {
      const sim = await simulatedAuthenticator();
      const pin = pinClient(sim, protocol);
      expect(await sim.status(MC, mcParams([[8, new Uint8Array(16)], [9, protocol.version]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
      await pin.setPin();
      const auth = (token: Uint8Array) => [[8, protocol.authenticate(token, cdh)], [9, protocol.version]] as [number, unknown][];
      const mcOnly = (await pin.token('1234', 0x01)).token!;
      expect(await sim.status(MC, mcParams([[8, protocol.authenticate(mcOnly, cdh.slice(1))], [9, protocol.version]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      const gaOnly = (await pin.token('1234', 0x02)).token!;
      expect(await sim.status(MC, mcParams(auth(gaOnly)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      const other = (await pin.token('1234', 0x01, 'other.example')).token!;
      expect(await sim.status(MC, mcParams(auth(other)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      // A token with no RP ID binds to the first RP it is used for; up=false spends nothing.
      const unbound = (await pin.token('1234', 0x01 | 0x02)).token!;
      expect(await sim.status(GA, gaParams([[5, new Map([['up', false]])], [6, protocol.authenticate(unbound, cdh)], [7, protocol.version]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
      const otherRp = mcParams([[2, rp([['id', 'other.example']])], ...auth(unbound)]);
      expect(await sim.status(MC, otherRp)).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
      expect(await sim.status(MC, mcParams(auth(unbound)))).toBe(0);
    });
  }

  it('step 12: a credential of ours in the excludeList waits for a touch, then CREDENTIAL_EXCLUDED; others (and other types) are ignored', async () => {
    const sim = await simulatedAuthenticator();
    const id = parseAuthData((await sim.cbor(MC, mcParams())).body!.get(2) as Uint8Array).credId!;
    expect(await sim.status(MC, mcParams([[5, [descriptor(new Uint8Array(61)), param([['id', id], ['type', 'future-key']])]]]))).toBe(0);
    expect(await sim.status(MC, mcParams([[5, [descriptor(new Uint8Array(61)), descriptor(id)]]]))).toBe(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
    const denied = await simulatedAuthenticator({ presence: new DenyPresence() });
    expect(await denied.status(MC, mcParams([[5, [descriptor(id)]]]))).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it('step 14: a refused touch is OPERATION_DENIED', async () => {
    const sim = await simulatedAuthenticator({ presence: new DenyPresence() });
    expect(await sim.status(MC, mcParams())).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it('step 18: a full store is KEY_STORE_FULL; a credential of the same RP and user replaces the old one', async () => {
    const sim = await simulatedAuthenticator({ profile: { limits: { maxDiscoverableCredentials: 1 } } });
    expect(await sim.status(MC, mcParams([], true))).toBe(0);
    expect(await sim.status(MC, mcParams([], true))).toBe(0);
    expect(await sim.status(MC, mcParams([[3, user([['id', Uint8Array.of(9)]])]], true))).toBe(S.CTAP2_ERR_KEY_STORE_FULL);
    expect(sim.fido.residentCount).toBe(1);
  });
});

describe('authenticatorGetAssertion (CTAP 2.1 §6.2.2) and getNextAssertion (§6.3)', () => {
  async function withCredentials(n: number) {
    const sim = await simulatedAuthenticator();
    for (let u = 0; u < n; u++) {
      expect(await sim.status(MC, mcParams([[3, user([['id', Uint8Array.of(u)], ['name', `u${u}`]])]], true))).toBe(0);
      sim.clock.advance(1000);
    }
    return sim;
  }

  it('clientDataHash of another length than 32 bytes is INVALID_LENGTH', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(GA, gaParams([[2, new Uint8Array(20)]]))).toBe(S.CTAP1_ERR_INVALID_LENGTH);
  });

  it('steps 1–2: zero-length pinUvAuthParam (touch, then PIN_NOT_SET), missing and unsupported pinUvAuthProtocol', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(GA, gaParams([[6, new Uint8Array(0)]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    expect(await sim.status(GA, gaParams([[6, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(GA, gaParams([[6, new Uint8Array(32)], [7, 7]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('step 4: uv=true without built-in UV is INVALID_OPTION; rk is UNSUPPORTED_OPTION; up=false signs without a touch', async () => {
    const sim = await withCredentials(1);
    expect(await sim.status(GA, gaParams([[5, new Map([['uv', true]])]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(GA, gaParams([[5, new Map([['rk', true]])]]))).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    expect(await sim.status(GA, gaParams([[5, new Map([['rk', false]])]]))).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    // Presence is granted once (for makeCredential), then refused: up=false still signs.
    const silent = await simulatedAuthenticator({ presence: new ScriptedPresence([true], false) });
    expect(await silent.status(MC, mcParams([], true))).toBe(0);
    expect(await silent.status(GA, gaParams())).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    const got = await silent.cbor(GA, gaParams([[5, new Map([['up', false]])]]));
    expect(got.status).toBe(0);
    expect(parseAuthData(got.body!.get(2) as Uint8Array).flags).toBe(0);
  });

  it('step 6: a bad param, a token without ga or bound to another RP are PIN_AUTH_INVALID; no PIN is PIN_NOT_SET', async () => {
    const sim = await withCredentials(1);
    expect(await sim.status(GA, gaParams([[6, new Uint8Array(32)], [7, 2]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    const pin = pinClient(sim);
    await pin.setPin();
    const auth = (token: Uint8Array) => [[6, pin.protocol.authenticate(token, cdh)], [7, 2]] as [number, unknown][];
    expect(await sim.status(GA, gaParams([[6, new Uint8Array(32)], [7, 2]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await sim.status(GA, gaParams(auth((await pin.token('1234', 0x01)).token!)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await sim.status(GA, gaParams(auth((await pin.token('1234', 0x02, 'other.example')).token!)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const ok = await sim.cbor(GA, gaParams(auth((await pin.token('1234', 0x02, 'example.com')).token!)));
    expect(ok.status).toBe(0);
    expect(parseAuthData(ok.body!.get(2) as Uint8Array).flags).toBe(0x05);
    // §6.2.2 step 12: with UV, the user's name and displayName come back.
    expect((ok.body!.get(4) as M).get('name')).toBe('u0');
  });

  it('step 7: an empty allowList is treated as absent (discoverable credentials, numberOfCredentials)', async () => {
    const sim = await withCredentials(2);
    const got = await sim.cbor(GA, gaParams([[3, []]]));
    expect(got.status).toBe(0);
    expect(got.body!.get(5)).toBe(2);
    expect((got.body!.get(4) as M).get('id')).toEqual(Uint8Array.of(1));
    expect((await sim.cbor(NEXT)).status).toBe(0);
  });

  it('step 7: an allowList of unknown IDs (or of other credential types) is NO_CREDENTIALS; a known one after them is found', async () => {
    const sim = await withCredentials(1);
    const id = (await sim.cbor(GA, gaParams())).body!.get(1) as M;
    expect(await sim.status(GA, gaParams([[3, [descriptor(new Uint8Array(61).fill(1))]]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    expect(await sim.status(GA, gaParams([[3, [param([['id', id.get('id')], ['type', 'future-key']])]]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    const found = await sim.cbor(GA, gaParams([[3, [descriptor(new Uint8Array(61).fill(1)), descriptor(id.get('id') as Uint8Array)]]]));
    expect(found.status).toBe(0);
    expect(found.body!.has(5)).toBe(false); // an allowList never gives numberOfCredentials
  });

  it('step 9: a refused touch is OPERATION_DENIED', async () => {
    const denied = await simulatedAuthenticator({ presence: new ScriptedPresence([true], false) });
    expect(await denied.status(MC, mcParams([], true))).toBe(0);
    expect(await denied.status(GA, gaParams())).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it('§6.3: getNextAssertion without a getAssertion, after the last credential, or after 30 s is NOT_ALLOWED', async () => {
    const sim = await withCredentials(3);
    expect(await sim.status(NEXT)).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    expect((await sim.cbor(GA, gaParams())).body!.get(5)).toBe(3);
    sim.clock.advance(29_000);
    expect(await sim.status(NEXT)).toBe(0);
    sim.clock.advance(30_001);
    expect(await sim.status(NEXT)).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    expect((await sim.cbor(GA, gaParams())).status).toBe(0);
    expect(await sim.status(NEXT)).toBe(0);
    expect(await sim.status(NEXT)).toBe(0);
    expect(await sim.status(NEXT)).toBe(S.CTAP2_ERR_NOT_ALLOWED);
  });
});

describe('authenticatorClientPIN (CTAP 2.1 §6.5.5)', () => {
  it('an unknown sub-command, or one this key lacks (built-in UV ones; 0x09 without pinUvAuthToken), is INVALID_SUBCOMMAND', async () => {
    const sim = await simulatedAuthenticator();
    for (const sub of [0x06, 0x07, 0x08, 0x0a, 0xff]) expect(await sim.status(PIN, new Map([[1, 2], [2, sub]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    const ctap20 = await simulatedAuthenticator({ profile: { versions: ['U2F_V2', 'FIDO_2_0'], options: { rk: true, up: true, clientPin: false }, pinUvAuthProtocols: [1] } });
    expect(await ctap20.status(PIN, new Map([[1, 1], [2, 9]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
  });

  it('§6.5.5.2 getPINRetries: PIN_NOT_SET without a PIN (strict), 8 with the pinRetriesWithoutPin quirk; the protocol is optional', async () => {
    const strict = await simulatedAuthenticator();
    expect(await strict.status(PIN, new Map([[2, 1]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    await pinClient(strict).setPin();
    expect((await strict.cbor(PIN, new Map([[2, 1]]))).body!.get(3)).toBe(8);
    expect(await strict.status(PIN, new Map([[1, 3], [2, 1]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const solo = await simulatedAuthenticator({ profile: { quirks: ['pinRetriesWithoutPin'] } });
    expect((await solo.cbor(PIN, new Map([[1, 2], [2, 1]]))).body!.get(3)).toBe(8);
  });

  it('§6.5.5.4 getKeyAgreement: step 3 protocol missing is MISSING_PARAMETER, step 4 unsupported INVALID_PARAMETER', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(PIN, new Map([[2, 2]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(PIN, new Map([[1, 3], [2, 2]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const ka = (await sim.cbor(PIN, new Map([[1, 1], [2, 2]]))).body!.get(1) as M;
    expect([ka.get(1), ka.get(3), ka.get(-1)]).toEqual([2, -25, 1]);
  });

  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`§6.5.5.5 setPIN (protocol ${protocol.version}): each step's refusal`, async () => {
      const sim = await simulatedAuthenticator();
      const pin = pinClient(sim, protocol);
      const full = await pin.setPinParams('1234');
      for (const missing of [3, 4, 5]) {
        const p = new Map(full);
        p.delete(missing);
        expect(await sim.status(PIN, p)).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // step 1
      }
      expect(await sim.status(PIN, new Map(full).set(1, 3))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 2
      const offCurve = new Map(pin.hostCose).set(-3, new Uint8Array(32).fill(1));
      expect(await sim.status(PIN, new Map(full).set(3, offCurve))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 4
      expect(await sim.status(PIN, new Map(full).set(4, new Uint8Array(protocol.version === 1 ? 16 : 32)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID); // step 5
      expect(await sim.status(PIN, await pin.setPinParams('1234', pin.padPin('1234', 48)))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 7
      expect(await sim.status(PIN, await pin.setPinParams('123'))).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION); // step 9
      expect(await sim.status(PIN, await pin.setPinParams('x'.repeat(64)))).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION); // step 10: 64 bytes
      expect(await sim.status(PIN, await pin.setPinParams('🔑🔑🔑'))).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION); // 3 code points, 12 bytes
      expect(await sim.status(PIN, await pin.setPinParams('1234'))).toBe(0);
      expect(await sim.status(PIN, await pin.setPinParams('5678'))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID); // step 3: a PIN is set
    });

    it(`§6.5.5.6 changePIN (protocol ${protocol.version}): each step's refusal, and a bad pinUvAuthParam costs no retry`, async () => {
      const sim = await simulatedAuthenticator();
      const pin = pinClient(sim, protocol);
      const params = async (current: string, next: string, padded = pin.padPin(next)) => {
        const k = await pin.shared();
        const newPinEnc = pin.enc(k, padded);
        const pinHashEnc = pin.enc(k, pin.pinHash(current));
        return new Map<number, unknown>([[1, protocol.version], [2, 4], [3, pin.hostCose], [4, protocol.authenticate(k, new Uint8Array([...newPinEnc, ...pinHashEnc]))], [5, newPinEnc], [6, pinHashEnc]]);
      };
      expect(await sim.status(PIN, await params('1234', '5678'))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
      await pin.setPin('1234');
      const full = await params('1234', '5678');
      for (const missing of [3, 4, 5, 6]) {
        const p = new Map(full);
        p.delete(missing);
        expect(await sim.status(PIN, p)).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // step 1
      }
      expect(await sim.status(PIN, new Map(full).set(1, 9))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 2
      expect(await sim.status(PIN, new Map(full).set(4, new Uint8Array(16)))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID); // step 5
      expect((await sim.cbor(PIN, new Map([[2, 1]]))).body!.get(3)).toBe(8);
      expect(await sim.status(PIN, await params('0000', '5678'))).toBe(S.CTAP2_ERR_PIN_INVALID); // step 7
      expect((await sim.cbor(PIN, new Map([[2, 1]]))).body!.get(3)).toBe(7); // step 6 counted it
      expect(await sim.status(PIN, await params('1234', '5678', pin.padPin('5678', 80)))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 10
      expect(await sim.status(PIN, await params('1234', '12'))).toBe(S.CTAP2_ERR_PIN_POLICY_VIOLATION); // step 12
      expect(await sim.status(PIN, await params('1234', '5678'))).toBe(0);
      expect((await pin.token('1234', 0x01)).status).toBe(S.CTAP2_ERR_PIN_INVALID);
      expect((await pin.token('5678', 0x01)).status).toBe(0);
    });
  }

  it('§6.5.5.7.1 getPinToken: step 1 missing parameters, steps 3–4 permissions or rpId present are INVALID_PARAMETER, no PIN is PIN_NOT_SET', async () => {
    const sim = await simulatedAuthenticator();
    const pin = pinClient(sim);
    expect((await pin.token('1234')).status).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    await pin.setPin();
    expect(await sim.status(PIN, new Map<number, unknown>([[1, 2], [2, 5], [3, pin.hostCose]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(PIN, new Map<number, unknown>([[1, 2], [2, 5], [6, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    const k = await pin.shared();
    const base = new Map<number, unknown>([[1, 2], [2, 5], [3, pin.hostCose], [6, pin.enc(k, pin.pinHash('1234'))]]);
    expect(await sim.status(PIN, new Map(base).set(9, 0x01))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(PIN, new Map(base).set(10, 'example.com'))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const { status, token } = await pin.token('1234');
    expect(status).toBe(0);
    // The default permissions mc and ga, bound to no RP.
    expect(await sim.status(MC, mcParams([[8, pin.protocol.authenticate(token!, cdh)], [9, 2]]))).toBe(0);
  });

  it('§6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions: missing permissions, zero permissions, unauthorized ones; rpId optional; undefined bits ignored', async () => {
    const sim = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, credMgmt: true, authnrCfg: true } } });
    const pin = pinClient(sim);
    await pin.setPin();
    const k = await pin.shared();
    const noPermissions = new Map<number, unknown>([[1, 2], [2, 9], [3, pin.hostCose], [6, pin.enc(k, pin.pinHash('1234'))]]);
    expect(await sim.status(PIN, noPermissions)).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // step 1
    expect((await pin.token('1234', 0)).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // step 3
    // Step 4: be, lbw and pcmr need bioEnroll, largeBlobs, perCredMgmtRO, which this profile lacks;
    // cm and acfg come with its credMgmt and authnrCfg.
    for (const p of [0x08, 0x10, 0x40, 0x01 | 0x08]) expect((await pin.token('1234', p)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    for (const p of [0x04, 0x20, 0x01 | 0x04]) expect((await pin.token('1234', p)).status).toBe(0);
    const mc = await pin.token('1234', 0x01 | 0x80); // 0x80 is undefined: ignored
    expect(mc.status).toBe(0);
    expect(await sim.status(MC, mcParams([[8, pin.protocol.authenticate(mc.token!, cdh)], [9, 2]]))).toBe(0);
  });

  it('§6.5.5.7.2 step 4 follows the profile: credMgmt makes cm grantable, noMcGaPermissionsWithClientPin withholds mc and ga, pcmr only alone', async () => {
    const sim = await simulatedAuthenticator({
      profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, credMgmt: true, perCredMgmtRO: true, noMcGaPermissionsWithClientPin: true } },
    });
    const pin = pinClient(sim);
    await pin.setPin();
    expect((await pin.token('1234', 0x04)).status).toBe(0);
    expect((await pin.token('1234', 0x40)).status).toBe(0);
    expect((await pin.token('1234', 0x40 | 0x04)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    expect((await pin.token('1234', 0x01)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    expect((await pin.token('1234', 0x02)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
  });

  it('8 wrong PINs block the PIN for good (PIN_BLOCKED), across power cycles', async () => {
    const sim = await simulatedAuthenticator();
    const pin = pinClient(sim);
    await pin.setPin();
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      if (i > 0 && i % 3 === 0) {
        sim.fido.powerCycle();
        sim.reconnect();
      }
      seen.push((await pin.token('0000', 0x01)).status);
    }
    expect(seen.at(-1)).toBe(S.CTAP2_ERR_PIN_BLOCKED);
    expect(seen.filter((s) => s === S.CTAP2_ERR_PIN_AUTH_BLOCKED)).toHaveLength(2);
    sim.fido.powerCycle();
    sim.reconnect();
    expect((await pin.token('1234', 0x01)).status).toBe(S.CTAP2_ERR_PIN_BLOCKED);
    expect((await sim.cbor(PIN, new Map([[2, 1]]))).body!.get(3)).toBe(0);
  });
});

describe('getInfo (§6.4), reset (§6.6), selection (§6.9) and the dispatch table', () => {
  it('getInfo is built from the profile: versions, algorithms, limits, transports, certifications, remaining credentials', async () => {
    const sim = await simulatedAuthenticator({
      profile: {
        versions: ['FIDO_2_0', 'FIDO_2_1'],
        extensions: ['credProtect', 'minPinLength'],
        algorithms: [-7],
        transports: ['usb', 'nfc'],
        firmwareVersion: [5, 4, 3],
        certifications: { FIDO: 2 },
        uvModality: 0x02,
        limits: { maxMsgSize: 1200, maxCredentialCountInList: 8, maxCredentialIdLength: 128, minPINLength: 4, maxDiscoverableCredentials: 25, reportsRemainingDiscoverableCredentials: true },
      },
    });
    await sim.status(MC, mcParams([], true));
    const info = (await sim.cbor(INFO)).body!;
    expect(info.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1']);
    expect(info.get(2)).toEqual(['credProtect', 'minPinLength']);
    expect(info.get(5)).toBe(1200);
    expect(info.get(7)).toBe(8);
    expect(info.get(8)).toBe(128);
    expect(info.get(9)).toEqual(['usb', 'nfc']);
    expect(info.get(10)).toEqual([new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]);
    expect(info.get(13)).toBe(4);
    expect(info.get(14)).toBe(0x050403); // a byte each, as YubiKeys report it
    expect(info.get(18)).toBe(2);
    expect(info.get(19)).toEqual(new Map([['FIDO', 2]]));
    expect(info.get(20)).toBe(24);
    // A FIDO_2_x-only key has no U2F: CTAPHID_MSG is ERR_INVALID_CMD.
    sim.host.send(sim.cid(), CTAPHID.MSG, [0, 3, 0, 0, 0]);
    expect(sim.host.last()).toMatchObject({ cmd: CTAPHID.ERROR, data: Uint8Array.of(0x01) });
  });

  it('clientPin in getInfo is the live state; an option the profile lacks is never reported', async () => {
    const sim = await simulatedAuthenticator();
    expect(((await sim.cbor(INFO)).body!.get(4) as M).get('clientPin')).toBe(false);
    await pinClient(sim).setPin();
    expect(((await sim.cbor(INFO)).body!.get(4) as M).get('clientPin')).toBe(true);
    const noPin = await simulatedAuthenticator({ profile: { options: { rk: true, up: true } } });
    expect(((await noPin.cbor(INFO)).body!.get(4) as M).has('clientPin')).toBe(false);
    expect(await noPin.status(PIN, new Map([[1, 2], [2, 2]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });

  it('commands this key does not have are INVALID_COMMAND: CTAP 2.1 ones (credential management, config, ...), and selection on a CTAP 2.0 key', async () => {
    const sim = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true } } });
    for (const cmd of [0x03, 0x05, 0x09, 0x0a, 0x0c, 0x0d, 0x40, 0x41, 0xff]) expect(await sim.status(cmd, new Map([[1, 1]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    const ctap20 = await simulatedAuthenticator({ profile: { versions: ['U2F_V2', 'FIDO_2_0'] } });
    expect(await ctap20.status(SELECTION)).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect(await sim.status(SELECTION)).toBe(0);
  });

  it('a U2F-only key has no CBOR capability: INIT says so and CTAPHID_CBOR is ERR_INVALID_CMD', async () => {
    const sim = await simulatedAuthenticator({ profile: { versions: ['U2F_V2'], options: {}, pinUvAuthProtocols: [], algorithms: [] } });
    sim.host.send(0xffffffff, CTAPHID.INIT, [1, 2, 3, 4, 5, 6, 7, 8]);
    const init = sim.host.last();
    expect(init.data[16]! & 0x04).toBe(0);
    sim.host.send(sim.cid(), CTAPHID.CBOR, [INFO]);
    expect(sim.host.last()).toMatchObject({ cmd: CTAPHID.ERROR, data: Uint8Array.of(0x01) });
    const version = await sim.u2f([0, 3, 0, 0, 0, 0, 0]);
    expect(Buffer.from(version.subarray(0, -2)).toString()).toBe('U2F_V2');
  });

  it('reset: after 10 s of power-up NOT_ALLOWED, a refused touch OPERATION_DENIED', async () => {
    const sim = await simulatedAuthenticator({ presence: new DenyPresence() });
    expect(await sim.status(RESET)).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    sim.clock.advance(10_001);
    expect(await sim.status(RESET)).toBe(S.CTAP2_ERR_NOT_ALLOWED);
  });
});
