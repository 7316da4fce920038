/**
 * The FIDO story of the demo: a simulated CTAP2 authenticator on the UDP endpoint (the
 * SoloKeys contract, on an ephemeral port here), driven by the host's CTAPHID device and
 * WebAuthn client exactly as a real key would be. It registers a credential for
 * https://rp.example, signs in twice, and checks each assertion's ES256 signature with the
 * public key from the registration (node:crypto, independent of our own code).
 */
import { createHash, verify } from 'node:crypto';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { fromBase64Url, toBase64Url } from '../../webauthn/base64url.js';
import { WebAuthnClient } from '../../webauthn/client.js';
import { startFidoKey } from '../../sim/index.js';
import type { DemoOutput } from './demo-output.js';

const ORIGIN = 'https://rp.example';

/** Sign count of an authenticatorData (WebAuthn §6.1: bytes 33..36, big-endian). */
function signCount(authData: Uint8Array): number {
  return new DataView(authData.buffer, authData.byteOffset, authData.byteLength).getUint32(33);
}

export async function runFidoStory(out: DemoOutput): Promise<void> {
  const sim = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
  let device: CtapHidDevice | undefined;
  try {
    const spec = sim.endpoints.hid!;
    out.line(`  simulated FIDO2 key on ${spec} (CTAPHID over UDP, one 64-byte report per datagram)`);
    device = await CtapHidDevice.open(await openHidTransport(spec));
    const client = new WebAuthnClient(device);
    const challenge = (n: number): string => toBase64Url(createHash('sha256').update(`tokenrig demo challenge ${n}`).digest());

    const reg = await client.create(
      {
        rp: { id: 'rp.example', name: 'Example RP' },
        user: { id: toBase64Url(new TextEncoder().encode('alice')), name: 'alice', displayName: 'Alice' },
        challenge: challenge(0),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        attestation: 'direct',
      },
      ORIGIN,
    );
    out.line(`  navigator.credentials.create() for ${ORIGIN}: credential ${reg.id.slice(0, 16)}…, ES256, packed attestation`);
    out.event({ event: 'fido_register', ok: true, credential_id: reg.id });
    const publicKey = Buffer.from(fromBase64Url(reg.response.publicKey, 'publicKey'));

    for (let i = 1; i <= 2; i++) {
      const auth = await client.get({ rpId: 'rp.example', challenge: challenge(i), allowCredentials: [{ type: 'public-key', id: reg.id }] }, ORIGIN);
      const authData = fromBase64Url(auth.response.authenticatorData, 'authenticatorData');
      const clientData = fromBase64Url(auth.response.clientDataJSON, 'clientDataJSON');
      // WebAuthn §7.2 step 20: the signature covers authenticatorData ‖ SHA-256(clientDataJSON).
      const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
      const ok = verify('sha256', signed, { key: publicKey, format: 'der', type: 'spki' }, fromBase64Url(auth.response.signature, 'signature'));
      out.event({ event: 'fido_authenticate', ok, sign_count: signCount(authData) });
      if (!ok) throw new Error('the assertion signature did not verify');
      out.line(`  navigator.credentials.get() #${i}: signature verified, sign counter ${signCount(authData)}`);
    }
  } finally {
    await device?.close();
    await sim.close();
  }
}
