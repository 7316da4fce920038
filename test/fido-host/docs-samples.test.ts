/**
 * The sample options the docs ship (docs/create.json, docs/get.json) work as the README says:
 * `tokenrig fido register` then `authenticate` against a simulated key, each response verified
 * by @simplewebauthn/server; and the python-fido2 snippet (docs/python-fido2-udp.py) registers
 * and signs in against the simulator over UDP.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { startFidoKey } from '../../src/sim/index.js';
import { DEBIAN_PYTHON, peers } from '../support/peer.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tokenrig.js');
const ORIGIN = 'https://rp.example';
const run = promisify(execFile);

describe('docs/create.json and docs/get.json', () => {
  it('register and authenticate a discoverable credential, verified by @simplewebauthn/server', async () => {
    await using key = await startFidoKey({ hid: 'udp:0' });
    const create = JSON.parse(readFileSync(join(ROOT, 'docs/create.json'), 'utf8')) as { challenge: string };
    const get = JSON.parse(readFileSync(join(ROOT, 'docs/get.json'), 'utf8')) as { challenge: string };
    const reg = await run(process.execPath, [BIN, 'fido', 'register', '--options', join(ROOT, 'docs/create.json'), '--origin', ORIGIN, '--device', key.endpoints.hid!]);
    const v = await verifyRegistrationResponse({ response: JSON.parse(reg.stdout) as never, expectedChallenge: create.challenge, expectedOrigin: ORIGIN, expectedRPID: 'rp.example', requireUserVerification: false });
    expect(v.verified).toBe(true);
    expect(key.credentials()).toHaveLength(1);
    // get.json names no credential: the key finds its discoverable one.
    const auth = await run(process.execPath, [BIN, 'fido', 'authenticate', '--options', join(ROOT, 'docs/get.json'), '--origin', ORIGIN, '--device', key.endpoints.hid!]);
    const a = await verifyAuthenticationResponse({ response: JSON.parse(auth.stdout) as never, expectedChallenge: get.challenge, expectedOrigin: ORIGIN, expectedRPID: 'rp.example', credential: v.registrationInfo!.credential, requireUserVerification: false });
    expect(a.verified).toBe(true);
  });

  it('docs/python-fido2-udp.py registers and signs in with python-fido2 over UDP', async (ctx) => {
    peers.pythonFido2.require(ctx);
    await using key = await startFidoKey({ hid: 'udp:0' });
    const r = await run(DEBIAN_PYTHON, [join(ROOT, 'docs/python-fido2-udp.py'), key.endpoints.hid!.split(':')[2]!], { timeout: 30_000 });
    expect(r.stdout).toMatch(/^versions: \['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'\] aaguid: 746f6b656e7269672d73696d2d666964$/m);
    expect(r.stdout).toMatch(/^signed in: signature verified, counter 1$/m);
    expect(key.credentials()).toEqual([]); // python-fido2 asked for a non-discoverable credential
  });
});

describe('Ctrl-C while the key waits for a touch', () => {
  it('cancels the request on the key (CTAPHID_CANCEL) and exits 130', async () => {
    const events: string[] = [];
    await using key = await startFidoKey({ hid: 'udp:0', touch: 'manual', onEvent: (e) => events.push(e.event) });
    const child = execFile(process.execPath, [BIN, 'fido', 'register', '--options', join(ROOT, 'docs/create.json'), '--origin', ORIGIN, '--device', key.endpoints.hid!]);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await new Promise<void>((r) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('touch your key') && r()));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // No request waits on the key any more (without the cancel, one would until its 30 s
    // timeout, and this touch would grant it), and it holds no credential.
    expect(events).toContain('touch_requested');
    await expect.poll(() => key.touch(), { timeout: 5000 }).toBe(0);
    expect(key.credentials()).toEqual([]);
  });
});
