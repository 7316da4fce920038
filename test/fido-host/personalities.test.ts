/**
 * Every key personality (FIDO_PROFILES) runs the same host-side suite — WebAuthn registration
 * and authentication verified by @simplewebauthn/server, with and without a PIN; credProtect;
 * credential management; authenticatorConfig — and the differences between them are asserted:
 * a CTAP 2.0 key refuses credential management and config with CTAP1_ERR_INVALID_COMMAND and
 * has PIN protocol 1 only, a U2F-only key takes the WebAuthn client's U2F path (fido-u2f
 * attestation), a key without credProtect makes the credential without it.
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FIDO_PROFILES, FidoAuthenticator, fidoPersonality } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { ConfigManager } from '../../src/ctap/config-manager.js';
import { CREDENTIAL_MANAGEMENT_SUBCOMMAND } from '../../src/ctap/credential-management.js';
import { CredentialManager } from '../../src/ctap/credential-manager.js';
import { Ctap1 } from '../../src/ctap/ctap1.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CONFIG_SUBCOMMAND } from '../../src/ctap/authenticator-config.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { parseAuthenticatorData } from '../../src/protocol/authenticator-data.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { type PublicKeyCredentialCreationOptionsJSON, WebAuthnClient, fromBase64Url, toBase64Url } from '../../src/webauthn/index.js';
import { failure } from './failure.js';

const ORIGIN = 'https://rp.example';
const challenge = (n: number) => toBase64Url(new Uint8Array(32).fill(n));

/** What each personality is expected to do differently. */
const EXPECTED: Record<string, { ctap2: boolean; pinProtocols: number[]; credMgmt: boolean; config: boolean; credProtect: boolean }> = {
  tokenrig: { ctap2: true, pinProtocols: [2, 1], credMgmt: true, config: true, credProtect: true },
  'yubikey-5': { ctap2: true, pinProtocols: [2, 1], credMgmt: true, config: true, credProtect: true },
  // With no finger enrolled the fingerprint key is a PIN key like the others (its sensor: test/fido-device/built-in-uv.test.ts).
  'yubikey-bio': { ctap2: true, pinProtocols: [2, 1], credMgmt: true, config: true, credProtect: true },
  ctap20: { ctap2: true, pinProtocols: [1], credMgmt: false, config: false, credProtect: false },
  'u2f-only': { ctap2: false, pinProtocols: [], credMgmt: false, config: false, credProtect: false },
  solo1: { ctap2: true, pinProtocols: [1], credMgmt: true, config: false, credProtect: true },
};

function creation(user: string, extra: Partial<PublicKeyCredentialCreationOptionsJSON> = {}): PublicKeyCredentialCreationOptionsJSON {
  return { rp: { id: 'rp.example', name: 'RP' }, user: { id: toBase64Url(new TextEncoder().encode(user)), name: user, displayName: user }, challenge: challenge(1), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], attestation: 'direct', ...extra };
}

async function registerAndAuthenticate(client: WebAuthnClient, user: string, pin?: string, extra: Partial<PublicKeyCredentialCreationOptionsJSON> = {}) {
  const uv = pin === undefined ? 'discouraged' : 'required';
  const ceremony = pin === undefined ? {} : { pin };
  const reg = await client.create(creation(user, { authenticatorSelection: { userVerification: uv }, ...extra }), ORIGIN, ceremony);
  const v = await verifyRegistrationResponse({ response: reg as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: 'rp.example', requireUserVerification: pin !== undefined });
  expect(v.verified).toBe(true);
  const auth = await client.get({ challenge: challenge(2), rpId: 'rp.example', allowCredentials: [{ id: reg.id, type: 'public-key' }], userVerification: uv }, ORIGIN, ceremony);
  const a = await verifyAuthenticationResponse({ response: auth as never, expectedChallenge: challenge(2), expectedOrigin: ORIGIN, expectedRPID: 'rp.example', credential: v.registrationInfo!.credential, requireUserVerification: pin !== undefined });
  expect(a.verified).toBe(true);
  return { reg, fmt: v.registrationInfo!.fmt };
}

describe('every key personality runs the same host-side suite', () => {
  it('the table covers every built-in personality', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(FIDO_PROFILES).sort());
  });

  for (const name of Object.keys(FIDO_PROFILES)) {
    const expected = EXPECTED[name]!;
    it(`${name}: WebAuthn with and without a PIN, credProtect, credential management, config`, async () => {
      const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: `personality-${name}` });
      const fido = await FidoAuthenticator.create(env, fidoPersonality(name)!);
      const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
      const client = new WebAuthnClient(device);
      expect(device.info.cbor).toBe(expected.ctap2);
      const plain = await registerAndAuthenticate(client, 'plain');
      expect(plain.fmt).toBe(expected.ctap2 ? 'packed' : 'fido-u2f');
      expect(device.info.deviceVersion).toEqual([...FIDO_PROFILES[name]!.firmwareVersion]);

      if (!expected.ctap2) {
        // The U2F path: no PIN, no discoverable credentials, no CTAP2 command at all.
        expect(await new Ctap1(device).getVersion()).toBe('U2F_V2');
        expect((await failure(client.create(creation('rk', { authenticatorSelection: { residentKey: 'required' } }), ORIGIN))).code).toBe('UNSUPPORTED');
        expect((await failure(client.create(creation('uv', { authenticatorSelection: { userVerification: 'required' } }), ORIGIN))).code).toBe('UNSUPPORTED');
        expect((await failure(new Ctap2(device).getInfo())).code).toBe('DEVICE');
        // Extensions on the U2F path: credProps says not discoverable; an enforced protection cannot be kept.
        expect((await client.create(creation('props', { extensions: { credProps: true } }), ORIGIN)).clientExtensionResults).toEqual({ credProps: { rk: false } });
        const enforced = creation('enforced', { extensions: { credentialProtectionPolicy: 'userVerificationRequired', enforceCredentialProtectionPolicy: true } });
        expect((await failure(client.create(enforced, ORIGIN))).code).toBe('UNSUPPORTED');
        return;
      }

      const ctap2 = new Ctap2(device);
      const info = await ctap2.getInfo();
      expect(info.pinUvAuthProtocols).toEqual(expected.pinProtocols);
      await (await ClientPin.forAuthenticator(ctap2)).setPin('1234');
      await registerAndAuthenticate(client, 'verified', '1234');

      // credProtect: a discoverable credential only a verified user may find.
      const protectedReg = await client.create(
        creation('protected', { authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, extensions: { credentialProtectionPolicy: 'userVerificationRequired' } }),
        ORIGIN,
        { pin: '1234' },
      );
      const level = parseAuthenticatorData(fromBase64Url(protectedReg.response.authenticatorData, 'authData')).extensions?.get('credProtect');
      expect(level).toBe(expected.credProtect ? 3 : undefined);
      const discoverable = await client.get({ challenge: challenge(3), rpId: 'rp.example', userVerification: 'discouraged' }, ORIGIN).then(
        (r) => r.id,
        (e: unknown) => e,
      );
      if (expected.credProtect) expect((discoverable as { wireCode?: number }).wireCode).toBe(S.CTAP2_ERR_NO_CREDENTIALS);
      else expect(discoverable).toBe(protectedReg.id);

      if (expected.credMgmt) {
        const cm = await CredentialManager.open(ctap2, '1234');
        const listed = await cm.list();
        expect(listed.map((c) => c.user.name)).toContain('protected');
        await cm.delete(fromBase64Url(protectedReg.id, 'id'));
        expect((await cm.list()).map((c) => c.user.name)).not.toContain('protected');
      } else {
        expect((await failure(ctap2.credentialManagement({ subCommand: CREDENTIAL_MANAGEMENT_SUBCOMMAND.getCredsMetadata }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
        expect((await failure(ctap2.credentialManagement({ subCommand: CREDENTIAL_MANAGEMENT_SUBCOMMAND.getCredsMetadata }, { prototype: true }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
        expect((await failure(CredentialManager.open(ctap2, '1234'))).code).toBe('UNSUPPORTED');
      }

      if (expected.config) {
        const config = await ConfigManager.open(ctap2, '1234');
        expect(await config.setAlwaysUv(true)).toBe(true);
        // alwaysUv: no U2F, no assertion without the PIN.
        expect((await ctap2.getInfo()).versions).not.toContain('U2F_V2');
        expect((await failure(client.get({ challenge: challenge(4), rpId: 'rp.example', allowCredentials: [{ id: plain.reg.id, type: 'public-key' }] }, ORIGIN))).wireCode).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
      } else {
        expect((await failure(ctap2.config({ subCommand: CONFIG_SUBCOMMAND.toggleAlwaysUv }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
        expect((await failure(ConfigManager.open(ctap2, '1234'))).code).toBe('UNSUPPORTED');
      }
    });
  }
});
