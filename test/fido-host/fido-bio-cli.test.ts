/**
 * `tokenrig fido bio` and the WebAuthn commands against `tokenrig sim fido --profile
 * yubikey-bio --uv manual --json`, each a child process: the simulator's events say when it
 * waits for a finger, and the test answers on its stdin as a person would (Enter for an
 * enrollment sample, 1 for the first enrolled finger, w for a wrong one). Registrations made
 * with the finger are verified by @simplewebauthn/server with requireUserVerification.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const ORIGIN = 'https://rp.example';
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-fido-bio-'));
const closers: (() => void)[] = [];
afterAll(() => closers.forEach((c) => c()));

function tokenrig(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, TOKENRIG_FIDO_PIN: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** A simulator child; `events` collects its JSON lines, and a finger request is answered from `answers` (default: Enter / 1). */
async function simulator(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  closers.push(() => child.kill('SIGTERM'));
  const events: Record<string, unknown>[] = [];
  const answers: string[] = [];
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<{ endpoints: { hid: string } }>((resolve, reject) => {
    lines.on('line', (l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      events.push(e);
      if (e.event === 'ready') resolve(e as unknown as { endpoints: { hid: string } });
      if (e.event === 'enroll_sample_requested') child.stdin.write('\n');
      if (e.event === 'uv_requested') child.stdin.write(`${answers.shift() ?? '1'}\n`);
    });
    child.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  return { spec: ready.endpoints.hid, events, answers, child };
}

let bio: Awaited<ReturnType<typeof simulator>>;
beforeAll(async () => {
  bio = await simulator(['--profile', 'yubikey-bio', '--uv', 'manual']);
}, 30_000);

const json = (s: string) => JSON.parse(s) as Record<string, unknown>;
const challenge = (n: number) => Buffer.alloc(32, n).toString('base64url');

describe('tokenrig fido bio (child processes, sim fido --uv manual)', () => {
  it('enrolls a finger with progress per sample, lists, and manages it; the key then verifies with the finger', async () => {
    const d = ['--device', bio.spec];
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '1234', ...d])).code).toBe(0);
    expect(bio.events.at(0)).toMatchObject({ event: 'ready', profile: 'yubikey-bio', uv: 'manual', product: 'YubiKey FIDO' });

    const enrolled = await tokenrig(['fido', 'bio', 'enroll', '--name', 'thumb', '--pin', '1234', '--json', ...d]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const out = json(enrolled.stdout) as { enrolled: { templateId: string; name: string }; samples: { status: string; remaining: number }[] };
    expect(out.enrolled.name).toBe('thumb');
    expect(out.samples).toEqual([4, 3, 2, 1, 0].map((remaining) => ({ status: 'FP_GOOD', remaining })));
    expect(enrolled.stderr).toContain('sample 1: good, 4 more needed');
    expect(bio.events.filter((e) => e.event === 'enroll_sample_requested').length).toBe(5);
    expect(bio.events.filter((e) => e.event === 'finger_placed').length).toBe(5);

    const human = await tokenrig(['fido', 'bio', 'list', '--pin', '1234', ...d]);
    expect(human.stdout).toBe(`${bio.spec}: 1 finger enrolled\n  ${out.enrolled.templateId}  thumb\n`);
    const listed = json((await tokenrig(['fido', 'bio', 'list', '--pin', '1234', '--json', ...d])).stdout);
    expect(listed).toMatchObject({ sensor: { fingerprintKind: 1, maxCaptureSamplesRequiredForEnroll: 5 }, templates: [{ templateId: out.enrolled.templateId, name: 'thumb' }] });
    // fido info: the finger enrolled and the key's UV retries (getUVRetries), beside the PIN's.
    const info = await tokenrig(['fido', 'info', ...d]);
    expect(info.stdout).toMatch(/^ {2}built-in UV: +enrolled, \d+ attempts remaining$/m);
    expect(json((await tokenrig(['fido', 'info', '--json', ...d])).stdout)).toMatchObject({ uv: { enrolled: true, retries: expect.any(Number), modality: ['fingerprint'] }, pin: { set: true } });

    // WebAuthn with userVerification required and no PIN: the key asks for the finger (answered 1).
    const create = join(dir, 'create.json');
    writeFileSync(create, JSON.stringify({ rp: { id: 'rp.example', name: 'RP' }, user: { id: 'AQID', name: 'a', displayName: 'A' }, challenge: challenge(1), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { userVerification: 'required' } }));
    const reg = await tokenrig(['fido', 'register', '--options', create, '--origin', ORIGIN, ...d]);
    expect(reg.code, reg.stderr).toBe(0);
    const v = await verifyRegistrationResponse({ response: json(reg.stdout) as never, expectedChallenge: challenge(1), expectedOrigin: ORIGIN, expectedRPID: 'rp.example', requireUserVerification: true });
    expect(v.verified).toBe(true);
    expect(bio.events.filter((e) => e.event === 'uv_verified').length).toBe(1);

    // Three wrong fingers block built-in UV; with the PIN the assertion still comes (and the PIN restores UV).
    bio.answers.push('w', 'w', 'w');
    const get = join(dir, 'get.json');
    writeFileSync(get, JSON.stringify({ challenge: challenge(2), rpId: 'rp.example', userVerification: 'required', allowCredentials: [{ id: (json(reg.stdout) as { id: string }).id, type: 'public-key' }] }));
    const auth = await tokenrig(['fido', 'authenticate', '--options', get, '--origin', ORIGIN, '--pin', '1234', ...d]);
    expect(auth.code, auth.stderr).toBe(0);
    expect(bio.events.filter((e) => e.event === 'uv_failed').map((e) => e.uv_retries)).toEqual([2, 1, 0]);
    const a = await verifyAuthenticationResponse({
      response: json(auth.stdout) as never,
      expectedChallenge: challenge(2),
      expectedOrigin: ORIGIN,
      expectedRPID: 'rp.example',
      credential: { id: (json(reg.stdout) as { id: string }).id, publicKey: v.registrationInfo!.credential.publicKey, counter: 0 },
      requireUserVerification: true,
    });
    expect(a.verified).toBe(true);

    expect((await tokenrig(['fido', 'bio', 'rename', '--template', 'thumb', '--name', 'index', '--pin', '1234', ...d])).stdout).toBe(`finger ${out.enrolled.templateId} renamed to index\n`);
    const missing = await tokenrig(['fido', 'bio', 'delete', '--template', 'thumb', '--pin', '1234', ...d]);
    expect([missing.code, missing.stderr]).toEqual([2, `tokenrig: no finger "thumb" on the key (${out.enrolled.templateId} (index))\n`]);
    expect(json((await tokenrig(['fido', 'bio', 'delete', '--template', out.enrolled.templateId, '--pin', '1234', '--json', ...d])).stdout)).toMatchObject({ deleted: { name: 'index' } });
    expect((await tokenrig(['fido', 'bio', 'list', '--pin', '1234', ...d])).stdout).toBe(`${bio.spec}: no fingers enrolled\n`);
  }, 120_000); // a dozen CLI processes, each starting Node

  it('says what is wrong in one line with a documented exit status', async () => {
    const d = ['--device', bio.spec];
    const help = await tokenrig(['fido', 'bio', 'enroll', '--help']);
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([0, 'usage: tokenrig fido bio enroll [options]']);
    const cases: [string[], number][] = [
      [['fido', 'bio', 'paint', ...d], 2],
      [['fido', 'bio', 'rename', '--template', 'x', ...d], 2], // --name missing
      [['fido', 'bio', 'delete', ...d], 2], // --template missing
      [['fido', 'bio', 'list', ...d], 2], // the PIN is needed (no uvBioEnroll)
    ];
    const plain = await simulator([]);
    const [none, ...rest] = await Promise.all([tokenrig(['fido', 'bio', 'list', '--pin', '1234', '--device', plain.spec]), ...cases.map(([args]) => tokenrig(args))]);
    rest.forEach((r, i) => {
      expect([r.code, r.stderr.trim().split('\n').length], r.stderr).toEqual([cases[i]![1], 1]);
      expect(r.stderr).toMatch(/^tokenrig: /);
    });
    const wrongPin = await tokenrig(['fido', 'bio', 'list', '--pin', '9999', ...d]);
    expect([wrongPin.code, wrongPin.stderr]).toEqual([9, 'tokenrig: PIN_INVALID: wrong PIN, 7 tries left\n']);
    expect([none.code, none.stderr]).toEqual([10, 'tokenrig: the key has no fingerprint sensor (no bioEnroll in getInfo)\n']);
  }, 120_000);
});
