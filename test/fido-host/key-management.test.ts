/**
 * The host's key-management flows against the simulated key over the memory transport:
 * CredentialManager (cm token, 0x41 for a credentialMgmtPreview-only key, list / credentials /
 * delete / update, a token bound to one RP) and ConfigManager (alwaysUv, setMinPINLength,
 * enterprise attestation), for both PIN/UV auth protocols; and the WebAuthn client's mapping
 * of credProtect, credProps, minPinLength and enterprise attestation, whose registrations
 * @simplewebauthn/server verifies.
 */
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator, type FidoProfileOverrides, fidoPersonality } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { ConfigManager } from '../../src/ctap/config-manager.js';
import { CredentialManager } from '../../src/ctap/credential-manager.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { parseAuthenticatorData } from '../../src/protocol/authenticator-data.js';
import { decodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { type PublicKeyCredentialCreationOptionsJSON, WebAuthnClient, fromBase64Url, toBase64Url } from '../../src/webauthn/index.js';
import { failure } from './failure.js';

const ORIGIN = 'https://rp.example';
const challenge = (n: number) => toBase64Url(new Uint8Array(32).fill(n));

async function key(profile: FidoProfileOverrides = {}, seed = 'km') {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed });
  const fido = await FidoAuthenticator.create(env, profile);
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
  return { fido, device, ctap2: new Ctap2(device), client: new WebAuthnClient(device, { enterpriseRpIds: ['managed.example'] }) };
}

function creation(rpId: string, user: string, extra: Partial<PublicKeyCredentialCreationOptionsJSON> = {}): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: rpId, name: rpId },
    user: { id: toBase64Url(new TextEncoder().encode(user)), name: user, displayName: user.toUpperCase() },
    challenge: challenge(1),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    ...extra,
  };
}

const originOf = (rpId: string) => `https://${rpId}`;

describe('CredentialManager', () => {
  for (const protocol of [1, 2] as const) {
    it(`lists, updates and deletes discoverable credentials (PIN/UV auth protocol ${protocol})`, async () => {
      const { ctap2, client } = await key();
      await new ClientPin(ctap2, { protocol }).setPin('1234');
      const alice = await client.create(creation('rp.example', 'alice', { extensions: { credentialProtectionPolicy: 'userVerificationOptionalWithCredentialIDList' } }), ORIGIN, { pin: '1234' });
      await client.create(creation('rp.example', 'bob'), ORIGIN, { pin: '1234' });
      await client.create(creation('other.example', 'carol'), originOf('other.example'), { pin: '1234' });
      const cm = await CredentialManager.open(ctap2, '1234', { protocol });
      expect(await cm.metadata()).toEqual({ existing: 3, remaining: 253 });
      expect((await cm.relyingParties()).map((r) => r.rp.id)).toEqual(['rp.example', 'other.example']);
      const listed = await cm.list();
      expect(listed.map((c) => [c.rp.id, c.user.name, c.credProtect])).toEqual([['rp.example', 'alice', 2], ['rp.example', 'bob', 1], ['other.example', 'carol', 1]]);
      expect(toBase64Url(listed[0]!.credentialId.id)).toBe(alice.id);
      expect(listed[0]!.publicKey.get(3)).toBe(-7);
      await cm.updateUser(listed[1]!.credentialId.id, { id: listed[1]!.user.id, name: 'robert' });
      await cm.delete(listed[2]!.credentialId.id);
      expect((await cm.list()).map((c) => c.user.name)).toEqual(['alice', 'robert']);
      expect(await cm.credentials('other.example')).toEqual([]);
      expect((await failure(cm.delete(listed[2]!.credentialId.id))).wireCode).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
      expect((await failure(cm.updateUser(listed[0]!.credentialId.id, { id: Uint8Array.of(9) }))).wireCode).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    });
  }

  it('a token bound to one RP manages that RP only; a key without credentials lists none', async () => {
    const { ctap2, client } = await key();
    await new ClientPin(ctap2).setPin('1234');
    const empty = await CredentialManager.open(ctap2, '1234');
    expect(await empty.list()).toEqual([]);
    await client.create(creation('rp.example', 'alice'), ORIGIN, { pin: '1234' });
    const other = await client.create(creation('other.example', 'carol'), originOf('other.example'), { pin: '1234' });
    const bound = await CredentialManager.open(ctap2, '1234', { rpId: 'rp.example' });
    expect((await bound.credentials('rp.example')).map((c) => c.user.name)).toEqual(['alice']);
    expect((await failure(bound.credentials('other.example'))).wireCode).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await failure(bound.delete(fromBase64Url(other.id, 'id')))).wireCode).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await failure(bound.metadata())).wireCode).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('read-only with CTAP 2.2’s persistent token: lists again after a power cycle without the PIN, refuses changes', async () => {
    const { fido, ctap2, client } = await key({ options: { rk: true, up: true, plat: false, clientPin: false, pinUvAuthToken: true, credMgmt: true, perCredMgmtRO: true } });
    await new ClientPin(ctap2).setPin('1234');
    await client.create(creation('rp.example', 'alice', { authenticatorSelection: { residentKey: 'required', userVerification: 'required' } }), ORIGIN, { pin: '1234' });
    const ro = await CredentialManager.open(ctap2, '1234', { readOnly: true });
    const kept = ro.persistentToken!;
    expect((await ro.list()).map((c) => c.user.name)).toEqual(['alice']);
    expect((await failure(ro.delete((await ro.list())[0]!.credentialId.id))).wireCode).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    fido.powerCycle();
    const again = new Ctap2(await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid)));
    expect((await CredentialManager.withPersistentToken(again, kept, 2).list()).map((c) => c.user.name)).toEqual(['alice']);
    const plain = await key();
    await new ClientPin(plain.ctap2).setPin('1234');
    expect((await failure(CredentialManager.open(plain.ctap2, '1234', { readOnly: true }))).code).toBe('UNSUPPORTED');
  });

  it('uses 0x41 on a key that has only credentialMgmtPreview, and refuses keys without credential management or PIN', async () => {
    const yk = fidoPersonality('yubikey-5')!;
    const { options } = yk;
    const preview = await key({ ...yk, options: { ...Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'credMgmt')), credentialMgmtPreview: true } });
    await new ClientPin(preview.ctap2).setPin('1234');
    await preview.client.create(creation('rp.example', 'alice'), ORIGIN, { pin: '1234' });
    const cm = await CredentialManager.open(preview.ctap2, '1234');
    expect((await cm.list()).map((c) => c.user.name)).toEqual(['alice']);
    const noPin = await key();
    expect((await failure(CredentialManager.open(noPin.ctap2, '1234'))).message).toMatch(/no PIN set/);
    const ctap20 = await key(fidoPersonality('ctap20')!);
    await new ClientPin(ctap20.ctap2, { protocol: 1 }).setPin('1234');
    expect((await failure(CredentialManager.open(ctap20.ctap2, '1234'))).code).toBe('UNSUPPORTED');
  });
});

describe('ConfigManager', () => {
  it('turns alwaysUv on and off, raises the minimum PIN length with RP IDs, forces a PIN change, enables enterprise attestation', async () => {
    const { ctap2 } = await key();
    // No PIN yet: the key takes configuration without one.
    const open = await ConfigManager.open(ctap2, undefined);
    expect(await open.setAlwaysUv(true)).toBe(true);
    expect(await open.setAlwaysUv(false)).toBe(false);
    await new ClientPin(ctap2).setPin('123456');
    expect((await failure(ConfigManager.open(ctap2, undefined))).code).toBe('BAD_INPUT');
    const config = await ConfigManager.open(ctap2, '123456');
    expect(await config.setMinPinLength({ minPinLength: 6, rpIds: ['rp.example'] })).toEqual({ minPINLength: 6, forcePINChange: false });
    expect((await failure(config.setMinPinLength({ minPinLength: 5 }))).message).toMatch(/only grows \(it is 6/);
    expect((await failure(config.setMinPinLength({ rpIds: ['a', 'b', 'c', 'd', 'e'] }))).code).toBe('BAD_INPUT');
    expect(await config.enableEnterpriseAttestation()).toBe(true);
    expect(await config.setAlwaysUv(true)).toBe(true);
    expect(await config.setMinPinLength({ forceChangePin: true })).toEqual({ minPINLength: 6, forcePINChange: true });
    expect((await failure(ConfigManager.open(ctap2, '123456'))).message).toMatch(/PIN changed/);
    await new ClientPin(ctap2).changePin('123456', '654321');
    expect((await ConfigManager.open(ctap2, '654321')).info.forcePINChange).toBe(false);
  });

  it('refuses what a key lacks: no authenticatorConfig at all, no alwaysUv option', async () => {
    const ctap20 = await key(fidoPersonality('ctap20')!);
    expect((await failure(ConfigManager.open(ctap20.ctap2, undefined))).code).toBe('UNSUPPORTED');
    const bare = await key({ options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true, authnrCfg: true } });
    const config = await ConfigManager.open(bare.ctap2, undefined);
    expect((await failure(config.setAlwaysUv(true))).code).toBe('UNSUPPORTED');
    expect((await failure(config.enableEnterpriseAttestation())).code).toBe('UNSUPPORTED');
  });
});

describe('WebAuthn client extensions: credProtect, credProps, minPinLength, enterprise attestation', () => {
  it('maps credentialProtectionPolicy to credProtect (authData) and reports credProps; @simplewebauthn/server verifies it', async () => {
    const { ctap2, client } = await key();
    await new ClientPin(ctap2).setPin('1234');
    const reg = await client.create(
      creation('rp.example', 'alice', { attestation: 'direct', extensions: { credProps: true, credentialProtectionPolicy: 'userVerificationRequired', enforceCredentialProtectionPolicy: true, minPinLength: true } }),
      ORIGIN,
      { pin: '1234' },
    );
    expect(reg.clientExtensionResults).toEqual({ credProps: { rk: true } });
    const authData = parseAuthenticatorData(fromBase64Url(reg.response.authenticatorData, 'authData'));
    expect(authData.extensions).toEqual(new Map([['credProtect', 3]])); // minPinLength: rp.example may not read it
    const v = await verifyRegistrationResponse({ response: reg as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: 'rp.example' });
    expect(v.verified).toBe(true);
    expect(v.registrationInfo?.fmt).toBe('packed');
    expect(v.registrationInfo?.authenticatorExtensionResults).toEqual({ credProtect: 3 });
    const nonResident = await client.create(creation('rp.example', 'bob', { authenticatorSelection: { residentKey: 'discouraged', userVerification: 'required' }, extensions: { credProps: true } }), ORIGIN, { pin: '1234' });
    expect(nonResident.clientExtensionResults).toEqual({ credProps: { rk: false } });
  });

  it('minPinLength reaches an RP the key lets read it; an unknown policy is BAD_INPUT', async () => {
    const { ctap2, client } = await key({ minPinLengthRPIDs: ['rp.example'] });
    await new ClientPin(ctap2).setPin('1234');
    const reg = await client.create(creation('rp.example', 'alice', { extensions: { minPinLength: true } }), ORIGIN, { pin: '1234' });
    expect(parseAuthenticatorData(fromBase64Url(reg.response.authenticatorData, 'authData')).extensions).toEqual(new Map([['minPinLength', 4]]));
    expect((await failure(client.create(creation('rp.example', 'x', { extensions: { credentialProtectionPolicy: 'always' } }), ORIGIN, { pin: '1234' }))).code).toBe('BAD_INPUT');
  });

  it('enforceCredentialProtectionPolicy refuses a key without credProtect; without enforcing, the credential is made unprotected', async () => {
    const { client } = await key({ extensions: [] });
    const options = (enforce: boolean) => creation('rp.example', 'alice', { authenticatorSelection: { residentKey: 'required' }, extensions: { credentialProtectionPolicy: 'userVerificationOptionalWithCredentialIDList', enforceCredentialProtectionPolicy: enforce } });
    expect((await failure(client.create(options(true), ORIGIN))).code).toBe('UNSUPPORTED');
    const made = await client.create(options(false), ORIGIN);
    expect(parseAuthenticatorData(fromBase64Url(made.response.authenticatorData, 'authData')).extensions).toBeUndefined();
    // A U2F key has no credProtect either.
    const u2f = await key(fidoPersonality('u2f-only')!);
    expect((await failure(u2f.client.create({ ...options(true), authenticatorSelection: {} }, ORIGIN))).code).toBe('UNSUPPORTED');
  });

  it('attestation "enterprise": vendor-facilitated for the key’s RPs, platform-managed for the platform’s, plain for others', async () => {
    const { ctap2, client } = await key({ enterpriseAttestation: { rpIds: ['corp.example'], platformManaged: true } });
    const enterprise = (rpId: string) => client.create(creation(rpId, 'alice', { attestation: 'enterprise', authenticatorSelection: {} }), originOf(rpId));
    const subject = async (rpId: string) => {
      const reg = await enterprise(rpId);
      const att = decodeCbor(fromBase64Url(reg.response.attestationObject, 'att')) as Map<string, Map<string, unknown>>;
      const { X509Certificate } = await import('node:crypto');
      return new X509Certificate((att.get('attStmt')!.get('x5c') as Uint8Array[])[0]!).subject;
    };
    expect(await subject('corp.example')).toMatch(/batch/); // not enabled yet: the regular attestation
    await (await ConfigManager.open(ctap2, undefined)).enableEnterpriseAttestation();
    expect(await subject('corp.example')).toMatch(/ EA /);
    expect(await subject('managed.example')).toMatch(/ EA /);
    expect(await subject('rp.example')).toMatch(/batch/);
  });
});
