/**
 * Peer test: python-fido2 (Yubico, Debian's python3-fido2) as an independent relying party
 * verifies the registration (packed and fido-u2f attestation) and assertion our WebAuthn
 * client produced against the simulated authenticator.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { WebAuthnClient, toBase64Url } from '../../src/webauthn/index.js';
import { DEBIAN_PYTHON, peers } from '../support/peer.js';

const ORIGIN = 'https://rp.example';
const SCRIPT = join(import.meta.dirname, 'peers/verify_webauthn.py');

describe('python-fido2 verifies tokenrig WebAuthn output', () => {
  for (const protocol of ['ctap2', 'u2f'] as const) {
    it(`${protocol === 'ctap2' ? 'packed' : 'fido-u2f'} registration and assertion`, async (ctx) => {
      peers.pythonFido2.require(ctx);
      const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: `py-${protocol}` });
      const device = await CtapHidDevice.open(MemoryHidTransport.connect((await FidoAuthenticator.create(env)).hid));
      const client = new WebAuthnClient(device, { protocol });
      const regChallenge = toBase64Url(new Uint8Array(32).fill(1));
      const authChallenge = toBase64Url(new Uint8Array(32).fill(2));
      const registration = await client.create(
        { rp: { id: 'rp.example', name: 'RP' }, user: { id: 'AQID', name: 'a', displayName: 'A' }, challenge: regChallenge, pubKeyCredParams: [{ type: 'public-key', alg: -7 }], attestation: 'direct' },
        ORIGIN,
      );
      const authentication = await client.get({ challenge: authChallenge, rpId: 'rp.example', allowCredentials: [{ id: registration.id, type: 'public-key' }] }, ORIGIN);
      const input = JSON.stringify({ origin: ORIGIN, rpId: 'rp.example', registration, regChallenge, authentication, authChallenge });
      const r = spawnSync(DEBIAN_PYTHON, [SCRIPT], { input, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { fmt: string; credentialId: string; counter: number };
      expect(out.fmt).toBe(protocol === 'ctap2' ? 'packed' : 'fido-u2f');
      expect(out.credentialId).toBe(registration.id);
    });
  }

  it('and rejects a tampered assertion (the peer can fail)', async (ctx) => {
    peers.pythonFido2.require(ctx);
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: 'py-tamper' });
    const client = new WebAuthnClient(await CtapHidDevice.open(MemoryHidTransport.connect((await FidoAuthenticator.create(env)).hid)));
    const c = toBase64Url(new Uint8Array(32).fill(3));
    const registration = await client.create({ rp: { id: 'rp.example', name: 'RP' }, user: { id: 'AQID', name: 'a', displayName: 'A' }, challenge: c, pubKeyCredParams: [{ type: 'public-key', alg: -7 }], attestation: 'direct' }, ORIGIN);
    const authentication = await client.get({ challenge: c, rpId: 'rp.example', allowCredentials: [{ id: registration.id, type: 'public-key' }] }, ORIGIN);
    const sig = Buffer.from(authentication.response.signature, 'base64url');
    sig[sig.length - 1]! ^= 1;
    authentication.response.signature = sig.toString('base64url');
    const r = spawnSync(DEBIAN_PYTHON, [SCRIPT], { input: JSON.stringify({ origin: ORIGIN, rpId: 'rp.example', registration, regChallenge: c, authentication, authChallenge: c }), encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
  });
});
