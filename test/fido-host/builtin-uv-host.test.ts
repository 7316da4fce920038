/**
 * The host side of built-in user verification against the simulated key with a fingerprint
 * sensor: FingerprintEnrollment (bio enrollment with progress per sample, list, rename,
 * remove, the 2.1-PRE number), obtainPinUvAuthToken (the finger first, the PIN when it fails or
 * is blocked), and the WebAuthn client's `userVerification` honouring the finger before the
 * PIN, with @simplewebauthn/server (an independent relying party) verifying registrations and
 * assertions made that way with requireUserVerification; prf (hmac-secret) and largeBlob writes
 * under a token from the finger.
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { AutoPresence, DenyPresence, type FingerprintSensor, type UserPresence, ScriptedFingerprint, WrongFingerprint, createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FIDO_PROFILES, FidoAuthenticator, type FidoProfileOverrides } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { type EnrollSample, FingerprintEnrollment } from '../../src/ctap/fingerprint-enrollment.js';
import { obtainPinUvAuthToken } from '../../src/ctap/user-verification.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { TokenrigError } from '../../src/errors.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { WebAuthnClient, toBase64Url } from '../../src/webauthn/index.js';
import { failure } from './failure.js';

const PIN = '246810';
const ORIGIN = 'https://login.rp.example';
const RP_ID = 'rp.example';
const challenge = (n: number) => toBase64Url(new Uint8Array(32).fill(n));

/** A yubikey-bio key over the memory transport, with a PIN, optionally `fingers` enrolled by the host helper; touches are denied unless `presence` says otherwise. */
async function bioDevice(options: { fingerprint?: FingerprintSensor; fingers?: number; profile?: FidoProfileOverrides; presence?: UserPresence } = {}) {
  // No touch is ever granted unless a test gives presence: the finger must do (CTAP 2.1 §6.1.2 step 13).
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), presence: options.presence ?? new DenyPresence(), ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}) });
  const fido = await FidoAuthenticator.create(env, { ...FIDO_PROFILES['yubikey-bio']!, ...options.profile });
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
  const ctap2 = new Ctap2(device);
  await (await ClientPin.forAuthenticator(ctap2)).setPin(PIN);
  const manage = async () => {
    const info = await ctap2.getInfo();
    const { clientPin, token } = await obtainPinUvAuthToken(ctap2, info, { permissions: ['be'], pin: PIN });
    return new FingerprintEnrollment(ctap2, info, { protocol: clientPin.protocol, token });
  };
  for (let i = 0; i < (options.fingers ?? 0); i++) await (await manage()).enroll();
  return { fido, device, ctap2, manage };
}

describe('FingerprintEnrollment', () => {
  it('enrolls with progress per sample, lists, renames and removes', async () => {
    const sensor = new ScriptedFingerprint(['finger-1', { finger: 'finger-1', quality: 'tooFast' }, null]);
    const { manage, ctap2 } = await bioDevice({ fingerprint: sensor });
    const bio = await manage();
    expect(bio.prototype).toBe(false);
    expect(await bio.modality()).toBe(1);
    expect(await bio.sensorInfo()).toEqual({ fingerprintKind: 1, maxCaptureSamplesRequiredForEnroll: 5, maxTemplateFriendlyName: 64 });
    expect(await bio.list()).toEqual([]);
    const samples: EnrollSample[] = [];
    const templateId = await bio.enroll({ onSample: (s) => samples.push(s) });
    expect(samples.map((s) => `${s.statusName} ${s.remaining}`)).toEqual(['FP_GOOD 4', 'FP_TOO_FAST 4', 'NO_USER_ACTIVITY 4', 'FP_GOOD 3', 'FP_GOOD 2', 'FP_GOOD 1', 'FP_GOOD 0']);
    await bio.rename(templateId, 'left index');
    expect(await bio.list()).toEqual([{ templateId, templateFriendlyName: 'left index' }]);
    expect((await ctap2.getInfo()).options).toMatchObject({ uv: true, bioEnroll: true });
    await bio.remove(templateId);
    expect(await bio.list()).toEqual([]);
    expect((await ctap2.getInfo()).options).toMatchObject({ uv: false, bioEnroll: false });
  });

  it('gives up after maxSamples and cancels the enrollment on the key', async () => {
    const sensor = new ScriptedFingerprint(Array.from({ length: 10 }, () => ({ finger: 'finger-1', quality: 'poorQuality' as const })));
    const { manage } = await bioDevice({ fingerprint: sensor });
    const bio = await manage();
    let templateId: Uint8Array | undefined;
    const e = await failure(bio.enroll({ maxSamples: 4, onSample: (_s, id) => (templateId = id) }));
    expect(e.code).toBe('REJECTED');
    expect((await failure(bio.captureNext(templateId!))).wireCode).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('speaks 0x40 to a CTAP 2.1-PRE key, and refuses a key without a sensor', async () => {
    const { ctap2 } = await bioDevice({ profile: { versions: ['FIDO_2_0', 'FIDO_2_1_PRE'], options: { rk: true, up: true, uv: false, clientPin: false, userVerificationMgmtPreview: false } } });
    const info = await ctap2.getInfo();
    const cp = await ClientPin.forAuthenticator(ctap2);
    const bio = new FingerprintEnrollment(ctap2, info, { protocol: cp.protocol, token: await cp.getPinToken(PIN) });
    expect(bio.prototype).toBe(true);
    await bio.enroll();
    expect((await bio.list()).length).toBe(1);
    const { env } = createTestEnvironment();
    const plain = new Ctap2(await CtapHidDevice.open(MemoryHidTransport.connect((await FidoAuthenticator.create(env)).hid)));
    expect(() => new FingerprintEnrollment(plain, info.options.bioEnroll === undefined ? { ...info, options: {} } : info)).toThrow(TokenrigError);
  });
});

describe('obtainPinUvAuthToken', () => {
  it('uses the finger first; after preferredPlatformUvAttempts failures, or when blocked, the PIN', async () => {
    const { ctap2 } = await bioDevice({ fingerprint: new ScriptedFingerprint([]), fingers: 1 });
    const info = await ctap2.getInfo();
    expect((await obtainPinUvAuthToken(ctap2, info, { permissions: ['mc'], rpId: RP_ID })).via).toBe('uv');

    const { ctap2: wrong } = await bioDevice({ fingerprint: new WrongFingerprint(), fingers: 1 });
    const failed: string[] = [];
    const got = await obtainPinUvAuthToken(wrong, await wrong.getInfo(), { permissions: ['ga'], pin: PIN, onUvFailed: (s, left) => failed.push(`${s} ${left}`) });
    expect(got.via).toBe('pin');
    // Three attempts (preferredPlatformUvAttempts 3) spend the key's three uvRetries: the last is UV_BLOCKED.
    expect(failed).toEqual(['UV_INVALID 2', 'UV_INVALID 1', 'UV_BLOCKED 0']);
    expect(await (await ClientPin.forAuthenticator(wrong)).getUvRetries()).toBe(3); // the PIN restored them
    const noPin = await failure(obtainPinUvAuthToken(wrong, await wrong.getInfo(), { permissions: ['ga'] }));
    expect([noPin.code, noPin.message]).toEqual(['BAD_INPUT', "built-in user verification is blocked: give the key's PIN (--pin)"]);
  });

  it('goes straight to the PIN for permissions built-in UV may not grant (be without uvBioEnroll)', async () => {
    const sensor = new ScriptedFingerprint([]);
    const { ctap2 } = await bioDevice({ fingerprint: sensor, fingers: 1 });
    const before = sensor.requests.length;
    expect((await obtainPinUvAuthToken(ctap2, await ctap2.getInfo(), { permissions: ['be'], pin: PIN })).via).toBe('pin');
    expect(sensor.requests.length).toBe(before);
  });
});

describe('the WebAuthn client verifies with the finger before the PIN', () => {
  const create = (uv: 'required' | 'preferred' | 'discouraged') => ({
    rp: { id: RP_ID, name: 'RP' },
    user: { id: toBase64Url(Uint8Array.of(5)), name: 'bob', displayName: 'Bob' },
    challenge: challenge(1),
    pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
    attestation: 'direct' as const,
    authenticatorSelection: { userVerification: uv, residentKey: 'required' as const },
  });

  async function ceremony(client: WebAuthnClient, ceremonyOptions: { pin?: string } = {}) {
    const reg = await client.create(create('required'), ORIGIN, ceremonyOptions);
    const v = await verifyRegistrationResponse({ response: reg as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: true });
    expect(v.verified).toBe(true);
    const auth = await client.get({ challenge: challenge(2), rpId: RP_ID, userVerification: 'required' }, ORIGIN, ceremonyOptions);
    const a = await verifyAuthenticationResponse({
      response: auth as never,
      expectedChallenge: challenge(2),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { id: reg.id, publicKey: v.registrationInfo!.credential.publicKey, counter: 0 },
      requireUserVerification: true,
    });
    expect(a.verified).toBe(true);
    expect(a.authenticationInfo.userVerified).toBe(true);
    return { reg, auth };
  }

  it('a token from the finger, no PIN and no touch needed; @simplewebauthn/server verifies with requireUserVerification', async () => {
    const sensor = new ScriptedFingerprint([]);
    const { device } = await bioDevice({ fingerprint: sensor, fingers: 1 });
    const before = sensor.requests.length;
    await ceremony(new WebAuthnClient(device));
    expect(sensor.requests.slice(before).map((r) => r.purpose)).toEqual(['verify', 'verify']);
  });

  it('falls back to the PIN (and a touch) when the finger is refused, and says so when no PIN was given', async () => {
    const { device } = await bioDevice({ fingerprint: new WrongFingerprint(), fingers: 1, presence: new AutoPresence() });
    const e = await failure(new WebAuthnClient(device).create(create('preferred'), ORIGIN));
    expect(e.code).toBe('BAD_INPUT');
    await ceremony(new WebAuthnClient(device), { pin: PIN });
  });

  it('on a key with built-in UV but no pinUvAuthToken, sends uv=true, and retries with the PIN on PUAT_REQUIRED', async () => {
    const options = { rk: true, up: true, uv: false, clientPin: false, bioEnroll: false };
    const good = await bioDevice({ fingerprint: new ScriptedFingerprint([]), fingers: 1, profile: { versions: ['FIDO_2_0', 'FIDO_2_1'], options } });
    await ceremony(new WebAuthnClient(good.device));
    const sensor = new ScriptedFingerprint([]);
    const bad = await bioDevice({ fingerprint: sensor, fingers: 1, profile: { versions: ['FIDO_2_0', 'FIDO_2_1'], options }, presence: new AutoPresence() });
    sensor.push(...Array.from({ length: 6 }, () => 'wrong'));
    await ceremony(new WebAuthnClient(bad.device), { pin: PIN });
  });

  it('without UV wanted (discouraged, a key that does not insist) the finger is not asked for', async () => {
    const sensor = new ScriptedFingerprint([]);
    const { device } = await bioDevice({ fingerprint: sensor, fingers: 1, profile: { options: { ...FIDO_PROFILES['yubikey-bio']!.options, makeCredUvNotRqd: true } } });
    const before = sensor.requests.length;
    const client = new WebAuthnClient(device);
    await expect(client.create({ ...create('discouraged'), authenticatorSelection: { userVerification: 'discouraged' } }, ORIGIN)).rejects.toThrow(/OPERATION_DENIED|touch/);
    expect(sensor.requests.length).toBe(before);
  });
});

describe('extensions under a token from the finger', () => {
  const b64 = (text: string) => toBase64Url(new TextEncoder().encode(text));
  const registration = (extensions: Record<string, unknown>) => ({
    rp: { id: RP_ID, name: 'RP' },
    user: { id: toBase64Url(Uint8Array.of(7)), name: 'carol', displayName: 'Carol' },
    challenge: challenge(1),
    pubKeyCredParams: [{ type: 'public-key' as const, alg: -8 }],
    authenticatorSelection: { userVerification: 'required' as const, residentKey: 'required' as const },
    extensions,
  });
  const request = (id: string, uv: 'required' | 'discouraged', extensions: Record<string, unknown>) => ({ challenge: challenge(2), rpId: RP_ID, allowCredentials: [{ id, type: 'public-key' as const }], userVerification: uv, extensions });
  type Prf = { prf?: { results?: { first: string } } };

  it('prf: the finger gives the with-UV secret (CTAP 2.1 §12.5), the same as the PIN does; no UV another', async () => {
    const sensor = new ScriptedFingerprint([]);
    // Touches are granted here: an assertion without UV still needs one.
    const { device } = await bioDevice({ fingerprint: sensor, fingers: 1, presence: new AutoPresence() });
    const client = new WebAuthnClient(device);
    const reg = await client.create(registration({ prf: {} }), ORIGIN);
    const prf = { prf: { eval: { first: b64('salt for the vault') } } };
    const byFinger = (await client.get(request(reg.id, 'required', prf), ORIGIN)).clientExtensionResults as Prf;
    const verifies = sensor.requests.length;
    // The finger refuses from now on: the PIN verifies instead.
    sensor.push(...Array.from({ length: 3 }, () => 'wrong' as const));
    const byPin = (await client.get(request(reg.id, 'required', prf), ORIGIN, { pin: PIN })).clientExtensionResults as Prf;
    expect(sensor.requests.length).toBeGreaterThan(verifies);
    const noUv = (await client.get(request(reg.id, 'discouraged', prf), ORIGIN)).clientExtensionResults as Prf;
    expect(byFinger.prf?.results?.first).toMatch(/^[\w-]{43}$/);
    expect(byPin.prf?.results?.first).toBe(byFinger.prf?.results?.first);
    expect(noUv.prf?.results?.first).toMatch(/^[\w-]{43}$/);
    expect(noUv.prf?.results?.first).not.toBe(byFinger.prf?.results?.first);
  });

  it('largeBlob: written under a token from the finger with mc/ga and lbw, no PIN given, and read back', async () => {
    const sensor = new ScriptedFingerprint([]);
    const { device } = await bioDevice({ fingerprint: sensor, fingers: 1 });
    const client = new WebAuthnClient(device);
    const reg = await client.create(registration({ largeBlob: { support: 'required' } }), ORIGIN);
    expect(reg.clientExtensionResults).toEqual({ largeBlob: { supported: true } });
    const data = b64('a recovery code kept on the key');
    const before = sensor.requests.length;
    expect((await client.get(request(reg.id, 'required', { largeBlob: { write: data } }), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { written: true } });
    expect(sensor.requests.length - before).toBe(1);
    expect((await client.get(request(reg.id, 'required', { largeBlob: { read: true } }), ORIGIN)).clientExtensionResults).toEqual({ largeBlob: { blob: data } });
  });
});
