/**
 * authenticatorCredentialManagement on the simulated key (CTAP 2.1 §6.8, and 0x41 of 2.1-PRE):
 * each sub-command's result and each refusal, named for its step; the cm permission and a
 * token bound to an RP; CTAP 2.2's read-only pcmr; deleted credentials stay dead; updates and
 * deletions survive a restart on the same storage.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../firmware-sim/env/index.js';
import { fidoPersonality } from '../../firmware-sim/fido/index.js';
import { authMessage } from '../../src/protocol/auth-message.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { type M, cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO, type PinUvAuthProtocol } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const CM = 0x0a;
const PERM = { mc: 0x01, ga: 0x02, cm: 0x04, pcmr: 0x40 } as const;
const SUB = { metadata: 1, rpsBegin: 2, rpsNext: 3, credsBegin: 4, credsNext: 5, delete: 6, update: 7 } as const;
const utf8 = new TextEncoder();
const hash = (rpId: string): Uint8Array => sha256(utf8.encode(rpId));

/** A key with a PIN and resident credentials: alice and bob at example.com, carol at other.example. */
async function populated(options: Parameters<typeof simulatedAuthenticator>[0] = {}, protocol: PinUvAuthProtocol = PIN_PROTOCOL_TWO) {
  const sim = await simulatedAuthenticator(options);
  const pin = pinClient(sim, protocol);
  await pin.setPin();
  const ids: Record<string, Uint8Array> = {};
  const keys: Record<string, M> = {};
  for (const [name, rpId, userId, credProtect] of [['alice', 'example.com', 1, undefined], ['bob', 'example.com', 2, 2], ['carol', 'other.example', 3, 3]] as const) {
    const t = await pin.token('1234', PERM.mc, rpId);
    const extra: [number, unknown][] = [
      [2, new Map([['id', rpId]])],
      [3, new Map<string, unknown>([['id', Uint8Array.of(userId)], ['name', name], ['displayName', name.toUpperCase()]])],
      [8, protocol.authenticate(t.token!, cdh)],
      [9, protocol.version],
    ];
    if (credProtect !== undefined) extra.push([6, new Map([['credProtect', credProtect]])]);
    const made = await sim.cbor(MC, mcParams(extra, true));
    expect(made.status).toBe(0);
    const a = parseAuthData(made.body!.get(2) as Uint8Array);
    ids[name] = a.credId!;
    keys[name] = a.cose!;
  }
  /** Send a credentialManagement sub-command authenticated with `token` (or with no pinUvAuthParam). */
  const cm = (token: Uint8Array | undefined, sub: number, params?: Map<number, unknown>, cmd = CM) => {
    const m = new Map<number, unknown>([[1, sub]]);
    if (params !== undefined) m.set(2, params);
    if (token !== undefined) {
      m.set(3, protocol.version);
      m.set(4, protocol.authenticate(token, authMessage([sub], params as Map<never, never> | undefined)));
    }
    return sim.cbor(cmd, m);
  };
  const cmToken = async (rpId?: string, permissions: number = PERM.cm) => (await pin.token('1234', permissions, rpId)).token!;
  return { sim, pin, ids, keys, cm, cmToken };
}

const credParams = (id: Uint8Array) => new Map<number, unknown>([[2, descriptor(id)]]);

describe('credentialManagement getCredsMetadata and the checks every sub-command makes (§6.8.2)', () => {
  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`counts resident credentials and what is left (PIN/UV auth protocol ${protocol.version})`, async () => {
      const { cm, cmToken } = await populated({}, protocol);
      const r = await cm(await cmToken(), SUB.metadata);
      expect(r.status).toBe(0);
      expect(r.body).toEqual(new Map([[1, 3], [2, 253]]));
    });
  }

  it('refuses: no pinUvAuthParam PUAT_REQUIRED, no protocol MISSING_PARAMETER, an unknown one INVALID_PARAMETER, a wrong param PIN_AUTH_INVALID', async () => {
    const { sim, cm, cmToken } = await populated();
    const token = await cmToken();
    expect((await cm(undefined, SUB.metadata)).status).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [4, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [3, 3], [4, new Uint8Array(32)]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [3, 2], [4, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    // A pinUvAuthParam over another sub-command's message.
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [3, 2], [4, PIN_PROTOCOL_TWO.authenticate(token, Uint8Array.of(2))]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(token, SUB.metadata)).status).toBe(0);
  });

  it('needs the cm permission, a token not bound to an RP, and one that has not expired', async () => {
    const { sim, cm, cmToken } = await populated();
    expect((await cm(await cmToken(undefined, PERM.mc | PERM.ga), SUB.metadata)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const bound = await cmToken('example.com');
    expect((await cm(bound, SUB.metadata)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(bound, SUB.rpsBegin)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const token = await cmToken();
    sim.clock.advance(10 * 60_000 + 1);
    expect((await cm(token, SUB.metadata)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('an unknown sub-command is INVALID_SUBCOMMAND; parameters of the wrong CBOR type are CBOR_UNEXPECTED_TYPE', async () => {
    const { sim, cm, cmToken } = await populated();
    const token = await cmToken();
    expect((await cm(token, 8)).status).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await sim.status(CM, new Map([[1, 'one']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[2, new Map()]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 4], [2, [1]]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 4], [2, new Map([[1, 'hash']])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 6], [2, new Map([[2, Uint8Array.of(1)]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 6], [2, new Map([[2, new Map([['type', 'public-key']])]])]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 7], [2, new Map([[3, new Map([['name', 'x']])]])]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 7], [2, new Map([[3, new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 5]])]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [3, 'two']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(CM, new Map<number, unknown>([[1, 1], [4, 'param']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('credentialManagement enumeration (§6.8.3, §6.8.4)', () => {
  it('enumerates RPs once each, then NOT_ALLOWED; GetNextRP without a Begin is NOT_ALLOWED', async () => {
    const { cm, cmToken } = await populated();
    expect((await cm(undefined, SUB.rpsNext)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    const first = await cm(await cmToken(), SUB.rpsBegin);
    expect(first.status).toBe(0);
    expect(first.body).toEqual(new Map<number, unknown>([[3, new Map([['id', 'example.com']])], [4, hash('example.com')], [5, 2]]));
    const next = await cm(undefined, SUB.rpsNext);
    expect(next.body).toEqual(new Map<number, unknown>([[3, new Map([['id', 'other.example']])], [4, hash('other.example')]]));
    expect((await cm(undefined, SUB.rpsNext)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
  });

  it('enumerates an RP’s credentials with user, ID, public key, total and credProtect level', async () => {
    const { cm, cmToken, ids, keys } = await populated();
    const token = await cmToken();
    const first = await cm(token, SUB.credsBegin, new Map([[1, hash('example.com')]]));
    expect(first.status).toBe(0);
    expect(first.body!.get(6)).toEqual(new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'alice'], ['displayName', 'ALICE']]));
    expect(first.body!.get(7)).toEqual(descriptor(ids.alice!));
    expect(first.body!.get(8)).toEqual(keys.alice);
    expect(first.body!.get(9)).toBe(2);
    expect(first.body!.get(10)).toBe(1); // made without credProtect
    const next = await cm(undefined, SUB.credsNext);
    expect(next.body!.get(6)).toEqual(new Map<string, unknown>([['id', Uint8Array.of(2)], ['name', 'bob'], ['displayName', 'BOB']]));
    expect(next.body!.get(10)).toBe(2);
    expect(next.body!.has(9)).toBe(false);
    expect((await cm(undefined, SUB.credsNext)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    const other = await cm(token, SUB.credsBegin, new Map([[1, hash('other.example')]]));
    expect(other.body!.get(10)).toBe(3);
  });

  it('reports each credential’s largeBlobKey (0x0B, the key makeCredential gave) and thirdPartyPayment (0x0C, CTAP 2.2)', async () => {
    const { sim, pin, cm, cmToken } = await populated();
    const t = await pin.token('1234', PERM.mc, 'blob.example');
    const made = await sim.cbor(
      MC,
      mcParams(
        [
          [2, new Map([['id', 'blob.example']])],
          [6, new Map<string, unknown>([['largeBlobKey', true], ['thirdPartyPayment', true]])],
          [8, PIN_PROTOCOL_TWO.authenticate(t.token!, cdh)],
          [9, 2],
        ],
        true,
      ),
    );
    expect(made.status).toBe(0);
    const largeBlobKey = made.body!.get(5) as Uint8Array;
    expect(largeBlobKey).toHaveLength(32);
    const token = await cmToken();
    const blob = await cm(token, SUB.credsBegin, new Map([[1, hash('blob.example')]]));
    expect(blob.status).toBe(0);
    expect(blob.body!.get(11)).toEqual(largeBlobKey);
    expect(blob.body!.get(12)).toBe(true);
    const plain = await cm(token, SUB.credsBegin, new Map([[1, hash('other.example')]]));
    expect(plain.body!.has(11)).toBe(false);
    expect(plain.body!.get(12)).toBe(false);
  });

  it('refuses: rpIDHash missing MISSING_PARAMETER, an RP without credentials NO_CREDENTIALS, a token bound to another RP PIN_AUTH_INVALID', async () => {
    const { cm, cmToken } = await populated();
    const token = await cmToken();
    expect((await cm(token, SUB.credsBegin)).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect((await cm(token, SUB.credsBegin, new Map([[1, hash('nobody.example')]]))).status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    const bound = await cmToken('other.example');
    expect((await cm(bound, SUB.credsBegin, new Map([[1, hash('example.com')]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(bound, SUB.credsBegin, new Map([[1, hash('other.example')]]))).status).toBe(0);
  });

  it('another sub-command ends an enumeration; a key without resident credentials has no RPs', async () => {
    const { cm, cmToken } = await populated();
    const token = await cmToken();
    expect((await cm(token, SUB.rpsBegin)).status).toBe(0);
    expect((await cm(token, SUB.metadata)).status).toBe(0);
    expect((await cm(undefined, SUB.rpsNext)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED);
    const empty = await simulatedAuthenticator();
    const pin = pinClient(empty);
    await pin.setPin();
    const t = (await pin.token('1234', PERM.cm)).token!;
    const r = await empty.cbor(CM, new Map<number, unknown>([[1, 2], [3, 2], [4, PIN_PROTOCOL_TWO.authenticate(t, Uint8Array.of(2))]]));
    expect(r.status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
  });
});

describe('credentialManagement deleteCredential and updateUserInformation (§6.8.5, §6.8.6)', () => {
  it('deletes a credential for good: not enumerated, not found by its ID, the count goes down', async () => {
    const { sim, cm, cmToken, ids } = await populated();
    const token = await cmToken();
    expect((await cm(token, SUB.delete)).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect((await cm(token, SUB.delete, credParams(new Uint8Array(70)))).status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    expect((await sim.cbor(GA, gaParams([[3, [descriptor(ids.alice!)]]]))).status).toBe(0);
    expect((await cm(token, SUB.delete, credParams(ids.alice!))).status).toBe(0);
    expect((await cm(token, SUB.metadata)).body!.get(1)).toBe(2);
    expect((await sim.cbor(GA, gaParams([[3, [descriptor(ids.alice!)]]]))).status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    expect((await cm(token, SUB.delete, credParams(ids.alice!))).status).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    const left = await cm(token, SUB.credsBegin, new Map([[1, hash('example.com')]]));
    expect(left.body!.get(9)).toBe(1);
  });

  it('a token bound to an RP deletes and updates that RP’s credentials only', async () => {
    const { cm, cmToken, ids } = await populated();
    const bound = await cmToken('example.com');
    expect((await cm(bound, SUB.delete, credParams(ids.carol!))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const carol = new Map<number, unknown>([[2, descriptor(ids.carol!)], [3, new Map<string, unknown>([['id', Uint8Array.of(3)], ['name', 'c']])]]);
    expect((await cm(bound, SUB.update, carol)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(bound, SUB.delete, credParams(ids.bob!))).status).toBe(0);
  });

  it('updates name and displayName (absent or empty removes one); another user id is INVALID_PARAMETER', async () => {
    const { sim, pin, cm, cmToken, ids } = await populated();
    const token = await cmToken();
    const update = (userId: number, fields: [string, string][]) =>
      new Map<number, unknown>([[2, descriptor(ids.alice!)], [3, new Map<string, unknown>([['id', Uint8Array.of(userId)], ...fields])]]);
    expect((await cm(token, SUB.update, new Map([[2, descriptor(ids.alice!)]]))).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect((await cm(token, SUB.update, update(9, [['name', 'mallory']]))).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect((await cm(token, SUB.update, update(1, [['name', 'alice.smith'], ['displayName', '']]))).status).toBe(0);
    const listed = await cm(token, SUB.credsBegin, new Map([[1, hash('example.com')]]));
    expect(listed.body!.get(6)).toEqual(new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'alice.smith']]));
    // getAssertion with UV reports the new name.
    const ga = await pin.token('1234', PERM.ga, 'example.com');
    const a = await sim.cbor(GA, gaParams([[3, [descriptor(ids.alice!)]], [6, PIN_PROTOCOL_TWO.authenticate(ga.token!, cdh)], [7, 2]]));
    expect((a.body!.get(4) as M).get('name')).toBe('alice.smith');
  });

  it('deletions and updates survive a restart on the same storage', async () => {
    const storage = new MemoryStorage();
    const { cm, cmToken, ids } = await populated({ storage });
    const token = await cmToken();
    await cm(token, SUB.delete, credParams(ids.carol!));
    await cm(token, SUB.update, new Map<number, unknown>([[2, descriptor(ids.bob!)], [3, new Map<string, unknown>([['id', Uint8Array.of(2)], ['displayName', 'Robert']])]]));
    const again = await simulatedAuthenticator({ storage });
    const pin = pinClient(again);
    const t = (await pin.token('1234', PERM.cm)).token!;
    const meta = await again.cbor(CM, new Map<number, unknown>([[1, 1], [3, 2], [4, PIN_PROTOCOL_TWO.authenticate(t, Uint8Array.of(1))]]));
    expect(meta.body!.get(1)).toBe(2);
    const params = new Map([[1, hash('example.com')]]);
    const creds = await again.cbor(CM, new Map<number, unknown>([[1, 4], [2, params], [3, 2], [4, PIN_PROTOCOL_TWO.authenticate(t, authMessage([4], params))]]));
    expect(creds.body!.get(9)).toBe(2);
    const bob = await again.cbor(CM, new Map([[1, 5]]));
    expect(bob.body!.get(6)).toEqual(new Map<string, unknown>([['id', Uint8Array.of(2)], ['displayName', 'Robert']]));
  });
});

describe('credentialManagement beyond CTAP 2.1 and before it', () => {
  it('0x41 (2.1-PRE) answers the same as 0x0A on every key with credential management, as libfido2 up to 1.14 needs; a key without it refuses', async () => {
    const yubikey = await populated({ profile: fidoPersonality('yubikey-5')! });
    const r = await yubikey.cm(await yubikey.cmToken(), SUB.metadata, undefined, 0x41);
    expect(r.body).toEqual(new Map([[1, 3], [2, 97]]));
    const strict = await populated();
    const viaPreview = await strict.cm(await strict.cmToken(), SUB.metadata, undefined, 0x41);
    expect(viaPreview.status).toBe(0);
    expect(viaPreview.body).toEqual((await strict.cm(await strict.cmToken(), SUB.metadata)).body);
    const without = await populated({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true } } });
    expect((await without.sim.cbor(0x41, new Map([[1, 1]]))).status).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });

  it('CTAP 2.2 persistent (pcmr) token: reads but neither deletes nor updates, outlives power cycles, ends with a PIN change', async () => {
    const options = { rk: true, up: true, clientPin: false, pinUvAuthToken: true, credMgmt: true, perCredMgmtRO: true };
    const { sim, pin, cm, cmToken, ids } = await populated({ profile: { options } });
    const rw = await cmToken();
    const ro = await cmToken(undefined, PERM.pcmr);
    expect((await cm(ro, SUB.metadata)).status).toBe(0);
    expect((await cm(ro, SUB.rpsBegin)).status).toBe(0);
    expect((await cm(ro, SUB.credsBegin, new Map([[1, hash('example.com')]]))).status).toBe(0);
    expect((await cm(ro, SUB.delete, credParams(ids.alice!))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(ro, SUB.update, new Map<number, unknown>([[2, descriptor(ids.alice!)], [3, new Map([['id', Uint8Array.of(1)]])]]))).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await cm(rw, SUB.metadata)).status).toBe(0); // issuing it left the pinUvAuthToken alone
    expect(await cmToken(undefined, PERM.pcmr)).toEqual(ro); // the same token each time
    sim.clock.advance(24 * 3600_000);
    sim.fido.powerCycle();
    sim.reconnect();
    expect((await cm(ro, SUB.metadata)).status).toBe(0);
    expect((await cm(rw, SUB.metadata)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const k = await pin.shared();
    const newPinEnc = pin.enc(k, pin.padPin('5678'));
    const pinHashEnc = pin.enc(k, pin.pinHash('1234'));
    expect(await sim.status(0x06, new Map<number, unknown>([[1, 2], [2, 4], [3, pin.hostCose], [4, PIN_PROTOCOL_TWO.authenticate(k, new Uint8Array([...newPinEnc, ...pinHashEnc]))], [5, newPinEnc], [6, pinHashEnc]]))).toBe(0);
    expect((await cm(ro, SUB.metadata)).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('resident credentials of a profile without credProtect report no level', async () => {
    const sim = await simulatedAuthenticator({ profile: { extensions: [] } });
    const pin = pinClient(sim);
    await pin.setPin();
    const t = await pin.token('1234', PERM.mc);
    expect(await sim.status(MC, mcParams([[8, PIN_PROTOCOL_TWO.authenticate(t.token!, cdh)], [9, 2]], true))).toBe(0);
    const cmT = (await pin.token('1234', PERM.cm)).token!;
    const params = new Map([[1, hash('example.com')]]);
    const r = await sim.cbor(CM, new Map<number, unknown>([[1, 4], [2, params], [3, 2], [4, PIN_PROTOCOL_TWO.authenticate(cmT, authMessage([4], params))]]));
    expect(r.status).toBe(0);
    expect(r.body!.has(10)).toBe(false);
  });
});
