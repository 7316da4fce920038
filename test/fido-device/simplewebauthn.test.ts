/**
 * @simplewebauthn/server, an independent relying-party library, verifies the authenticator's
 * packed attestation (batch x5c and self) and its assertions, built into standard
 * RegistrationResponseJSON / AuthenticationResponseJSON by hand here (the WebAuthn client
 * lives on the host side; this checks the authenticator's bytes alone).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from '../support/ctaphid-host.js';

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

async function device(attestation: 'batch' | 'self') {
  const { env } = createTestEnvironment({ startMs: Date.now() });
  const fido = await FidoAuthenticator.create(env, { attestation });
  const host = new TestHidHost(fido.hid);
  const cid = host.init();
  return async (cmd: number, params: Map<number, unknown>): Promise<Map<unknown, unknown>> => {
    host.send(cid, CTAPHID.CBOR, [cmd, ...encodeCbor(params)]);
    await host.waitFor(CTAPHID.CBOR);
    const reply = host.take().find((m) => m.cmd === CTAPHID.CBOR)!;
    expect(reply.data[0]).toBe(0);
    return decodeCbor(reply.data.subarray(1)) as Map<unknown, unknown>;
  };
}

describe('@simplewebauthn/server accepts the authenticator output', () => {
  for (const attestation of ['batch', 'self'] as const) {
    it(`verifies ${attestation} packed attestation and an assertion`, async () => {
      const cbor = await device(attestation);
      const origin = 'https://example.com';
      const challenge = b64u(sha256(new TextEncoder().encode('challenge')));
      const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false });
      const made = await cbor(
        0x01,
        new Map<number, unknown>([
          [1, sha256(new TextEncoder().encode(clientDataJSON))],
          [2, new Map([['id', 'example.com']])],
          [3, new Map<string, unknown>([['id', Uint8Array.of(1)], ['name', 'alice']])],
          [4, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]],
        ]),
      );
      const authData = made.get(2) as Uint8Array;
      const attestationObject = encodeCbor(new Map<string, unknown>([['fmt', made.get(1)], ['attStmt', made.get(3)], ['authData', authData]]));
      const credId = authData.slice(55, 55 + ((authData[53]! << 8) | authData[54]!));
      const reg = await verifyRegistrationResponse({
        response: { id: b64u(credId), rawId: b64u(credId), type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject) } },
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: 'example.com',
        requireUserVerification: false,
      });
      expect(reg.verified).toBe(true);
      expect(reg.registrationInfo?.fmt).toBe('packed');

      const getJSON = JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false });
      const got = await cbor(
        0x02,
        new Map<number, unknown>([
          [1, 'example.com'],
          [2, sha256(new TextEncoder().encode(getJSON))],
          [3, [new Map<string, unknown>([['id', credId], ['type', 'public-key']])]],
        ]),
      );
      const auth = await verifyAuthenticationResponse({
        response: {
          id: b64u(credId),
          rawId: b64u(credId),
          type: 'public-key',
          clientExtensionResults: {},
          response: { clientDataJSON: b64u(getJSON), authenticatorData: b64u(got.get(2) as Uint8Array), signature: b64u(got.get(3) as Uint8Array) },
        },
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: 'example.com',
        credential: { id: b64u(credId), publicKey: reg.registrationInfo!.credential.publicKey, counter: 0 },
        requireUserVerification: false,
      });
      expect(auth.verified).toBe(true);
      expect(auth.authenticationInfo.newCounter).toBe(1);
    });
  }
});
