/**
 * FIDO suite.
 *
 * - CTAP2 makeCredential / getAssertion and a 7609-byte CTAPHID PING (the largest message,
 *   129 reports each way) from the host stack to the simulated authenticator, three ways:
 *   in process over the memory twin; over UDP with both ends in this process; and over UDP
 *   to `tokenrig sim fido` in its own process — how it is deployed, and how the SoloKeys
 *   simulator (22 ms a makeCredential, 1.3 s a PING) runs.
 * - The whole WebAuthn ceremony (our client + CTAPHID + simulator, in process) against
 *   nid-webauthn-emulator, an in-process authenticator emulator with no transport at all,
 *   measured interleaved so the ratio holds on a noisy machine. Both start from an empty
 *   store; both store every credential (residentKey "required"). nid reads and deserializes
 *   its whole store on every call, so its rate depends on how many users are registered:
 *   the cases say how many. A create at N users re-registers one of them (both
 *   emulators replace it), so N stays N.
 *
 * - EdDSA makeCredential/getAssertion and getAssertion with hmac-secret on each transport,
 *   and the authenticator's Ed25519 signature against @noble/curves (interleaved).
 *
 * Run: `npm run bench -- fido` (or `--json`). Names of impls: `tokenrig` is ours (the
 * table prints its ratio to the fastest peer of the same case).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as nid from 'nid-webauthn-emulator';
import { UdpEndpoint } from '../firmware-sim/endpoints/udp-endpoint.js';
import { createNodeEnvironment } from '../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../firmware-sim/fido/index.js';
import { EDDSA } from '../firmware-sim/fido/algorithms/eddsa.js';
import { ClientPin } from '../src/ctap/client-pin.js';
import { Ctap2, type MakeCredentialParams } from '../src/ctap/ctap2.js';
import { HmacSecretSalts } from '../src/ctap/hmac-secret.js';
import { parseAuthenticatorData } from '../src/protocol/authenticator-data.js';
import { CtapHidDevice } from '../src/drivers/ctaphid-device.js';
import { MemoryHidTransport } from '../src/transports/memory-hid-transport.js';
import { UdpHidTransport } from '../src/transports/udp-hid-transport.js';
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  WebAuthnClient,
  toBase64Url,
} from '../src/webauthn/index.js';
import { type BenchRow, type SuiteOptions, measureAsync, measureAsyncInterleaved, measureInterleaved } from './harness.js';

const ORIGIN = 'https://bench.example';
const RP_ID = 'bench.example';
const CLI = fileURLToPath(new URL('../bin/tokenrig.js', import.meta.url));

function makeParams(alg = -7, extensions?: Map<string, boolean>): MakeCredentialParams {
  return {
    clientDataHash: sha256(new TextEncoder().encode('bench')),
    rp: { id: RP_ID, name: 'Bench' },
    user: { id: Uint8Array.of(1, 2, 3, 4), name: 'bench' },
    pubKeyCredParams: [{ type: 'public-key', alg }],
    ...(extensions !== undefined ? { extensions } : {}),
  };
}

const idOf = (authData: Uint8Array): Uint8Array => authData.slice(55, 55 + ((authData[53]! << 8) | authData[54]!));

function creationOptions(user: number): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { id: RP_ID, name: 'Bench' },
    user: { id: toBase64Url(new TextEncoder().encode(`user-${user}`)), name: `user${user}@bench.example`, displayName: `User ${user}` },
    challenge: toBase64Url(new Uint8Array(32).fill(7)),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'discouraged' },
    attestation: 'direct',
  };
}

function requestOptions(credentialId: string): PublicKeyCredentialRequestOptionsJSON {
  return { challenge: toBase64Url(new Uint8Array(32).fill(8)), rpId: RP_ID, allowCredentials: [{ id: credentialId, type: 'public-key' }], userVerification: 'discouraged' };
}

/** `tokenrig sim fido` on an ephemeral UDP port, in its own process. */
async function simulatorProcess(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'sim', 'fido', '--hid', 'udp:0', '--quiet', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<{ endpoints: { hid: string } }>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as { endpoints: { hid: string } }));
    child.once('exit', (code) => reject(new Error(`tokenrig sim fido exited (${code}) before it was ready`)));
  });
  lines.on('line', () => {}); // keep draining its event lines
  const port = Number(ready.endpoints.hid.split(':').at(-1));
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function ctap2Rows(device: CtapHidDevice, impl: string, m: { timeMs: number; warmupMs: number }): Promise<BenchRow[]> {
  const ctap2 = new Ctap2(device);
  const made = await ctap2.makeCredential(makeParams());
  const ga = { rpId: RP_ID, clientDataHash: sha256(new TextEncoder().encode('bench')), allowList: [{ type: 'public-key' as const, id: idOf(made.authData) }] };
  const payload = new Uint8Array(7609).map((_, i) => i & 0xff);
  const row = (c: string, opsPerSec: number): BenchRow => ({ suite: 'fido', case: c, impl, opsPerSec });
  return [
    row('CTAP2 makeCredential', await measureAsync(() => ctap2.makeCredential(makeParams()), m)),
    row('CTAP2 getAssertion', await measureAsync(() => ctap2.getAssertion(ga), m)),
    row('PING 7609 bytes round trip', await measureAsync(() => device.ping(payload), m)),
    ...(await extensionRows(ctap2, row, m)),
  ];
}

/**
 * EdDSA (what OpenSSH's ed25519-sk keys ask for) and hmac-secret (what PRF and disk
 * unlocking use): a getAssertion with hmac-secret includes the platform's part, as a browser
 * does it each time: getKeyAgreement, the salts encrypted under a fresh ECDH secret, and the
 * output decrypted.
 */
async function extensionRows(ctap2: Ctap2, row: (c: string, opsPerSec: number) => BenchRow, m: { timeMs: number; warmupMs: number }): Promise<BenchRow[]> {
  const ed = await ctap2.makeCredential(makeParams(-8, new Map([['hmac-secret', true]])));
  const gaEd = { rpId: RP_ID, clientDataHash: sha256(new TextEncoder().encode('bench')), allowList: [{ type: 'public-key' as const, id: idOf(ed.authData) }] };
  const pin = new ClientPin(ctap2, { protocol: 2 });
  const salt = new Uint8Array(32).fill(3);
  const hmacSecret = async (): Promise<Uint8Array> => {
    const salts = await HmacSecretSalts.prepare(pin, salt);
    const got = await ctap2.getAssertion({ ...gaEd, extensions: new Map([['hmac-secret', salts.input]]) });
    const out = salts.decrypt(parseAuthenticatorData(got.authData).extensions?.get('hmac-secret')).output1;
    salts.dispose();
    return out;
  };
  return [
    row('CTAP2 makeCredential EdDSA', await measureAsync(() => ctap2.makeCredential(makeParams(-8)), m)),
    row('CTAP2 getAssertion EdDSA', await measureAsync(() => ctap2.getAssertion(gaEd), m)),
    row('CTAP2 getAssertion + hmac-secret (key agreement each time)', await measureAsync(hmacSecret, m)),
  ];
}

/** The authenticator's Ed25519 signature (node:crypto) against @noble/curves, interleaved in one process. */
async function ed25519Rows(m: { timeMs: number; warmupMs: number }): Promise<BenchRow[]> {
  const seed = new Uint8Array(32).fill(0x5a);
  const key = await EDDSA.load(seed);
  const message = new Uint8Array(37 + 32).fill(1); // authenticator data ‖ clientDataHash
  let pending: Promise<Uint8Array> | undefined;
  const rates = measureInterleaved(
    {
      // sign() resolves at once: the signature is made synchronously (see eddsa.ts).
      tokenrig: () => (pending = key.sign(message)),
      '@noble/curves ed25519': () => ed25519.sign(message, seed),
    },
    { timeMs: m.timeMs * 2, warmupMs: 300 },
  );
  await pending;
  return Object.entries(rates).map(([impl, opsPerSec]) => ({ suite: 'fido', case: 'Ed25519 signature (authenticator)', impl, opsPerSec }));
}

/** Ours against nid with `users` users registered in each, from empty stores. */
async function webauthnRows(users: number, m: { timeMs: number; warmupMs: number }): Promise<BenchRow[]> {
  const fido = await FidoAuthenticator.create(createNodeEnvironment());
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
  try {
    const client = new WebAuthnClient(device);
    const emulator = new nid.WebAuthnEmulator(new nid.AuthenticatorEmulator({ credentialsRepository: new nid.PasskeysCredentialsMemoryRepository() }));
    const ours: string[] = [];
    const theirs: string[] = [];
    for (let u = 0; u < users; u++) {
      ours.push((await client.create(creationOptions(u), ORIGIN)).id);
      theirs.push(emulator.createJSON(ORIGIN, creationOptions(u) as never).id);
    }
    let i = 0;
    let j = 0;
    const suffix = users === 1 ? '1 user registered' : `${users.toLocaleString('en-US')} users registered`;
    const create = await measureAsyncInterleaved(
      {
        tokenrig: () => client.create(creationOptions(i++ % users), ORIGIN),
        'nid-webauthn-emulator': async () => emulator.createJSON(ORIGIN, creationOptions(j++ % users) as never),
      },
      m,
    );
    // The creates replaced every credential: ask for the current ones.
    const oursNow = await Promise.all(ours.map(async (_, u) => (await client.create(creationOptions(u), ORIGIN)).id));
    const theirsNow = theirs.map((_, u) => emulator.createJSON(ORIGIN, creationOptions(u) as never).id);
    const get = await measureAsyncInterleaved(
      {
        tokenrig: () => client.get(requestOptions(oursNow[i++ % users]!), ORIGIN),
        'nid-webauthn-emulator': async () => emulator.getJSON(ORIGIN, requestOptions(theirsNow[j++ % users]!) as never),
      },
      m,
    );
    return [
      ...Object.entries(create).map(([impl, opsPerSec]) => ({ suite: 'fido', case: `WebAuthn create, ${suffix}`, impl, opsPerSec })),
      ...Object.entries(get).map(([impl, opsPerSec]) => ({ suite: 'fido', case: `WebAuthn get, ${suffix}`, impl, opsPerSec })),
    ];
  } finally {
    await device.close();
  }
}

export async function run(options: SuiteOptions = { timeMs: 700 }): Promise<BenchRow[]> {
  // V8 needs one to two seconds of this asynchronous code before it settles on optimised
  // code (measured: a 150 ms warm-up under-reports the CTAP cases by up to half).
  const m = { timeMs: options.timeMs, warmupMs: 1500 };
  const rows: BenchRow[] = [];

  const memFido = await FidoAuthenticator.create(createNodeEnvironment());
  const memDevice = await CtapHidDevice.open(MemoryHidTransport.connect(memFido.hid));
  rows.push(...(await ctap2Rows(memDevice, 'tokenrig sim, memory', m)));
  await memDevice.close();

  const udpFido = await FidoAuthenticator.create(createNodeEnvironment());
  const endpoint = await UdpEndpoint.listen(udpFido.hid, { port: 0 });
  const udpDevice = await CtapHidDevice.open(await UdpHidTransport.open({ port: endpoint.address.port }));
  try {
    rows.push(...(await ctap2Rows(udpDevice, 'tokenrig sim, UDP, same process', m)));
  } finally {
    await udpDevice.close();
    await endpoint.close();
  }

  const sim = await simulatorProcess();
  const ownDevice = await CtapHidDevice.open(await UdpHidTransport.open({ port: sim.port }));
  try {
    rows.push(...(await ctap2Rows(ownDevice, 'tokenrig sim fido, UDP, own process', m)));
  } finally {
    await ownDevice.close();
    await sim.stop();
  }

  // Three times the time for the comparisons: at 100 users nid does a few dozen calls a
  // second, and a ratio needs more than a handful of them per interleaved round.
  const compare = { timeMs: options.timeMs * 3, warmupMs: m.warmupMs };
  rows.push(...(await ed25519Rows(m)));
  rows.push(...(await webauthnRows(1, compare)));
  rows.push(...(await webauthnRows(100, compare)));
  return rows;
}
