/** `tokenrig otp` as a user runs it: a real child process, checked against oathtool. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Totp, base32Decode } from '../../src/otp/index.js';
import { peers } from '../support/peer.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

async function tokenrig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('tokenrig otp (child process)', () => {
  it('prints the code alone on the first line, as oathtool computes it', async (ctx) => {
    const r = await tokenrig('otp', 'code', '--secret', SECRET, '--time', '1111111109');
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0];
    expect(first).toMatch(/^\d{6}$/);
    expect(first).toBe(new Totp(base32Decode(SECRET)).generate(1111111109));
    peers.oathtool.require(ctx);
    const o = await promisify(execFile)('oathtool', ['--totp', '-b', SECRET, '-N', '@1111111109']);
    expect(first).toBe(o.stdout.trim());
  });

  it('takes an otpauth URI and --json, and explicit options override the URI', async () => {
    const uri = `otpauth://totp/ACME:alice?secret=${SECRET}&issuer=ACME&digits=8&period=60&algorithm=SHA256`;
    const r = await tokenrig('otp', 'code', '--uri', uri, '--time', '2000000000', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ type: 'totp', digits: 8, period: 60, algorithm: 'SHA256' });
    expect(j.code).toBe(new Totp(base32Decode(SECRET), { digits: 8, period: 60, algorithm: 'SHA256' }).generate(2_000_000_000));
    const o = JSON.parse((await tokenrig('otp', 'code', '--uri', uri, '--digits', '6', '--time', '2000000000', '--json')).stdout);
    expect(o.code).toHaveLength(6);
  });

  it('computes HOTP codes with --counter', async () => {
    const r = await tokenrig('otp', 'code', '--secret', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '--counter', '1');
    expect(r.stdout.trim()).toBe('287082'); // RFC 4226 Appendix D, count 1
  });

  it('verifies one code and says the drift; a wrong code exits non-zero with one line', async () => {
    const t = new Totp(base32Decode(SECRET));
    const ok = await tokenrig('otp', 'verify', '--secret', SECRET, t.generate(1_700_000_030), '--time', '1700000000', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, drift: 1, driftSeconds: 30 });
    const bad = await tokenrig('otp', 'verify', '--secret', SECRET, t.generate(1_700_000_300), '--time', '1700000000');
    expect(bad.code).toBe(9);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/rejected/);
  });

  it('finds the drift of two consecutive codes a day away', async () => {
    const t = new Totp(base32Decode(SECRET));
    const at = 1_700_000_010 + 86_400;
    const r = await tokenrig('otp', 'verify', '--secret', SECRET, t.generate(at), t.generate(at + 30), '--time', '1700000010', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, drift: 2881 });
  });

  it('keeps a service-like state with --state: enroll, sign in, refuse the replay (file mode 0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-otp-'));
    const state = join(dir, 'state.json');
    const t = new Totp(base32Decode(SECRET));
    const now = 1_800_000_000;
    const enroll = await tokenrig('otp', 'verify', '--secret', SECRET, t.generate(now - 30), t.generate(now), '--time', String(now), '--state', state, '--window', '1', '--json');
    expect(JSON.parse(enroll.stdout)).toMatchObject({ ok: true, action: 'enroll' });
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const next = t.generate(now + 30);
    const signIn = await tokenrig('otp', 'verify', '--secret', SECRET, next, '--time', String(now + 30), '--state', state, '--json');
    expect(JSON.parse(signIn.stdout)).toMatchObject({ ok: true, action: 'verify' });
    const replay = await tokenrig('otp', 'verify', '--secret', SECRET, next, '--time', String(now + 31), '--state', state, '--json');
    expect(replay.code).toBe(9);
    expect(JSON.parse(replay.stdout)).toMatchObject({ ok: false, reason: 'replay' });
    expect(JSON.parse(readFileSync(state, 'utf8')).failures).toBe(1);
  });

  it.each([
    [['otp', 'code', '--secret', 'JBSW0Y3D'], /invalid character "0"/],
    [['otp', 'code'], /--secret B32 or --uri/],
    [['otp', 'code', '--secret', SECRET, '--digits', '11'], /--digits must be between 6 and 10/],
    [['otp', 'code', '--uri', 'https://example.com'], /scheme must be otpauth/],
    [['otp', 'code', '--secret', SECRET, '--time', 'yesterday'], /--time must be/],
    [['otp', 'verify', '--secret', SECRET, '12345'], /not 6 digits/],
    [['otp', 'frobnicate'], /unknown otp command/],
    [['nonsense'], /unknown command/],
  ])('bad input %j: one clear line, exit 2, no stack trace', async (args, message) => {
    const r = await tokenrig(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('reports errors as JSON on stdout with --json', async () => {
    const r = await tokenrig('otp', 'code', '--secret', '!!', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });
});
