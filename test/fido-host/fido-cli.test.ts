/**
 * `tokenrig fido` as child processes against `tokenrig sim fido --hid udp:0 --json`, a second
 * child process: the CLI's real wiring, UDP sockets and exit codes. The real-key tests are in
 * real-key.test.ts.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const ORIGIN = 'https://rp.example';
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-fido-cli-'));
let sim: ChildProcess;
let spec = '';

function tokenrig(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  sim = spawn('node', [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: sim.stdout! });
  const ready = await new Promise<{ endpoints: { hid: string } }>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as { endpoints: { hid: string } }));
    sim.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  spec = ready.endpoints.hid;
}, 30_000);

afterAll(() => {
  sim.kill('SIGTERM');
});

const challenge = (n: number) => Buffer.alloc(32, n).toString('base64url');

describe('tokenrig fido (child processes)', () => {
  it('info --json prints getInfo', async () => {
    const r = await tokenrig(['fido', 'info', '--device', spec, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(info.versions).toContain('FIDO_2_1');
    expect(info.aaguid).toBe('746f6b656e7269672d73696d2d666964');
    expect(info.pinUvAuthProtocols).toEqual([2, 1]);
  });

  it('info --protocol u2f speaks U2F', async () => {
    const r = await tokenrig(['fido', 'info', '--device', spec, '--protocol', 'u2f', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ u2fVersion: 'U2F_V2', ctaphid: { cbor: true, msg: true } });
  });

  it('register then authenticate, with a PIN, verified by @simplewebauthn/server', async () => {
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '2468', '--device', spec])).stdout).toBe('PIN set\n');
    const create = join(dir, 'create.json');
    writeFileSync(create, JSON.stringify({ publicKey: { rp: { name: 'RP', id: 'rp.example' }, user: { id: 'AQID', name: 'a', displayName: 'A' }, challenge: challenge(1), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], attestation: 'direct', authenticatorSelection: { userVerification: 'required' } } }));
    const noPin = await tokenrig(['fido', 'register', '--device', spec, '--options', create, '--origin', ORIGIN]);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/PIN/);
    const reg = await tokenrig(['fido', 'register', '--device', spec, '--options', create, '--origin', ORIGIN], { TOKENRIG_FIDO_PIN: '2468' });
    expect(reg.code).toBe(0);
    const v = await verifyRegistrationResponse({ response: JSON.parse(reg.stdout) as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: 'rp.example' });
    expect(v.verified).toBe(true);
    const get = join(dir, 'get.json');
    writeFileSync(get, JSON.stringify({ challenge: challenge(2), rpId: 'rp.example', allowCredentials: [{ id: JSON.parse(reg.stdout).id, type: 'public-key' }], userVerification: 'required' }));
    const auth = await tokenrig(['fido', 'authenticate', '--device', spec, '--options', get, '--origin', ORIGIN, '--pin', '2468']);
    expect(auth.code).toBe(0);
    const a = await verifyAuthenticationResponse({ response: JSON.parse(auth.stdout) as never, expectedChallenge: challenge(2), expectedOrigin: ORIGIN, expectedRPID: 'rp.example', credential: v.registrationInfo!.credential });
    expect(a.verified).toBe(true);
  });

  it('a wrong PIN is a rejected secret (exit 9), explained with the tries left; info shows retries, algorithms, options', async () => {
    const wrong = await tokenrig(['fido', 'pin', 'change', '--pin', '0000', '--new-pin', '1357', '--device', spec]);
    expect(wrong.code).toBe(9);
    expect(wrong.stderr).toBe('tokenrig: PIN_INVALID: wrong PIN, 7 tries left\n');
    const info = JSON.parse((await tokenrig(['fido', 'info', '--device', spec, '--json'])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ pin: { set: true, retries: 7 } });
    expect((info.algorithms as { name: string }[]).map((a) => a.name)).toEqual(['es256', 'eddsa', 'es384', 'es512', 'ps256', 'rs256', 'es256k']);
    const human = (await tokenrig(['fido', 'info', '--device', spec])).stdout;
    expect(human).toMatch(/^ {2}PIN: +set, 7 attempts remaining$/m);
    expect(human).toMatch(/^ {2}algorithms: +es256 \(-7\), eddsa \(-8\), es384 \(-35\), es512 \(-36\), ps256 \(-37\), rs256 \(-257\), es256k \(-47\)$/m);
    expect(human).toMatch(/^ {2}options: +noep, rk, up, noplat, noalwaysUv, credMgmt, authnrCfg, clientPin, largeBlobs, pinUvAuthToken, setMinPINLength$/m);
  });

  it('gives one-line errors for a missing file, bad JSON, a bad origin and an unknown command', { timeout: 60_000 }, async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    for (const [args, code, re] of [
      [['fido', 'register', '--device', spec, '--options', join(dir, 'missing.json'), '--origin', ORIGIN], 7, /--options .*missing\.json: no such file/],
      [['fido', 'register', '--device', spec, '--options', bad, '--origin', ORIGIN], 3, /not valid JSON/],
      [['fido', 'authenticate', '--device', spec, '--options', bad, '--origin', 'ftp://rp.example'], 2, /must be https/],
      [['fido', 'frobnicate', '--device', spec], 2, /unknown fido command/],
      [['fido', 'reset', '--device', spec], 2, /--yes/],
    ] as const) {
      const r = await tokenrig([...args]);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
