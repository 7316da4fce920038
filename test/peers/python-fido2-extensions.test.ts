/**
 * Interop: Debian's python3-fido2 (0.9) drives the simulator's hmac-secret (PIN/UV auth
 * protocols 1 and 2, one and two salts, with and without UV) and large blobs over UDP HID,
 * and tokenrig's host side works on the same credentials and the same array:
 * - hmac-secret: python-fido2 and our host get the same outputs for the same credential,
 *   salts and UV state, whichever protocol each uses; python-fido2 verifies each assertion.
 * - large blobs: python-fido2 writes an entry (its own zlib-wrapped compression), our host
 *   reads it; our host writes another (raw DEFLATE, as CTAP 2.1 §6.10.3 says), python-fido2's
 *   own AES-GCM unpacking opens it, and its entry is still there; with a PIN a write needs
 *   an lbw token.
 * python-fido2 0.9 writes a large-blob array in one fragment only (it sends `length` with
 * every fragment), so its arrays stay below maxMsgSize − 64 here.
 * Skipped with a reason locally when python3-fido2 is absent; CI=true makes it fail.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FidoKey, startFidoKey } from '../../src/sim/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { HmacSecretSalts } from '../../src/ctap/hmac-secret.js';
import { LargeBlobArray } from '../../src/ctap/large-blob-array.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { parseAuthenticatorData } from '../../src/protocol/authenticator-data.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';
import { DEBIAN_PYTHON, peers } from '../support/peer.js';

const SCRIPT = join(import.meta.dirname, 'fido2_ext_peer.py');
const SALT1 = Uint8Array.from({ length: 32 }, (_, i) => i);
const SALT2 = Uint8Array.from({ length: 32 }, (_, i) => 32 + i);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function python(port: number, phase: string, args?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [SCRIPT, String(port), phase, ...(args === undefined ? [] : [JSON.stringify(args)])], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 && stderr === '' ? resolve(JSON.parse(stdout) as Record<string, unknown>) : reject(new Error(`python ${phase} exited ${code}: ${stderr}`))));
  });
}

let sim: FidoKey | undefined;
let port = 0;
let device: CtapHidDevice | undefined;

beforeAll(async () => {
  if (!peers.pythonFido2.available) return;
  sim = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
  port = Number(sim.endpoints.hid!.split(':')[2]);
  device = await CtapHidDevice.open(await UdpHidTransport.open({ port }));
});

afterAll(async () => {
  await device?.close();
  await sim?.close();
});

/** Our host's hmac-secret outputs for the same credential and salts. */
async function ours(protocol: 1 | 2, credentialId: string, salts: Uint8Array[], pinAuth?: { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number }, cdh = new Uint8Array(32).fill(3)) {
  const ctap2 = new Ctap2(device!);
  const prepared = await HmacSecretSalts.prepare(new ClientPin(ctap2, { protocol }), salts[0]!, salts[1]);
  const got = await ctap2.getAssertion({ rpId: 'peer.example', clientDataHash: cdh, allowList: [{ type: 'public-key', id: Buffer.from(credentialId, 'hex') }], extensions: new Map([['hmac-secret', prepared.input]]), ...pinAuth });
  const out = prepared.decrypt(parseAuthenticatorData(got.authData).extensions!.get('hmac-secret'));
  prepared.dispose();
  return { output1: hex(out.output1), ...(out.output2 !== undefined ? { output2: hex(out.output2) } : {}) };
}

describe('python3-fido2 peer: extensions over UDP HID', () => {
  it('hmac-secret, protocols 1 and 2, one and two salts: python-fido2 and tokenrig get the same outputs', async (ctx) => {
    peers.pythonFido2.require(ctx);
    const out = (await python(port, 'hmac')) as Record<string, { one: Record<string, string>; two: Record<string, string>; uv: boolean }> & { extensions: string[]; created: unknown; alg: number; credentialId: string };
    expect(out.extensions).toEqual(expect.arrayContaining(['hmac-secret', 'hmac-secret-mc', 'credBlob', 'largeBlobKey']));
    expect(out.alg).toBe(-8);
    expect(out.created).toEqual({ hmacCreateSecret: true });
    const [one, two] = [out['1']!, out['2']!];
    expect(one.uv).toBe(false);
    // The secret belongs to the credential, not to the protocol that carries the salts.
    expect(two.one).toEqual(one.one);
    expect(one.two.output1).toBe(one.one.output1);
    expect(one.two.output2).not.toBe(one.one.output1);
    for (const protocol of [1, 2] as const) {
      expect(await ours(protocol, out.credentialId, [SALT1])).toEqual(one.one);
      expect(await ours(protocol, out.credentialId, [SALT1, SALT2])).toEqual(one.two);
    }
  });

  it('large blobs: python-fido2 writes, tokenrig reads; tokenrig writes, python-fido2 opens it and its own entry survives', async (ctx) => {
    peers.pythonFido2.require(ctx);
    const out = (await python(port, 'blobs')) as { largeBlobsOption: boolean; maxLargeBlob: number; key: string; keyFromAssertion: string; initial: unknown[]; readBack: string; entries: number; credentialId: string };
    expect(out).toMatchObject({ largeBlobsOption: true, maxLargeBlob: 4096, initial: [], readBack: 'python-fido2 wrote this', entries: 1 });
    expect(out.keyFromAssertion).toBe(out.key);
    const ctap2 = new Ctap2(device!);
    const info = await ctap2.getInfo();
    const blobs = new LargeBlobArray(ctap2, info);
    expect(new TextDecoder().decode(await blobs.get(Buffer.from(out.key, 'hex')))).toBe('python-fido2 wrote this');
    // A credential of ours with a largeBlobKey, and a blob for it.
    const made = await ctap2.makeCredential({ clientDataHash: new Uint8Array(32), rp: { id: 'peer.example' }, user: { id: Uint8Array.of(42), name: 'ours' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }], extensions: new Map([['largeBlobKey', true]]), options: { rk: true } });
    const data = new TextEncoder().encode('tokenrig wrote this, '.repeat(10));
    expect(await blobs.put(made.largeBlobKey!, data)).toBe(true);
    const check = (await python(port, 'check', { key: hex(made.largeBlobKey!) })) as { entries: number; opened: { size: number; data: string; form: string }[] };
    expect(check.entries).toBe(2);
    expect(check.opened).toEqual([{ size: data.length, data: hex(data), form: 'deflate' }]);
    const again = (await python(port, 'check', { key: out.key })) as { pythonGetBlob: string | null; opened: { form: string }[] };
    expect(again.pythonGetBlob).toBe('read');
    expect(again.opened.map((o) => o.form)).toEqual(['zlib']);
  });

  it('with a PIN: hmac-secret with a PIN token uses CredRandomWithUV (both protocols, same as tokenrig); a large-blob write needs an lbw token', async (ctx) => {
    peers.pythonFido2.require(ctx);
    const out = (await python(port, 'pin', { pin: '4826' })) as Record<string, { created: unknown; withoutUv: { one: Record<string, string>; uv: boolean }; withUv: { one: Record<string, string>; two: Record<string, string>; uv: boolean } }> & { writeWithoutToken: string; entriesAfterTokenWrite: number };
    for (const v of ['1', '2']) {
      const r = out[v]!;
      expect(r.created).toEqual({ hmacCreateSecret: true });
      expect(r.withoutUv.uv).toBe(false);
      expect(r.withUv.uv).toBe(true);
      expect(r.withUv.one.output1).not.toBe(r.withoutUv.one.output1);
    }
    // 0x36: CTAP 2.1's CTAP2_ERR_PUAT_REQUIRED, under its CTAP 2.0 name in python-fido2 0.9.
    expect(out.writeWithoutToken).toBe('PIN_REQUIRED');
    expect(out.entriesAfterTokenWrite).toBe(1);
  });
});
