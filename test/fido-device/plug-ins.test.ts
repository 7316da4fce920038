/**
 * The plug-in points of the simulated authenticator work end to end before any real
 * extension or second algorithm exists: a test extension goes through getInfo, input parsing,
 * makeCredential outputs, what it stores in the credential ID, getAssertion outputs and the
 * applicability filter; a test algorithm (ESP256, COSE -9: ES256 fully specified) through
 * pubKeyCredParams, getInfo, credential IDs and signatures. And profiles are checked.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { ES256 } from '../../firmware-sim/fido/algorithms/es256.js';
import { bool, uint } from '../../firmware-sim/fido/cbor-params.js';
import { CREDENTIAL_ID_LENGTH, openCredential, sealCredential } from '../../firmware-sim/fido/credential-id.js';
import { type CredentialAlgorithm, DEFAULT_FIDO_PROFILE, type Extension, FidoAuthenticator, fidoProfile } from '../../firmware-sim/fido/index.js';
import { DenyPresence, createTestEnvironment } from '../../firmware-sim/env/index.js';
import type { UvOutcome } from '../../firmware-sim/fido/user-verification.js';
import { validateFidoProfile } from '../../devices/fido-profile.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { type M, cdh, descriptor, gaParams, mcParams, parseAuthData, simulatedAuthenticator } from '../support/fido-sim.js';

/** Stores a level with the credential; level 3 credentials need UV to be found (like credProtect). */
const TEST_LEVEL: Extension<number, boolean> = {
  id: 'testLevel',
  getAssertionInputId: 'getTestLevel',
  info: (_device, info) => info.member(0x0f, 99),
  parseMakeCredential: (v) => uint(v, 'testLevel'),
  makeCredential: (_device, level) => ({ stored: level, output: level, response: new Map([[0x05, Uint8Array.of(level)]]) }),
  parseGetAssertion: (v) => bool(v, 'getTestLevel'),
  applicable: (stored, ctx) => stored !== 3 || ctx.uv,
  getAssertion: (_device, wanted, stored) => (wanted ? { output: stored ?? 0, unsignedOutput: 'unsigned' } : {}),
};

/** ESP256 (COSE -9): ES256 keys under the fully-specified identifier. */
const ESP256: CredentialAlgorithm = {
  alg: -9,
  name: 'ESP256',
  async generate(random) {
    return withAlg(await ES256.generate(random));
  },
  async load(privateKey) {
    return withAlg(await ES256.load(privateKey));
  },
};
function withAlg(key: Awaited<ReturnType<CredentialAlgorithm['load']>>): Awaited<ReturnType<CredentialAlgorithm['load']>> {
  return { alg: -9, privateKey: key.privateKey, publicKey: () => key.publicKey().set(3, -9), sign: (m) => key.sign(m) };
}

describe('the extension interface', () => {
  const withExtension = () => simulatedAuthenticator({ extensions: [TEST_LEVEL], profile: { extensions: ['testLevel'] } });

  it('is ignored when the profile does not list the extension', async () => {
    const sim = await simulatedAuthenticator({ extensions: [TEST_LEVEL], profile: { extensions: [] } });
    const made = await sim.cbor(0x01, mcParams([[6, new Map([['testLevel', 'not a number']])]]));
    expect(made.status).toBe(0);
    const a = parseAuthData(made.body!.get(2) as Uint8Array);
    expect(a.flags & 0x80).toBe(0);
    expect(a.credId!.length).toBe(CREDENTIAL_ID_LENGTH);
    expect((await sim.cbor(0x04)).body!.get(2) ?? []).not.toContain('testLevel');
  });

  it('adds itself and its members to getInfo, and its parser types the input', async () => {
    const sim = await withExtension();
    const info = (await sim.cbor(0x04)).body!;
    expect(info.get(2)).toEqual(['testLevel']);
    expect(info.get(0x0f)).toBe(99);
    expect(await sim.status(0x01, mcParams([[6, new Map([['testLevel', 'two']])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(0x02, gaParams([[4, new Map([['getTestLevel', 1]])]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });

  it('outputs in authData and the response, stores in the credential ID, and answers in getAssertion', async () => {
    const sim = await withExtension();
    const made = await sim.cbor(0x01, mcParams([[6, new Map([['testLevel', 2]])]]));
    expect(made.status).toBe(0);
    const a = parseAuthData(made.body!.get(2) as Uint8Array);
    expect(a.flags & 0xc0).toBe(0xc0); // AT and ED
    expect(a.extensions).toEqual(new Map([['testLevel', 2]]));
    expect(a.cose!.get(3)).toBe(-7);
    expect(made.body!.get(5)).toEqual(Uint8Array.of(2));
    expect(a.credId![0]).toBe(2); // the record layout: the stored level travels in the ID
    const got = await sim.cbor(0x02, gaParams([[3, [descriptor(a.credId!)]], [4, new Map([['getTestLevel', true]])]]));
    expect(got.status).toBe(0);
    const g = parseAuthData(got.body!.get(2) as Uint8Array);
    expect(g.flags).toBe(0x81);
    expect(g.extensions).toEqual(new Map([['testLevel', 2]]));
    expect(got.body!.get(8)).toEqual(new Map([['testLevel', 'unsigned']]));
    expect(p256.verify(got.body!.get(3) as Uint8Array, new Uint8Array([...(got.body!.get(2) as Uint8Array), ...cdh]), a.pub!, { format: 'der' })).toBe(true);
    // Without the input, no output.
    const plain = await sim.cbor(0x02, gaParams([[3, [descriptor(a.credId!)]]]));
    expect(parseAuthData(plain.body!.get(2) as Uint8Array).flags).toBe(0x01);
  });

  it('filters credentials with `applicable` in getAssertion (§6.2.2 step 7) and the excludeList (§6.1.2 step 12)', async () => {
    const sim = await withExtension();
    const made = await sim.cbor(0x01, mcParams([[6, new Map([['testLevel', 3]])]], true));
    const id = parseAuthData(made.body!.get(2) as Uint8Array).credId!;
    expect(await sim.status(0x02, gaParams())).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    expect(await sim.status(0x02, gaParams([[3, [descriptor(id)]]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
    expect(await sim.status(0x01, mcParams([[5, [descriptor(id)]], [3, new Map<string, unknown>([['id', Uint8Array.of(7)]])]]))).toBe(0);
  });
});

describe('the algorithm interface', () => {
  it('a profile that prefers another algorithm lists it in getInfo and makes, seals and signs with it', async () => {
    const sim = await simulatedAuthenticator({ algorithms: [ESP256], profile: { algorithms: [-9, -7], attestation: 'self' } });
    expect((await sim.cbor(0x04)).body!.get(10)).toEqual([-9, -7].map((alg) => new Map<string, unknown>([['alg', alg], ['type', 'public-key']])));
    const made = await sim.cbor(0x01, mcParams([[4, [-9, -7].map((alg) => new Map<string, unknown>([['alg', alg], ['type', 'public-key']]))]]));
    expect(made.status).toBe(0);
    const a = parseAuthData(made.body!.get(2) as Uint8Array);
    expect(a.cose!.get(3)).toBe(-9);
    expect(a.credId![0]).toBe(2);
    const stmt = made.body!.get(3) as M;
    expect(stmt.get('alg')).toBe(-9); // self attestation names the credential's algorithm
    expect(p256.verify(stmt.get('sig') as Uint8Array, new Uint8Array([...(made.body!.get(2) as Uint8Array), ...cdh]), a.pub!, { format: 'der' })).toBe(true);
    const got = await sim.cbor(0x02, gaParams([[3, [descriptor(a.credId!)]]]));
    expect(p256.verify(got.body!.get(3) as Uint8Array, new Uint8Array([...(got.body!.get(2) as Uint8Array), ...cdh]), a.pub!, { format: 'der' })).toBe(true);
  });

  it('a credential whose algorithm the profile lacks is not found', async () => {
    const storage = (await import('../../firmware-sim/env/index.js')).MemoryStorage;
    const shared = new storage();
    const first = await simulatedAuthenticator({ storage: shared, algorithms: [ESP256], profile: { algorithms: [-9] } });
    const id = parseAuthData((await first.cbor(0x01, mcParams([[4, [new Map<string, unknown>([['alg', -9], ['type', 'public-key']])]]]))).body!.get(2) as Uint8Array).credId!;
    const second = await simulatedAuthenticator({ storage: shared });
    expect(await second.status(0x02, gaParams([[3, [descriptor(id)]]]))).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
  });
});

describe('the built-in user verification hook', () => {
  /** A verifier whose performBuiltInUv answers `outcome`, with `retries` left, and counts its calls. */
  const verifier = (outcome: UvOutcome = 'verified', retries = 5) => {
    const calls: string[] = [];
    return {
      calls,
      configured: () => true,
      retries: () => retries,
      restore: () => undefined,
      perform: async (_ctx: unknown, why: string, internalRetry: boolean) => {
        calls.push(`${why}${internalRetry ? '' : ' (no retry)'}`);
        return outcome;
      },
    };
  };

  it('uv=true verifies instead of a touch (UP and UV set); without uv the key is protected', async () => {
    const uv = verifier();
    const sim = await simulatedAuthenticator({ presence: new DenyPresence(), userVerifier: uv });
    const made = await sim.cbor(0x01, mcParams([[7, new Map([['uv', true], ['rk', true]])]]));
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x05).toBe(0x05);
    const got = await sim.cbor(0x02, gaParams([[5, new Map([['uv', true]])]]));
    expect(got.status).toBe(0);
    expect(parseAuthData(got.body!.get(2) as Uint8Array).flags).toBe(0x05);
    expect((got.body!.get(4) as M).get('name')).toBe('alice');
    // makeCredential and getAssertion let performBuiltInUv retry internally (§6.1.2 step 11.2.1).
    expect(uv.calls).toEqual(['makeCredential', 'getAssertion']);
    // Protected by built-in UV, no PIN: makeCredential without UV is OPERATION_DENIED (§6.1.2 step 8).
    expect(await sim.status(0x01, mcParams())).toBe(S.CTAP2_ERR_OPERATION_DENIED);
  });

  it("maps the verifier's outcome to makeCredential's and getAssertion's answers (§6.1.2 step 11.2.3, §6.2.2 step 6.2.3)", async () => {
    const uvOn = new Map([['uv', true]]);
    expect(await (await simulatedAuthenticator({ userVerifier: verifier('timeout') })).status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_USER_ACTION_TIMEOUT);
    expect(await (await simulatedAuthenticator({ userVerifier: verifier('failed') })).status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    expect(await (await simulatedAuthenticator({ userVerifier: verifier('failed', 0) })).status(0x02, gaParams([[5, uvOn]]))).toBe(S.CTAP2_ERR_PIN_BLOCKED);
  });
});

describe('credential IDs', () => {
  const master = new Uint8Array(32).fill(3);
  const rpIdHash = sha256(new TextEncoder().encode('rp.example'));
  const key = new Uint8Array(32).map((_, i) => i + 1);
  const nonce = new Uint8Array(12).fill(4);

  it('keep the 61-byte layout for plain ES256 and seal a record otherwise; both open only for their RP', () => {
    const plain = sealCredential(master, rpIdHash, { alg: -7, privateKey: key, extensions: new Map() }, nonce);
    expect(plain.length).toBe(CREDENTIAL_ID_LENGTH);
    expect(openCredential(master, rpIdHash, plain)).toEqual({ alg: -7, privateKey: key, extensions: new Map() });
    const rich = sealCredential(master, rpIdHash, { alg: -8, privateKey: key, extensions: new Map([['credProtect', 3]]) }, nonce);
    expect(rich[0]).toBe(2);
    expect(openCredential(master, rpIdHash, rich)).toEqual({ alg: -8, privateKey: key, extensions: new Map([['credProtect', 3]]) });
    expect(openCredential(master, sha256(new TextEncoder().encode('other.example')), rich)).toBeUndefined();
    for (let i = 1; i < rich.length; i++) {
      const bad = rich.slice();
      bad[i]! ^= 0x80;
      expect(openCredential(master, rpIdHash, bad)).toBeUndefined();
    }
    expect(openCredential(master, rpIdHash, Uint8Array.of(2, 1, 2))).toBeUndefined();
  });
});

describe('FIDO profiles', () => {
  it('refuse what the firmware does not implement, and name the bad member', async () => {
    expect(() => fidoProfile({ algorithms: [-65535] })).toThrow(/algorithm -65535 is not implemented/);
    expect(() => fidoProfile({ extensions: ['noSuchExtension'] })).toThrow(/extension "noSuchExtension" is not implemented/);
    expect(() => fidoProfile({ quirks: ['noSuchQuirk' as never] })).toThrow(RangeError);
    expect(() => fidoProfile({ options: { nope: true } as never })).toThrow(/options.nope/);
    expect(() => fidoProfile({ pinUvAuthProtocols: [3 as never] })).toThrow(/pinUvAuthProtocols\[0\]/);
    expect(() => fidoProfile({ limits: { maxMsgSize: 9000 } })).toThrow(/limits.maxMsgSize/);
    expect(() => fidoProfile({ versions: [] })).toThrow(/versions/);
    expect(() => validateFidoProfile({ ...DEFAULT_FIDO_PROFILE, algorithms: ['ES256'] })).toThrow(TypeError);
    const { env } = createTestEnvironment();
    await expect(FidoAuthenticator.create(env, { algorithms: [-65535] })).rejects.toThrow(RangeError);
  });

  it('validate a JSON round trip of the default, and keep limits given alone', () => {
    expect(validateFidoProfile(JSON.parse(JSON.stringify(DEFAULT_FIDO_PROFILE)))).toEqual({ ...DEFAULT_FIDO_PROFILE, firmwareVersion: [1, 0, 0] });
    expect(fidoProfile({ limits: { maxCredentialCountInList: 8 } }).limits).toEqual({ ...DEFAULT_FIDO_PROFILE.limits, maxCredentialCountInList: 8 });
  });
});
