/**
 * @simplewebauthn/server, an independent relying-party library, verifies the authenticator's
 * packed attestation (batch x5c and self) and its assertions, built into standard
 * RegistrationResponseJSON / AuthenticationResponseJSON by hand here (the WebAuthn client
 * lives on the host side; this checks the authenticator's bytes alone).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { verifyCredentialSignature } from '../../src/ctap/credential-signature.js';
import { parseAuthenticatorData } from '../../src/protocol/authenticator-data.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from '../support/ctaphid-host.js';

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/** Registration and assertion through the authenticator with `alg`, as the JSON a browser would send. */
async function ceremony(attestation: 'batch' | 'self', alg: number, extensions?: Map<string, unknown>) {
  const { env } = createTestEnvironment({ startMs: Date.now(), seed: `swa ${alg} ${attestation}` });
  const fido = await FidoAuthenticator.create(env, { attestation });
  const host = new TestHidHost(fido.hid);
  const cid = host.init();
  const cbor = async (cmd: number, params: Map<number, unknown>): Promise<Map<unknown, unknown>> => {
    host.send(cid, CTAPHID.CBOR, [cmd, ...encodeCbor(params)]);
    await host.waitFor(CTAPHID.CBOR);
    const reply = host.take().find((m) => m.cmd === CTAPHID.CBOR)!;
    expect(reply.data[0], `status of command ${cmd}`).toBe(0);
    return decodeCbor(reply.data.subarray(1)) as Map<unknown, unknown>;
  };
  const origin = 'https://example.com';
  const challenge = b64u(sha256(new TextEncoder().encode(`challenge ${alg}`)));
  const createJSON = JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false });
  const made = await cbor(
    0x01,
    new Map<number, unknown>([
      [1, sha256(new TextEncoder().encode(createJSON))],
      [2, new Map([['id', 'example.com']])],
      [3, new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'alice']])],
      [4, [new Map<string, unknown>([['alg', alg], ['type', 'public-key']])]],
      ...(extensions === undefined ? [] : ([[6, extensions], [7, new Map([['rk', true]])]] as [number, unknown][])),
    ]),
  );
  const authData = made.get(2) as Uint8Array;
  const parsed = parseAuthenticatorData(authData);
  const credId = parsed.attested!.credentialId;
  const getJSON = JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false });
  const got = await cbor(
    0x02,
    new Map<number, unknown>([
      [1, 'example.com'],
      [2, sha256(new TextEncoder().encode(getJSON))],
      [3, [new Map<string, unknown>([['id', credId], ['type', 'public-key']])]],
    ]),
  );
  return {
    origin,
    challenge,
    parsed,
    made,
    got,
    registration: {
      id: b64u(credId),
      rawId: b64u(credId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: { clientDataJSON: b64u(createJSON), attestationObject: b64u(encodeCbor(new Map<string, unknown>([['fmt', made.get(1)], ['attStmt', made.get(3)], ['authData', authData]]))) },
    },
    authentication: {
      id: b64u(credId),
      rawId: b64u(credId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: { clientDataJSON: b64u(getJSON), authenticatorData: b64u(got.get(2) as Uint8Array), signature: b64u(got.get(3) as Uint8Array) },
    },
    getJSON,
  };
}

describe('@simplewebauthn/server verifies packed attestation (batch x5c and self) and assertions of every algorithm the simulator makes', () => {
  // ES256K is left out: WebCrypto, on which @simplewebauthn/server verifies, has no secp256k1.
  for (const alg of [-7, -8, -35, -36, -37, -257]) {
    for (const attestation of ['batch', 'self'] as const) {
      it(`COSE ${alg}, ${attestation} attestation: registration and assertion`, async () => {
        const c = await ceremony(attestation, alg);
        expect(c.parsed.attested!.publicKey.alg).toBe(alg);
        expect((c.made.get(3) as Map<string, unknown>).get('alg')).toBe(attestation === 'batch' ? -7 : alg);
        const reg = await verifyRegistrationResponse({ response: c.registration, expectedChallenge: c.challenge, expectedOrigin: c.origin, expectedRPID: 'example.com', requireUserVerification: false, supportedAlgorithmIDs: [alg] });
        expect(reg.verified).toBe(true);
        expect(reg.registrationInfo?.fmt).toBe('packed');
        const auth = await verifyAuthenticationResponse({
          response: c.authentication,
          expectedChallenge: c.challenge,
          expectedOrigin: c.origin,
          expectedRPID: 'example.com',
          credential: { id: c.registration.id, publicKey: reg.registrationInfo!.credential.publicKey, counter: 0 },
          requireUserVerification: false,
        });
        expect(auth.verified).toBe(true);
        expect(auth.authenticationInfo.newCounter).toBe(1);
        // A signature with one bit changed is refused: the check can fail.
        const bad = Buffer.from(c.authentication.response.signature, 'base64url');
        bad[bad.length - 1]! ^= 1;
        await expect(
          verifyAuthenticationResponse({
            response: { ...c.authentication, response: { ...c.authentication.response, signature: b64u(bad) } },
            expectedChallenge: c.challenge,
            expectedOrigin: c.origin,
            expectedRPID: 'example.com',
            credential: { id: c.registration.id, publicKey: reg.registrationInfo!.credential.publicKey, counter: 0 },
            requireUserVerification: false,
          }).then((r) => r.verified),
        ).resolves.not.toBe(true);
      }, 20_000);
    }
  }

  it('ES256K (COSE -47): @noble/curves secp256k1 verifies the self attestation and the assertion', async () => {
    const c = await ceremony('self', -47);
    const key = c.parsed.attested!.publicKey;
    if (key.kty !== 'EC2') throw new Error('not EC2');
    const point = new Uint8Array([4, ...key.x, ...key.y]);
    const attStmt = c.made.get(3) as Map<string, unknown>;
    const createHash = sha256(new TextEncoder().encode(Buffer.from(c.registration.response.clientDataJSON, 'base64url').toString()));
    expect(secp256k1.verify(attStmt.get('sig') as Uint8Array, sha256(new Uint8Array([...(c.made.get(2) as Uint8Array), ...createHash])), point, { format: 'der', prehash: false })).toBe(true);
    const getHash = sha256(new TextEncoder().encode(c.getJSON));
    const signed = new Uint8Array([...(c.got.get(2) as Uint8Array), ...getHash]);
    expect(secp256k1.verify(c.got.get(3) as Uint8Array, sha256(signed), point, { format: 'der', prehash: false })).toBe(true);
    expect(verifyCredentialSignature(key, signed, c.got.get(3) as Uint8Array)).toBe(true);
  });
});

describe('@simplewebauthn/server reads the extension outputs in the authenticator data', () => {
  it('hmac-secret, credBlob and thirdPartyPayment at registration (ED flag, CBOR after the COSE key)', async () => {
    const c = await ceremony('batch', -8, new Map<string, unknown>([['hmac-secret', true], ['credBlob', new Uint8Array(8)], ['thirdPartyPayment', true]]));
    const reg = await verifyRegistrationResponse({ response: c.registration, expectedChallenge: c.challenge, expectedOrigin: c.origin, expectedRPID: 'example.com', requireUserVerification: false, supportedAlgorithmIDs: [-8] });
    expect(reg.verified).toBe(true);
    expect(reg.registrationInfo!.authenticatorExtensionResults).toEqual({ 'hmac-secret': true, credBlob: true, thirdPartyPayment: true });
  });
});
