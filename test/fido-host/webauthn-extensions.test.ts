/**
 * The WebAuthn client's extensions against the simulated authenticator, both ways: prf (with
 * hmac-secret-mc at creation, eval and evalByCredential, the "WebAuthn PRF" salt of L3
 * §10.1.4 computed here on its own), hmacCreateSecret/hmacGetSecret, largeBlob
 * (support/read/write, with and without a PIN), credBlob/getCredBlob; the output shapes of
 * getClientExtensionResults (JSON form); every algorithm through the client; and
 * @simplewebauthn/server verifying the registrations and assertions that carry them.
 */
import { createPublicKey } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { type AuthenticationExtensionsClientOutputs, type AuthenticationResponseJSON, type RegistrationResponseJSON, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator, type FidoProfileOverrides } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { ErrorCode } from '../../src/errors.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON, WebAuthnClient, toBase64Url } from '../../src/webauthn/index.js';
import { failure } from './failure.js';

const ORIGIN = 'https://login.rp.example';
const RP_ID = 'rp.example';
const b64 = (b: Uint8Array | string): string => toBase64Url(typeof b === 'string' ? new TextEncoder().encode(b) : b);
const challenge = (n: number): string => b64(new Uint8Array(32).fill(n));

async function client(seed: string, profile: FidoProfileOverrides = {}, pin?: string) {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed });
  const fido = await FidoAuthenticator.create(env, profile);
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
  if (pin !== undefined) await new ClientPin(new Ctap2(device)).setPin(pin);
  return new WebAuthnClient(device);
}

function creation(user: number, extensions: Record<string, unknown>, extra: Partial<PublicKeyCredentialCreationOptionsJSON> = {}): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: RP_ID, name: 'RP' },
    user: { id: b64(Uint8Array.of(user)), name: `user${user}`, displayName: `User ${user}` },
    challenge: challenge(1),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    attestation: 'direct',
    extensions,
    ...extra,
  };
}

function request(extensions: Record<string, unknown>, allow: string[] = [], extra: Partial<PublicKeyCredentialRequestOptionsJSON> = {}): PublicKeyCredentialRequestOptionsJSON {
  return { challenge: challenge(2), rpId: RP_ID, allowCredentials: allow.map((id) => ({ id, type: 'public-key' })), userVerification: 'discouraged', extensions, ...extra };
}

/** WebAuthn L3 §10.1.4's salt, computed here from the text of the spec. */
const prfSalt = (input: string): string => b64(sha256(new Uint8Array([...new TextEncoder().encode('WebAuthn PRF'), 0, ...new TextEncoder().encode(input)])));

async function verifyBoth(reg: RegistrationResponseJSON, auth: AuthenticationResponseJSON, uv = false) {
  const v = await verifyRegistrationResponse({ response: reg, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: uv, supportedAlgorithmIDs: [-7, -8, -35, -36, -37, -257] });
  expect(v.verified).toBe(true);
  const a = await verifyAuthenticationResponse({ response: auth, expectedChallenge: challenge(2), expectedOrigin: ORIGIN, expectedRPID: RP_ID, credential: v.registrationInfo!.credential, requireUserVerification: uv });
  expect(a.verified).toBe(true);
  return { registration: v.registrationInfo!, authentication: a.authenticationInfo };
}

describe('prf (WebAuthn L3 §10.1.4) and hmac-secret', () => {
  it('create: enabled, and results at once through hmac-secret-mc; get: the same results for the same input', async () => {
    const c = await client('prf-1');
    const reg = await c.create(creation(1, { prf: { eval: { first: b64('first input'), second: b64('second input') } } }), ORIGIN);
    const created = reg.clientExtensionResults as { prf: { enabled: boolean; results: { first: string; second: string } } };
    expect(Object.keys(created)).toEqual(['prf']);
    expect(created.prf.enabled).toBe(true);
    expect(Buffer.from(created.prf.results.first, 'base64url').length).toBe(32);
    expect(created.prf.results.second).not.toBe(created.prf.results.first);
    const auth = await c.get(request({ prf: { eval: { first: b64('first input'), second: b64('second input') } } }, [reg.id]), ORIGIN);
    expect(auth.clientExtensionResults).toEqual({ prf: { results: created.prf.results } });
    // The salt is SHA-256("WebAuthn PRF" ‖ 0x00 ‖ input): hmacGetSecret with that salt gives the same output.
    const raw = await c.get(request({ hmacGetSecret: { salt1: prfSalt('first input') } }, [reg.id]), ORIGIN);
    expect(raw.clientExtensionResults).toEqual({ hmacGetSecret: { output1: created.prf.results.first } });
    // @simplewebauthn/server verifies both ceremonies and reads hmac-secret from the authenticator data.
    const { registration } = await verifyBoth(reg, auth);
    expect(registration.authenticatorExtensionResults).toMatchObject({ 'hmac-secret': true });
    // Our JSON, its binary members decoded, is what @simplewebauthn/server's own type of
    // getClientExtensionResults() says (the compiler checks the names, the test the values).
    const bytes = (v: string) => new Uint8Array(Buffer.from(v, 'base64url'));
    const asDom: AuthenticationExtensionsClientOutputs = { prf: { enabled: created.prf.enabled, results: { first: bytes(created.prf.results.first), second: bytes(created.prf.results.second) } } };
    expect(asDom.prf?.results?.first).toHaveLength(32);
    expect(asDom.prf?.enabled).toBe(true);
  });

  it('create without eval: enabled only; a key without hmac-secret-mc: enabled only; a key without hmac-secret: enabled false', async () => {
    const full = await client('prf-2');
    expect((await full.create(creation(1, { prf: {} }), ORIGIN)).clientExtensionResults).toEqual({ prf: { enabled: true } });
    const noMc = await client('prf-3', { extensions: ['hmac-secret'] });
    expect((await noMc.create(creation(1, { prf: { eval: { first: b64('x') } } }), ORIGIN)).clientExtensionResults).toEqual({ prf: { enabled: true } });
    const none = await client('prf-4', { extensions: [] });
    expect((await none.create(creation(1, { prf: {}, hmacCreateSecret: true }), ORIGIN)).clientExtensionResults).toEqual({ prf: { enabled: false }, hmacCreateSecret: false });
  });

  it('evalByCredential: the key holds the second of two allowCredentials; a silent probe finds it and its own input is used', async () => {
    const c = await client('prf-5');
    const reg = await c.create(creation(1, { prf: {} }), ORIGIN);
    const foreign = b64(new Uint8Array(61).fill(9));
    const byCredential = await c.get(request({ prf: { eval: { first: b64('default') }, evalByCredential: { [reg.id]: { first: b64('mine') } } } }, [foreign, reg.id]), ORIGIN);
    expect(byCredential.id).toBe(reg.id);
    const direct = await c.get(request({ prf: { eval: { first: b64('mine') } } }, [reg.id]), ORIGIN);
    expect(byCredential.clientExtensionResults).toEqual(direct.clientExtensionResults);
    const fallback = await c.get(request({ prf: { eval: { first: b64('default') }, evalByCredential: { [foreign]: { first: b64('other') } } } }, [foreign, reg.id]), ORIGIN);
    const plain = await c.get(request({ prf: { eval: { first: b64('default') } } }, [reg.id]), ORIGIN);
    expect(fallback.clientExtensionResults).toEqual(plain.clientExtensionResults);
    expect(fallback.clientExtensionResults).not.toEqual(direct.clientExtensionResults);
  });

  it('refuses what L3 refuses, before any I/O: evalByCredential at create, a key not in allowCredentials, evalByCredential without allowCredentials, prf with hmacGetSecret', async () => {
    const c = await client('prf-6');
    expect((await failure(c.create(creation(1, { prf: { evalByCredential: {} } }), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    const reg = await c.create(creation(1, { prf: {} }), ORIGIN);
    expect((await failure(c.get(request({ prf: { evalByCredential: { [b64('nope')]: { first: b64('x') } } } }, [reg.id]), ORIGIN))).message).toMatch(/not in allowCredentials/);
    expect((await failure(c.get(request({ prf: { evalByCredential: { [reg.id]: { first: b64('x') } } } }), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    expect((await failure(c.get(request({ prf: { eval: { first: b64('x') } }, hmacGetSecret: { salt1: b64(new Uint8Array(32)) } }, [reg.id]), ORIGIN))).code).toBe(ErrorCode.BAD_INPUT);
    expect((await failure(c.get(request({ hmacGetSecret: { salt1: b64(new Uint8Array(31)) } }, [reg.id]), ORIGIN))).message).toMatch(/salt1 must be 32 bytes/);
    expect((await failure(c.get(request({ prf: { eval: { first: 'not base64url!' } } }, [reg.id]), ORIGIN))).code).toBe(ErrorCode.BAD_INPUT);
  });

  it('hmacCreateSecret and hmacGetSecret: two salts, two outputs; with user verification (a PIN) another secret', async () => {
    const c = await client('hmac-1', {}, '1234');
    const reg = await c.create(creation(1, { hmacCreateSecret: true }, { authenticatorSelection: { residentKey: 'required', userVerification: 'required' } }), ORIGIN, { pin: '1234' });
    expect(reg.clientExtensionResults).toEqual({ hmacCreateSecret: true });
    const asDom: AuthenticationExtensionsClientOutputs = reg.clientExtensionResults as { hmacCreateSecret: boolean };
    expect(asDom.hmacCreateSecret).toBe(true);
    const salts = { salt1: b64(new Uint8Array(32).fill(1)), salt2: b64(new Uint8Array(32).fill(2)) };
    const plain = await c.get(request({ hmacGetSecret: salts }, [reg.id]), ORIGIN);
    const out = plain.clientExtensionResults as { hmacGetSecret: { output1: string; output2: string } };
    expect(Object.keys(out.hmacGetSecret)).toEqual(['output1', 'output2']);
    const verified = await c.get(request({ hmacGetSecret: salts }, [reg.id], { userVerification: 'required' }), ORIGIN, { pin: '1234' });
    const outUv = verified.clientExtensionResults as typeof out;
    expect(outUv.hmacGetSecret.output1).not.toBe(out.hmacGetSecret.output1);
    expect((await c.get(request({ hmacGetSecret: salts }, [reg.id], { userVerification: 'required' }), ORIGIN, { pin: '1234' })).clientExtensionResults).toEqual(outUv);
    await verifyBoth(reg, verified, true);
  });
});

describe('largeBlob (WebAuthn L3 §10.1.5)', () => {
  it('support at create; read and write at get; each credential its own blob; @simplewebauthn/server verifies', async () => {
    const c = await client('lb-1');
    const reg = await c.create(creation(1, { largeBlob: { support: 'required' } }), ORIGIN);
    expect(reg.clientExtensionResults).toEqual({ largeBlob: { supported: true } });
    const other = await c.create(creation(2, { largeBlob: { support: 'preferred' } }), ORIGIN);
    expect((await c.get(request({ largeBlob: { read: true } }, [reg.id]), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: {} });
    const data = b64('a certificate, a key, anything up to the array size '.repeat(20));
    const wrote = await c.get(request({ largeBlob: { write: data } }, [reg.id]), ORIGIN);
    expect(wrote.clientExtensionResults).toEqual({ largeBlob: { written: true } });
    await c.get(request({ largeBlob: { write: b64('the other one') } }, [other.id]), ORIGIN);
    const read = await c.get(request({ largeBlob: { read: true } }, [reg.id]), ORIGIN);
    expect(read.clientExtensionResults).toEqual({ largeBlob: { blob: data } });
    expect((await c.get(request({ largeBlob: { read: true } }, [other.id]), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { blob: b64('the other one') } });
    await verifyBoth(reg, read);
  });

  it('a credential that cannot have one: not discoverable, or a key without large blobs', async () => {
    const c = await client('lb-2');
    const nonResident = { authenticatorSelection: { residentKey: 'discouraged' as const, userVerification: 'discouraged' as const } };
    expect((await c.create(creation(1, { largeBlob: { support: 'preferred' } }, nonResident), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { supported: false } });
    expect((await failure(c.create(creation(1, { largeBlob: { support: 'required' } }, nonResident), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    const none = await client('lb-3', { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true } });
    const reg = await none.create(creation(1, { largeBlob: {} }), ORIGIN);
    expect(reg.clientExtensionResults).toEqual({ largeBlob: { supported: false } });
    expect((await none.get(request({ largeBlob: { write: b64('x') } }, [reg.id]), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { written: false } });
  });

  it('refusals of L3: read with write, support at get, read or write at create, write without exactly one allowCredentials', async () => {
    const c = await client('lb-4');
    const reg = await c.create(creation(1, { largeBlob: { support: 'required' } }), ORIGIN);
    expect((await failure(c.get(request({ largeBlob: { read: true, write: b64('x') } }, [reg.id]), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    expect((await failure(c.get(request({ largeBlob: { support: 'required' } }, [reg.id]), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    expect((await failure(c.create(creation(2, { largeBlob: { read: true } }), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
    expect((await failure(c.get(request({ largeBlob: { write: b64('x') } }), ORIGIN))).code).toBe(ErrorCode.UNSUPPORTED);
  });

  it('on a key with a PIN a write needs the PIN (its token gets lbw); reads do not', async () => {
    const c = await client('lb-5', {}, '1234');
    const reg = await c.create(creation(1, { largeBlob: { support: 'required' } }, { authenticatorSelection: { residentKey: 'required', userVerification: 'required' } }), ORIGIN, { pin: '1234' });
    expect((await failure(c.get(request({ largeBlob: { write: b64('secret') } }, [reg.id]), ORIGIN))).message).toMatch(/PIN/);
    expect((await c.get(request({ largeBlob: { write: b64('secret') } }, [reg.id]), ORIGIN, { pin: '1234' })).clientExtensionResults).toEqual({ largeBlob: { written: true } });
    expect((await c.get(request({ largeBlob: { read: true } }, [reg.id]), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { blob: b64('secret') } });
  });
});

describe('credBlob and getCredBlob (CTAP 2.1 §12.2)', () => {
  it('stores at create and reads back at get; too long a blob is not stored', async () => {
    const c = await client('cb-1');
    const reg = await c.create(creation(1, { credBlob: b64(new Uint8Array(32).fill(5)) }), ORIGIN);
    expect(reg.clientExtensionResults).toEqual({ credBlob: true });
    const auth = await c.get(request({ getCredBlob: true }, [reg.id]), ORIGIN);
    expect(auth.clientExtensionResults).toEqual({ getCredBlob: b64(new Uint8Array(32).fill(5)) });
    const { registration } = await verifyBoth(reg, auth);
    expect(registration.authenticatorExtensionResults).toMatchObject({ credBlob: true });
    expect((await c.create(creation(2, { credBlob: b64(new Uint8Array(33)) }), ORIGIN)).clientExtensionResults).toEqual({ credBlob: false });
  });
});

describe('every algorithm through the WebAuthn client', () => {
  const SPKI_TYPE: Record<number, string> = { [-7]: 'ec', [-8]: 'ed25519', [-35]: 'ec', [-36]: 'ec', [-37]: 'rsa', [-257]: 'rsa', [-47]: 'ec' };
  for (const alg of [-7, -8, -35, -36, -37, -257, -47]) {
    it(`COSE ${alg}: publicKeyAlgorithm, an SPKI OpenSSL imports, and (but for ES256K) @simplewebauthn/server verifies`, async () => {
      const c = await client(`alg ${alg}`);
      const reg = await c.create(creation(1, {}, { pubKeyCredParams: [{ type: 'public-key', alg }] }), ORIGIN);
      expect(reg.response.publicKeyAlgorithm).toBe(alg);
      const key = createPublicKey({ key: Buffer.from(reg.response.publicKey, 'base64url'), format: 'der', type: 'spki' });
      expect(key.asymmetricKeyType).toBe(SPKI_TYPE[alg]);
      const auth = await c.get(request({}, [reg.id]), ORIGIN);
      if (alg !== -47) await verifyBoth(reg, auth);
    }, 20_000);
  }

  it("the RP's order of pubKeyCredParams wins over the key's preference", async () => {
    const c = await client('alg-order');
    const reg = await c.create(creation(1, {}, { pubKeyCredParams: [{ type: 'public-key', alg: -8 }, { type: 'public-key', alg: -7 }] }), ORIGIN);
    expect(reg.response.publicKeyAlgorithm).toBe(-8);
  });
});
