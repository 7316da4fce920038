/**
 * Seed files feeding other commands, as child processes: `tokenrig otp code --seed-file/--qr`
 * agrees with oathtool on the imported secret; `tokenrig sim otp --seed-file` runs the token
 * the file describes.
 */
import { type ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { formatEntraCsv } from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const FIXTURES = resolve(import.meta.dirname, '../seeds/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-seed-int-'));
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

async function tokenrig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
});

describe('seed files in other commands (child process)', { timeout: 60_000 }, () => {
  it('otp code --seed-file reads RFC 6030 Figure 6 with its pre-shared key (RFC 4226 vector, oathtool)', async (ctx) => {
    const r = await tokenrig('otp', 'code', '--seed-file', join(FIXTURES, 'rfc6030-figure6.pskcxml'), '--key', '12345678901234567890123456789012');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('84755224'); // RFC 4226 Appendix D count 0, 8 digits
    peers.oathtool.require(ctx);
    expect(execFileSync('oathtool', ['--hotp', '-d', '8', '-c', '0', '3132333435363738393031323334353637383930'], { encoding: 'utf8' }).trim()).toBe('84755224');
  });

  it('otp code --seed-file picks a token by --serial in a many-token CSV; without it, one clear line', async (ctx) => {
    const csv = join(dir, 'entra.csv');
    writeFileSync(
      csv,
      formatEntraCsv([
        { serial: 'GAKT00000001', secret: new Uint8Array(20).fill(1), type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 },
        { serial: 'GAKT00000002', secret: Uint8Array.from(Buffer.from('Hello!\u00de\u00ad\u00be\u00efHello!\u00de\u00ad\u00be\u00ef', 'latin1')), type: 'totp', algorithm: 'SHA1', digits: 6, period: 60 },
      ]),
    );
    const r = await tokenrig('otp', 'code', '--seed-file', csv, '--serial', 'GAKT00000002', '--time', '1700000000', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ period: 60, digits: 6 });
    const many = await tokenrig('otp', 'code', '--seed-file', csv);
    expect(many.code).toBe(2);
    expect(many.stderr.trim()).toMatch(/holds 2 tokens: choose one with --serial$/);
    peers.oathtool.require(ctx);
    const o = execFileSync('oathtool', ['--totp', '-s', '60', '-b', SECRET, '-N', '@1700000000'], { encoding: 'utf8' }).trim();
    expect(JSON.parse(r.stdout).code).toBe(o);
  });

  it('otp code --qr reads a qrencode PNG of an AWS-style URI, as oathtool computes it', async (ctx) => {
    peers.qrencode.require(ctx);
    const png = join(dir, 'aws.png');
    execFileSync('qrencode', ['-o', png, `otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=${SECRET}`]);
    const r = await tokenrig('otp', 'code', '--qr', png, '--time', '1111111109');
    expect(r.code, r.stderr).toBe(0);
    peers.oathtool.require(ctx);
    expect(r.stdout.split('\n')[0]).toBe(execFileSync('oathtool', ['--totp', '-b', SECRET, '-N', '@1111111109'], { encoding: 'utf8' }).trim());
  });

  it('sim otp --seed-file runs the token of the file (serial and secret)', async () => {
    const pskc = join(dir, 'one.pskc');
    const g = await tokenrig('seed', 'export', '--secret', SECRET, '--serial', 'GAKT12345678', '--format', 'pskc', '--password', 'pw', '--out', pskc);
    expect(g.code, g.stderr).toBe(0);
    const child = spawn(process.execPath, [BIN, 'sim', 'otp', '--json', '--reveal', '--seed-file', pskc, '--password', 'pw', '--serial-port', 'tcp:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((res, rej) => {
      createInterface({ input: child.stdout }).once('line', res);
      child.once('exit', (c) => rej(new Error(`sim exited ${c}: ${stderr}`)));
    });
    const ready = JSON.parse(first) as { event: string; serial: string; secret?: string };
    expect(ready).toMatchObject({ event: 'ready', serial: 'GAKT12345678', secret: SECRET });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    running.delete(child);
  });
});
