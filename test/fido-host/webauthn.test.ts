/**
 * The WebAuthn client against the simulated authenticator, over memory and UDP; what it
 * produces must pass @simplewebauthn/server's verification (an independent relying party).
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { afterAll, describe, expect, it } from 'vitest';
import { UdpEndpoint } from '../../firmware-sim/endpoints/udp-endpoint.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { TokenrigError } from '../../src/errors.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';
import { failure } from './failure.js';
import { WebAuthnClient, type PublicKeyCredentialCreationOptionsJSON, toBase64Url } from '../../src/webauthn/index.js';

const ORIGIN = 'https://login.rp.example';
const RP_ID = 'rp.example';
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function memoryDevice(seed: string) {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed });
  const fido = await FidoAuthenticator.create(env);
  return CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
}

async function udpDevice(seed: string) {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed });
  const fido = await FidoAuthenticator.create(env);
  const endpoint = await UdpEndpoint.listen(fido.hid, { port: 0 });
  const transport = await UdpHidTransport.open({ port: endpoint.address.port });
  closers.push(() => transport.close(), () => endpoint.close());
  return CtapHidDevice.open(transport);
}

function creation(challenge: string, extra: Partial<PublicKeyCredentialCreationOptionsJSON> = {}): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: RP_ID, name: 'RP Example' },
    user: { id: toBase64Url(Uint8Array.of(7, 7, 7)), name: 'alice', displayName: 'Alice' },
    challenge,
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    attestation: 'direct',
    ...extra,
  };
}

const challenge = (n: number) => toBase64Url(new Uint8Array(32).fill(n));

async function registerAndAuthenticate(client: WebAuthnClient, expectFmt: string, pin?: string) {
  const uv = pin !== undefined ? 'required' : 'discouraged';
  const reg = await client.create(creation(challenge(1), { authenticatorSelection: { userVerification: uv } }), ORIGIN, pin !== undefined ? { pin } : {});
  const v = await verifyRegistrationResponse({ response: reg as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: pin !== undefined });
  expect(v.verified).toBe(true);
  expect(v.registrationInfo?.fmt).toBe(expectFmt);
  const info = v.registrationInfo!;
  const auth = await client.get({ challenge: challenge(2), rpId: RP_ID, allowCredentials: [{ id: reg.id, type: 'public-key' }], userVerification: uv }, ORIGIN, pin !== undefined ? { pin } : {});
  const a = await verifyAuthenticationResponse({
    response: auth as never,
    expectedChallenge: challenge(2),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: info.credential,
    requireUserVerification: pin !== undefined,
  });
  expect(a.verified).toBe(true);
  return { reg, auth, newCounter: a.authenticationInfo.newCounter };
}

describe('WebAuthnClient → @simplewebauthn/server', () => {
  it('CTAP2 over memory: packed attestation verifies, assertion verifies', async () => {
    const { newCounter } = await registerAndAuthenticate(new WebAuthnClient(await memoryDevice('w1')), 'packed');
    expect(newCounter).toBeGreaterThan(0);
  });

  it('CTAP2 over UDP with a PIN (protocol 2 token, UV flag set)', async () => {
    const device = await udpDevice('w2');
    await new ClientPin(new Ctap2(device), { protocol: 2 }).setPin('4321');
    await registerAndAuthenticate(new WebAuthnClient(device), 'packed', '4321');
  });

  it('U2F fallback: fido-u2f attestation and a U2F assertion verify', async () => {
    await registerAndAuthenticate(new WebAuthnClient(await memoryDevice('w3'), { protocol: 'u2f' }), 'fido-u2f');
  });

  it('attestation "none" (the default) gives fmt none, still verifiable', async () => {
    const client = new WebAuthnClient(await memoryDevice('w4'));
    const reg = await client.create(creation(challenge(3), { attestation: 'none' }), ORIGIN);
    const v = await verifyRegistrationResponse({ response: reg as never, expectedChallenge: challenge(3), expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: false });
    expect(v.registrationInfo?.fmt).toBe('none');
    const cdj = JSON.parse(Buffer.from(reg.response.clientDataJSON, 'base64url').toString()) as Record<string, unknown>;
    expect(cdj).toEqual({ type: 'webauthn.create', challenge: challenge(3), origin: ORIGIN, crossOrigin: false });
  });

  it('refuses an rp id that is not a registrable suffix of the origin, and bad origins', async () => {
    const client = new WebAuthnClient(await memoryDevice('w5'));
    for (const [opts, origin, re] of [
      [creation(challenge(1), { rp: { id: 'evil.example', name: 'x' } }), ORIGIN, /not a registrable suffix/],
      [creation(challenge(1), { rp: { id: 'ample', name: 'x' } }), 'https://rp.example', /not a registrable suffix/],
      [creation(challenge(1), { rp: { id: 'example', name: 'x' } }), 'https://a.example', /top-level domain/],
      [creation(challenge(1)), 'http://rp.example', /must be https/],
      [creation(challenge(1)), 'not a url', /not a URL/],
    ] as const) {
      const e = await failure(client.create(opts, origin));
      expect(e).toBeInstanceOf(TokenrigError);
      expect(e.code).toBe('BAD_INPUT');
      expect(e.message).toMatch(re);
    }
  });

  it('UV required: without a PIN on the key it is UNSUPPORTED; with one, --pin is demanded', async () => {
    const device = await memoryDevice('w6');
    const opts = creation(challenge(1), { authenticatorSelection: { userVerification: 'required' } });
    expect((await failure(new WebAuthnClient(device).create(opts, ORIGIN))).code).toBe('UNSUPPORTED');
    await new ClientPin(new Ctap2(device), { protocol: 1 }).setPin('1111');
    const e = await failure(new WebAuthnClient(device).create(opts, ORIGIN));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/PIN/);
  });
});
