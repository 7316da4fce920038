/**
 * FIDO suite: how many makeCredential / getAssertion a second the host stack gets from the
 * simulated authenticator, in process (memory) and over UDP (one datagram per report, the
 * SoloKeys contract); the full WebAuthn ceremony against nid-webauthn-emulator (an in-process
 * JavaScript authenticator with no transport at all); and a 7609-byte CTAPHID PING (the largest
 * message, 129 reports each way) round trip over UDP.
 *
 * Run: `npm run bench -- fido` (or `--json`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import * as nid from 'nid-webauthn-emulator';
import { UdpEndpoint } from '../firmware-sim/endpoints/udp-endpoint.js';
import { createTestEnvironment } from '../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../firmware-sim/fido/index.js';
import { Ctap2, type MakeCredentialParams } from '../src/ctap/ctap2.js';
import { CtapHidDevice } from '../src/drivers/ctaphid-device.js';
import { MemoryHidTransport } from '../src/transports/memory-hid-transport.js';
import { UdpHidTransport } from '../src/transports/udp-hid-transport.js';
import { type PublicKeyCredentialCreationOptionsJSON, WebAuthnClient, toBase64Url } from '../src/webauthn/index.js';
import { type BenchRow, type SuiteOptions, measureAsync } from './harness.js';

const ORIGIN = 'https://bench.example';
const RP_ID = 'bench.example';

function makeParams(): MakeCredentialParams {
  return {
    clientDataHash: sha256(new TextEncoder().encode('bench')),
    rp: { id: RP_ID, name: 'Bench' },
    user: { id: Uint8Array.of(1, 2, 3, 4), name: 'bench' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  };
}

function creationOptions(): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: RP_ID, name: 'Bench' },
    user: { id: toBase64Url(Uint8Array.of(1, 2, 3, 4)), name: 'bench', displayName: 'Bench' },
    challenge: toBase64Url(new Uint8Array(32).fill(7)),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    attestation: 'direct',
  };
}

async function simulator(seed: string): Promise<FidoAuthenticator> {
  const { env } = createTestEnvironment({ startMs: Date.now(), seed });
  return FidoAuthenticator.create(env);
}

export async function run(options: SuiteOptions = { timeMs: 700 }): Promise<BenchRow[]> {
  const m = { timeMs: options.timeMs, warmupMs: Math.min(150, options.timeMs / 4) };
  const rows: BenchRow[] = [];
  const row = (c: string, impl: string, opsPerSec: number): void => void rows.push({ suite: 'fido', case: c, impl, opsPerSec });

  const memFido = await simulator('bench-memory');
  const memDevice = await CtapHidDevice.open(MemoryHidTransport.connect(memFido.hid));
  const udpFido = await simulator('bench-udp');
  const endpoint = await UdpEndpoint.listen(udpFido.hid, { port: 0 });
  const udpDevice = await CtapHidDevice.open(await UdpHidTransport.open({ port: endpoint.address.port }));
  try {
    for (const [impl, device] of [['tokenrig sim, memory', memDevice], ['tokenrig sim, UDP', udpDevice]] as const) {
      const ctap2 = new Ctap2(device);
      const made = await ctap2.makeCredential(makeParams());
      const idLen = (made.authData[53]! << 8) | made.authData[54]!;
      const credId = made.authData.slice(55, 55 + idLen);
      row('CTAP2 makeCredential', impl, await measureAsync(() => ctap2.makeCredential(makeParams()), m));
      const ga = { rpId: RP_ID, clientDataHash: sha256(new TextEncoder().encode('bench')), allowList: [{ type: 'public-key', id: credId }] };
      row('CTAP2 getAssertion', impl, await measureAsync(() => ctap2.getAssertion(ga), m));
    }

    // The whole WebAuthn ceremony (client data, CTAP, attestation object, JSON) per second.
    const client = new WebAuthnClient(memDevice);
    const reg = await client.create(creationOptions(), ORIGIN);
    const request = { challenge: toBase64Url(new Uint8Array(32).fill(8)), rpId: RP_ID, allowCredentials: [{ id: reg.id, type: 'public-key' as const }] };
    row('WebAuthn create', 'tokenrig client + sim, memory', await measureAsync(() => client.create(creationOptions(), ORIGIN), m));
    row('WebAuthn get', 'tokenrig client + sim, memory', await measureAsync(() => client.get(request, ORIGIN), m));
    const emulator = new nid.WebAuthnEmulator();
    const nidReg = emulator.createJSON(ORIGIN, creationOptions() as never);
    const nidRequest = { ...request, allowCredentials: [{ id: nidReg.id, type: 'public-key' as const }] };
    row('WebAuthn get', 'nid-webauthn-emulator', await measureAsync(async () => emulator.getJSON(ORIGIN, nidRequest as never), m));
    // Measured after get: nid replaces a credential registered again for the same user.
    row('WebAuthn create', 'nid-webauthn-emulator', await measureAsync(async () => emulator.createJSON(ORIGIN, creationOptions() as never), m));

    const payload = new Uint8Array(7609).map((_, i) => i & 0xff);
    row('PING 7609 bytes round trip', 'tokenrig sim, UDP', await measureAsync(() => udpDevice.ping(payload), m));
    row('PING 7609 bytes round trip', 'tokenrig sim, memory', await measureAsync(() => memDevice.ping(payload), m));
  } finally {
    await udpDevice.close();
    await endpoint.close();
    await memDevice.close();
  }
  return rows;
}
