/**
 * The extensions of the simulated authenticator (CTAP 2.1 §12, CTAP 2.2 §12), driven over
 * CTAPHID with the independent PIN/UV protocol reference on the platform side: hmac-secret
 * with both protocols, one and two salts, and separate secrets with and without UV;
 * hmac-secret-mc; credBlob within and beyond maxCredBlobLength; largeBlobKey; thirdPartyPayment;
 * each refusal the specification names; getInfo; and the longest credential ID each built-in
 * personality makes against the maxCredentialIdLength it reports.
 */
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../firmware-sim/fido/algorithms/index.js';
import { FIDO_PROFILES } from '../../firmware-sim/fido/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { type M, type Sim, cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO, type PinUvAuthProtocol } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const INFO = 0x04;
const ext = (entries: [string, unknown][]): [number, unknown] => [6, new Map<string, unknown>(entries)];
const gaExt = (entries: [string, unknown][]): [number, unknown] => [4, new Map<string, unknown>(entries)];
const salt = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

/** A credential made with `extensions` (resident when `rk`); its ID and the makeCredential reply. */
async function make(sim: Sim, entries: [string, unknown][], rk = false, extra: [number, unknown][] = []) {
  const made = await sim.cbor(MC, mcParams([ext(entries), ...extra], rk));
  expect(made.status, `makeCredential with ${JSON.stringify(entries.map(([k]) => k))}`).toBe(0);
  const a = parseAuthData(made.body!.get(2) as Uint8Array);
  return { id: a.credId!, authData: a, body: made.body! };
}

/** The platform's half of hmac-secret (§12.5) with the reference protocol: the input map and a decrypter. */
async function hmacInput(sim: Sim, protocol: PinUvAuthProtocol, salts: Uint8Array, options: { sendProtocol?: boolean; corruptAuth?: boolean } = {}) {
  const pin = pinClient(sim, protocol);
  const k = await pin.shared();
  const saltEnc = pin.enc(k, salts);
  const saltAuth = protocol.authenticate(k, saltEnc);
  if (options.corruptAuth === true) saltAuth[0]! ^= 1;
  const input = new Map<number, unknown>([[1, pin.hostCose], [2, saltEnc], [3, saltAuth]]);
  if (options.sendProtocol !== false) input.set(4, protocol.version);
  return { input, decrypt: (out: Uint8Array) => protocol.decrypt(k, out)! };
}

async function assertHmac(sim: Sim, id: Uint8Array, protocol: PinUvAuthProtocol, salts: Uint8Array, extra: [number, unknown][] = []): Promise<Uint8Array> {
  const { input, decrypt } = await hmacInput(sim, protocol, salts);
  const got = await sim.cbor(GA, gaParams([[3, [descriptor(id)]], gaExt([['hmac-secret', input]]), ...extra]));
  expect(got.status).toBe(0);
  const a = parseAuthData(got.body!.get(2) as Uint8Array);
  expect(a.flags & 0x80).toBe(0x80);
  return decrypt(a.extensions!.get('hmac-secret') as Uint8Array);
}

describe('getInfo lists every extension the personality has', () => {
  it('the default: credBlob, credProtect, hmac-secret, hmac-secret-mc, largeBlobKey, minPinLength, thirdPartyPayment; maxCredBlobLength; largeBlobs', async () => {
    const sim = await simulatedAuthenticator();
    const info = (await sim.cbor(INFO)).body!;
    expect(info.get(2)).toEqual(['credBlob', 'credProtect', 'hmac-secret', 'hmac-secret-mc', 'largeBlobKey', 'minPinLength', 'thirdPartyPayment']);
    expect(info.get(0x0f)).toBe(32);
    expect(info.get(0x0b)).toBe(4096);
    expect((info.get(4) as M).get('largeBlobs')).toBe(true);
  });

  it('a profile lists them in its own order, and credBlob and largeBlobs state their limits when the profile does not', async () => {
    const sim = await simulatedAuthenticator({ profile: { extensions: ['hmac-secret', 'credBlob'], limits: { maxCredBlobLength: undefined as never, maxSerializedLargeBlobArray: undefined as never } } });
    const info = (await sim.cbor(INFO)).body!;
    expect(info.get(2)).toEqual(['hmac-secret', 'credBlob']);
    expect(info.get(0x0f)).toBe(32);
    expect(info.get(0x0b)).toBe(1024);
  });
});

describe('hmac-secret (CTAP 2.1 §12.5)', () => {
  it('makeCredential outputs true, and only a credential made with it answers hmac-secret', async () => {
    const sim = await simulatedAuthenticator();
    const withIt = await make(sim, [['hmac-secret', true]]);
    expect(withIt.authData.extensions).toEqual(new Map([['hmac-secret', true]]));
    const without = await make(sim, [['hmac-secret', false]]);
    expect(without.authData.extensions).toEqual(new Map([['hmac-secret', false]]));
    const { input } = await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1));
    const got = await sim.cbor(GA, gaParams([[3, [descriptor(without.id)]], gaExt([['hmac-secret', input]])]));
    expect(got.status).toBe(0);
    expect(parseAuthData(got.body!.get(2) as Uint8Array).flags & 0x80).toBe(0);
  });

  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`protocol ${protocol.version}: one and two salts, stable per credential and salt, different per credential`, async () => {
      const sim = await simulatedAuthenticator();
      const a = await make(sim, [['hmac-secret', true]]);
      const b = await make(sim, [['hmac-secret', true]]);
      const one = await assertHmac(sim, a.id, protocol, salt(1));
      expect(one.length).toBe(32);
      expect(await assertHmac(sim, a.id, protocol, salt(1))).toEqual(one);
      const two = await assertHmac(sim, a.id, protocol, new Uint8Array([...salt(1), ...salt(2)]));
      expect(two.length).toBe(64);
      expect(two.subarray(0, 32)).toEqual(one);
      expect(two.subarray(32)).not.toEqual(one);
      expect(await assertHmac(sim, b.id, protocol, salt(1))).not.toEqual(one);
    });
  }

  it('the secret does not depend on the PIN/UV protocol; a missing pinUvAuthProtocol means protocol One', async () => {
    const sim = await simulatedAuthenticator();
    const { id } = await make(sim, [['hmac-secret', true]]);
    const viaOne = await assertHmac(sim, id, PIN_PROTOCOL_ONE, salt(3));
    expect(await assertHmac(sim, id, PIN_PROTOCOL_TWO, salt(3))).toEqual(viaOne);
    const { input, decrypt } = await hmacInput(sim, PIN_PROTOCOL_ONE, salt(3), { sendProtocol: false });
    const got = await sim.cbor(GA, gaParams([[3, [descriptor(id)]], gaExt([['hmac-secret', input]])]));
    expect(decrypt(parseAuthData(got.body!.get(2) as Uint8Array).extensions!.get('hmac-secret') as Uint8Array)).toEqual(viaOne);
  });

  it('with UV (a PIN token) the output comes from CredRandomWithUV, a different secret, the same every time', async () => {
    const sim = await simulatedAuthenticator();
    const pin = pinClient(sim);
    const { id } = await make(sim, [['hmac-secret', true]]);
    const withoutUv = await assertHmac(sim, id, PIN_PROTOCOL_TWO, salt(4));
    await pin.setPin();
    const uv = async (): Promise<Uint8Array> => {
      const { token } = await pin.token('1234', 0x02, 'example.com');
      return assertHmac(sim, id, PIN_PROTOCOL_TWO, salt(4), [[6, pin.protocol.authenticate(token!, cdh)], [7, 2]]);
    };
    const withUv = await uv();
    expect(withUv).not.toEqual(withoutUv);
    expect(await uv()).toEqual(withUv);
    // Without the token the key still answers (a PIN does not make UV mandatory for getAssertion).
    expect(await assertHmac(sim, id, PIN_PROTOCOL_TWO, salt(4))).toEqual(withoutUv);
  });

  it('each refusal: up=false, a bad saltAuth, salts of the wrong size, an unknown protocol, a key off the curve, missing and mistyped members', async () => {
    const sim = await simulatedAuthenticator();
    const { id } = await make(sim, [['hmac-secret', true]]);
    const ga = async (input: unknown, extra: [number, unknown][] = []) => sim.status(GA, gaParams([[3, [descriptor(id)]], gaExt([['hmac-secret', input]]), ...extra]));
    expect(await ga((await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1))).input, [[5, new Map([['up', false]])]])).toBe(S.CTAP2_ERR_UNSUPPORTED_OPTION);
    expect(await ga((await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1), { corruptAuth: true })).input)).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await ga((await hmacInput(sim, PIN_PROTOCOL_TWO, new Uint8Array(48))).input)).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await ga((await hmacInput(sim, PIN_PROTOCOL_ONE, new Uint8Array(96))).input)).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await ga((await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1))).input.set(4, 3))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const offCurve = (await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1))).input;
    offCurve.set(1, new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(32).fill(1)], [-3, new Uint8Array(32).fill(2)]]));
    expect(await ga(offCurve)).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const good = (await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1))).input;
    for (const key of [1, 2, 3]) {
      const missing = new Map(good);
      missing.delete(key);
      expect(await ga(missing), `member ${key} missing`).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    }
    expect(await ga(new Map(good).set(2, 'text'))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await ga(new Map(good).set(4, -1))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await ga(true)).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(MC, mcParams([ext([['hmac-secret', 1]])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });

  it('each credential of a getNextAssertion sequence gets its own output', async () => {
    const sim = await simulatedAuthenticator();
    for (const u of [1, 2]) await make(sim, [['hmac-secret', true]], true, [[3, new Map<string, unknown>([['id', Uint8Array.of(u)], ['name', `u${u}`]])]]);
    const { input, decrypt } = await hmacInput(sim, PIN_PROTOCOL_TWO, salt(5));
    const first = await sim.cbor(GA, gaParams([gaExt([['hmac-secret', input]])]));
    expect(first.body!.get(5)).toBe(2);
    const next = await sim.cbor(0x08);
    const outputs = [first, next].map((r) => decrypt(parseAuthData(r.body!.get(2) as Uint8Array).extensions!.get('hmac-secret') as Uint8Array));
    expect(outputs[0]).not.toEqual(outputs[1]);
  });
});

describe('hmac-secret-mc (CTAP 2.2 §12.8)', () => {
  for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
    it(`protocol ${protocol.version}: the output at creation is what getAssertion answers later for the same salts`, async () => {
      const sim = await simulatedAuthenticator();
      const salts = new Uint8Array([...salt(6), ...salt(7)]);
      const { input, decrypt } = await hmacInput(sim, protocol, salts);
      const made = await make(sim, [['hmac-secret', true], ['hmac-secret-mc', input]]);
      expect(made.authData.extensions!.get('hmac-secret')).toBe(true);
      const atCreation = decrypt(made.authData.extensions!.get('hmac-secret-mc') as Uint8Array);
      expect(atCreation.length).toBe(64);
      expect(await assertHmac(sim, made.id, protocol, salts)).toEqual(atCreation);
    });
  }

  it('needs "hmac-secret": true beside it (MISSING_PARAMETER) and types its input', async () => {
    const sim = await simulatedAuthenticator();
    const { input } = await hmacInput(sim, PIN_PROTOCOL_TWO, salt(1));
    expect(await sim.status(MC, mcParams([ext([['hmac-secret-mc', input]])]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(MC, mcParams([ext([['hmac-secret', false], ['hmac-secret-mc', input]])]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(MC, mcParams([ext([['hmac-secret', true], ['hmac-secret-mc', 'salts']])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('credBlob (CTAP 2.1 §12.2)', () => {
  it('stores up to maxCredBlobLength bytes with resident and non-resident credentials, answers getCredBlob', async () => {
    const sim = await simulatedAuthenticator();
    const blob = new Uint8Array(32).map((_, i) => i);
    for (const rk of [false, true]) {
      const stored = await make(sim, [['credBlob', blob]], rk);
      expect(stored.authData.extensions).toEqual(new Map([['credBlob', true]]));
      const got = await sim.cbor(GA, gaParams([[3, [descriptor(stored.id)]], gaExt([['getCredBlob', true]])]));
      expect(parseAuthData(got.body!.get(2) as Uint8Array).extensions).toEqual(new Map([['credBlob', blob]]));
    }
    const tooLong = await make(sim, [['credBlob', new Uint8Array(33)]]);
    expect(tooLong.authData.extensions).toEqual(new Map([['credBlob', false]]));
    const got = await sim.cbor(GA, gaParams([[3, [descriptor(tooLong.id)]], gaExt([['getCredBlob', true]])]));
    expect(parseAuthData(got.body!.get(2) as Uint8Array).extensions).toEqual(new Map([['credBlob', new Uint8Array(0)]]));
    // getCredBlob: false asks for nothing.
    const quiet = await sim.cbor(GA, gaParams([[3, [descriptor(tooLong.id)]], gaExt([['getCredBlob', false]])]));
    expect(parseAuthData(quiet.body!.get(2) as Uint8Array).flags & 0x80).toBe(0);
  });

  it('a profile with a longer limit stores longer blobs; inputs are typed', async () => {
    const sim = await simulatedAuthenticator({ profile: { limits: { maxCredBlobLength: 64, maxCredentialIdLength: 300 } } });
    expect((await make(sim, [['credBlob', new Uint8Array(64)]])).authData.extensions).toEqual(new Map([['credBlob', true]]));
    expect(await sim.status(MC, mcParams([ext([['credBlob', 'text']])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(GA, gaParams([gaExt([['getCredBlob', 1]])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('largeBlobKey (CTAP 2.1 §12.3)', () => {
  it('a discoverable credential gets a 32-byte key (makeCredential 0x05), and getAssertion returns the same one (0x07)', async () => {
    const sim = await simulatedAuthenticator();
    const a = await make(sim, [['largeBlobKey', true]], true);
    const key = a.body.get(5) as Uint8Array;
    expect(key.length).toBe(32);
    expect(a.authData.flags & 0x80).toBe(0); // outside the authenticator data
    const got = await sim.cbor(GA, gaParams([gaExt([['largeBlobKey', true]])]));
    expect(got.body!.get(7)).toEqual(key);
    const b = await make(sim, [['largeBlobKey', true]], true, [[3, new Map<string, unknown>([['id', Uint8Array.of(9)], ['name', 'bob']])]]);
    expect(b.body.get(5)).not.toEqual(key);
    // A credential made without it has none.
    const plain = await make(sim, [], true, [[3, new Map<string, unknown>([['id', Uint8Array.of(8)], ['name', 'carol']])]]);
    const none = await sim.cbor(GA, gaParams([[3, [descriptor(plain.id)]], gaExt([['largeBlobKey', true]])]));
    expect(none.body!.has(7)).toBe(false);
  });

  it('refuses false and non-discoverable credentials with INVALID_OPTION', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(MC, mcParams([ext([['largeBlobKey', true]])]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(MC, mcParams([ext([['largeBlobKey', false]])], true))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    await make(sim, [['largeBlobKey', true]], true);
    expect(await sim.status(GA, gaParams([gaExt([['largeBlobKey', false]])]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(GA, gaParams([gaExt([['largeBlobKey', 'yes']])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('thirdPartyPayment (CTAP 2.2 §12.9)', () => {
  it('is kept with the credential and answered when asked', async () => {
    const sim = await simulatedAuthenticator();
    const payment = await make(sim, [['thirdPartyPayment', true]]);
    expect(payment.authData.extensions).toEqual(new Map([['thirdPartyPayment', true]]));
    const plain = await make(sim, []);
    for (const [id, expected] of [[payment.id, true], [plain.id, false]] as const) {
      const got = await sim.cbor(GA, gaParams([[3, [descriptor(id)]], gaExt([['thirdPartyPayment', true]])]));
      expect(parseAuthData(got.body!.get(2) as Uint8Array).extensions).toEqual(new Map([['thirdPartyPayment', expected]]));
    }
    expect(await sim.status(MC, mcParams([ext([['thirdPartyPayment', 'yes']])]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('extensions a profile does not list are ignored (§6.1.2 step 15)', () => {
  it('a key without extensions answers without outputs', async () => {
    const sim = await simulatedAuthenticator({ profile: { extensions: [] } });
    const made = await make(sim, [['hmac-secret', true], ['credBlob', new Uint8Array(4)], ['largeBlobKey', true], ['thirdPartyPayment', true]]);
    expect(made.authData.flags & 0x80).toBe(0);
    expect(made.body.has(5)).toBe(false);
    expect(made.id.length).toBe(61);
  });
});

describe('credential IDs fit the maxCredentialIdLength each personality reports', () => {
  for (const [name, profile] of Object.entries(FIDO_PROFILES)) {
    if (!profile.versions.some((v) => v.startsWith('FIDO_2'))) continue;
    it(`${name}: every algorithm with every extension input at its largest`, async () => {
      const sim = await simulatedAuthenticator({ profile });
      // A key of PIN/UV auth protocol 1 only (ctap20, solo1) takes the salts under protocol 1.
      const { input } = await hmacInput(sim, profile.pinUvAuthProtocols.includes(2) ? PIN_PROTOCOL_TWO : PIN_PROTOCOL_ONE, new Uint8Array(64));
      const maxBlob = profile.limits.maxCredBlobLength ?? 32;
      const inputs: [string, unknown][] = [
        ['credBlob', new Uint8Array(maxBlob).fill(0xee)],
        ['credProtect', 3],
        ['hmac-secret', true],
        ['hmac-secret-mc', input],
        ['largeBlobKey', true],
        ['minPinLength', true],
        ['thirdPartyPayment', true],
      ];
      let longest = 0;
      for (const alg of profile.algorithms) {
        if (!ALGORITHMS.has(alg)) continue;
        const made = await sim.cbor(MC, mcParams([[4, [new Map<string, unknown>([['alg', alg], ['type', 'public-key']])]], ext(inputs)], true));
        expect(made.status, `alg ${alg}`).toBe(0);
        longest = Math.max(longest, parseAuthData(made.body!.get(2) as Uint8Array).credId!.length);
      }
      expect(longest).toBeGreaterThan(0);
      if (profile.limits.maxCredentialIdLength !== undefined) expect(longest).toBeLessThanOrEqual(profile.limits.maxCredentialIdLength);
    }, 30_000);
  }

  it('the default reports a limit close to its longest ID, not a loose bound', async () => {
    const sim = await simulatedAuthenticator();
    const made = await sim.cbor(MC, mcParams([[4, [new Map<string, unknown>([['alg', -36], ['type', 'public-key']])]], ext([['credBlob', new Uint8Array(32)], ['hmac-secret', true], ['largeBlobKey', true], ['thirdPartyPayment', true]])], true));
    // ES512's 66-byte scalar, a 32-byte credBlob, the flags and the discoverable mark: 195 bytes;
    // credProtect's level adds 13 more (the loop above); 256 leaves room for both.
    expect(parseAuthData(made.body!.get(2) as Uint8Array).credId!.length).toBe(195);
  });
});
