/**
 * `tokenrig seed` as a user runs it: child processes, files with mode 0600, secrets absent from
 * the output unless --reveal, one-line errors with the documented exit codes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { base32Encode } from '../../src/otp/index.js';
import { parseSeedFile } from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-seed-cli-'));

async function tokenrig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000, cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const secretsOf = (file: string, keys: { password?: string; key?: Uint8Array } = {}): string[] => parseSeedFile(readFileSync(file), keys).map((s) => base32Encode(s.secret, { padding: false }));
const mode = (file: string): number => statSync(file).mode & 0o777;

describe('tokenrig seed (child process)', { timeout: 60_000 }, () => {
  it('generate writes a password-encrypted PSKC with mode 0600; import needs the password and hides secrets', async (ctx) => {
    const out = join(dir, 'batch.pskc');
    const g = await tokenrig('seed', 'generate', '--count', '4', '--profile', 'aws-totp', '--format', 'pskc', '--out-password', 'hunter2', '--out', out, '--json');
    expect(g.code, g.stderr).toBe(0);
    expect(mode(out)).toBe(0o600);
    const secrets = secretsOf(out, { password: 'hunter2' });
    expect(secrets).toHaveLength(4);
    const j = JSON.parse(g.stdout);
    expect(j).toMatchObject({ generated: 4, format: 'pskc', encrypted: 'password', mode: '0600' });
    for (const t of j.tokens) expect(t.serial).toMatch(/^GAKT\d{8}$/);
    const plain = await tokenrig('seed', 'import', out, '--password', 'hunter2');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/4 tokens \(pskc\)/);
    const asJson = await tokenrig('seed', 'import', out, '--password', 'hunter2', '--json');
    for (const s of secrets) {
      expect(g.stdout + plain.stdout + asJson.stdout + plain.stderr).not.toContain(s);
      expect(readFileSync(out, 'utf8')).not.toContain(s);
    }
    const shown = await tokenrig('seed', 'import', out, '--password', 'hunter2', '--reveal', '--json');
    expect(JSON.parse(shown.stdout).tokens.map((t: { secret: string }) => t.secret)).toEqual(secrets);
    peers.pskctool.require(ctx);
    expect(spawnSync('pskctool', ['-q', '--validate', out]).status).toBe(0);
  });

  it('a wrong password, a missing one and a tampered file each give one line and an exit code', async () => {
    const out = join(dir, 'keyed.pskc');
    const key = '000102030405060708090a0b0c0d0e0f';
    expect((await tokenrig('seed', 'generate', '--count', '2', '--format', 'pskc', '--out-key', key, '--out', out)).code).toBe(0);
    const wrong = await tokenrig('seed', 'import', out, '--key', 'ff0102030405060708090a0b0c0d0e0f');
    expect(wrong.code).toBe(9);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/keyed\.pskc: PSKC: .*wrong key or password/);
    const missing = await tokenrig('seed', 'import', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--key/);
    const xml = readFileSync(out, 'utf8');
    const tampered = join(dir, 'tampered.pskc');
    const mac = /<ValueMAC>([^<]+)<\/ValueMAC>/.exec(xml)![1]!;
    writeFileSync(tampered, xml.replace(mac, `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`));
    const t = await tokenrig('seed', 'import', tampered, '--key', key, '--json');
    expect(t.code).toBe(9);
    expect(JSON.parse(t.stdout).error).toMatchObject({ code: 'REJECTED' });
    const truncated = join(dir, 'truncated.pskc');
    writeFileSync(truncated, xml.slice(0, xml.length / 2));
    const tr = await tokenrig('seed', 'import', truncated, '--key', key);
    expect(tr.code).toBe(3);
    expect(tr.stderr).toMatch(/not well-formed XML/);
  });

  it('CSV errors name the line', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'upn,serial number,secret key,time interval,manufacturer,model\na@b,1,JBSWY3DPEHPK3PXP,30,x,y\nc@d,2,NOT*BASE32,30,x,y\n');
    const r = await tokenrig('seed', 'import', bad);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('tokenrig: bad.csv: csv line 3: the secret key is not base32');
    writeFileSync(bad, 'upn,serial number,time interval\na@b,1,30\n');
    expect((await tokenrig('seed', 'import', bad)).stderr).toMatch(/csv line 1: the header lacks the column "secret key"/);
  });

  it('export converts between formats, from --secret and --seed-file', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const entra = join(dir, 'one.csv');
    const e = await tokenrig('seed', 'export', '--secret', secret, '--serial', 'GAKT12345678', '--account', 'alice@contoso.com', '--format', 'csv-entra', '--out', entra);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).not.toContain(secret);
    expect(mode(entra)).toBe(0o600);
    expect(readFileSync(entra, 'utf8')).toBe(`upn,serial number,secret key,time interval,manufacturer,model\nalice@contoso.com,GAKT12345678,${secret},30,Tokenrig,OTP 110 (sim)\n`);
    const pi = join(dir, 'one-pi.csv');
    expect((await tokenrig('seed', 'export', '--seed-file', entra, '--format', 'csv-privacyidea', '--out', pi)).code).toBe(0);
    expect(readFileSync(pi, 'utf8')).toBe('GAKT12345678,48656c6c6f21deadbeef48656c6c6f21deadbeef,totp,6,30\n');
  });

  it('export to a QR PNG imports back; a terminal QR needs --reveal; only PSKC is encrypted', async () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const png = join(dir, 'one.png');
    expect((await tokenrig('seed', 'export', '--uri', `otpauth://totp/bob?secret=${secret}`, '--format', 'qr', '--out', png)).code).toBe(0);
    const q = JSON.parse((await tokenrig('seed', 'import', png, '--json', '--reveal')).stdout);
    expect(q).toMatchObject({ format: 'qr', count: 1, tokens: [{ serial: 'bob', account: 'bob', secret }] });
    const term = await tokenrig('seed', 'export', '--uri', `otpauth://totp/bob?secret=${secret}`, '--format', 'qr-terminal');
    expect(term.code).toBe(2);
    expect(term.stderr).toMatch(/--reveal/);
    expect((await tokenrig('seed', 'export', '--uri', `otpauth://totp/bob?secret=${secret}`, '--format', 'qr-terminal', '--reveal')).stdout).toMatch(/▀/);
    expect((await tokenrig('seed', 'export', '--secret', secret, '--serial', 'X', '--format', 'csv-entra', '--out-password', 'p', '--out', join(dir, 'x.csv'))).stderr).toMatch(/only PSKC files can be encrypted/);
  });

  it('export reads a simulator --state dir', async (ctx) => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const state = join(dir, 'state');
    mkdirSync(state);
    writeFileSync(join(state, 'otp-token.json'), JSON.stringify({ version: 1, profile: 'hotp', serial: 'EVT123456789', secret, counter: 7, manufacturedMs: 0, presses: 7 }));
    const fromState = join(dir, 'state.pskc');
    expect((await tokenrig('seed', 'export', '--state', state, '--format', 'pskc', '--out', fromState)).code).toBe(0);
    const [s] = parseSeedFile(readFileSync(fromState));
    expect(s).toMatchObject({ serial: 'EVT123456789', type: 'hotp', counter: 7n });
    expect(base32Encode(s!.secret, { padding: false })).toBe(secret);
    peers.pskctool.require(ctx);
    expect(spawnSync('pskctool', ['-q', '--validate', fromState]).status).toBe(0);
  });

  it('--out - or no --out writes text to stdout; an existing file is kept unless --force', async () => {
    const uri = 'otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP';
    const stdout = await tokenrig('seed', 'export', '--uri', uri, '--format', 'uri');
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout).toMatch(/^otpauth:\/\/totp\/bob\?secret=JBSWY3DPEHPK3PXP/);
    expect((await tokenrig('seed', 'export', '--uri', uri, '--format', 'uri', '--out', '-')).stdout).toBe(stdout.stdout);
    const asJson = JSON.parse((await tokenrig('seed', 'export', '--uri', uri, '--format', 'uri', '--json')).stdout);
    expect(asJson).toMatchObject({ exported: 1, out: 'stdout', content: stdout.stdout });
    // A PNG is not text: it needs --out (or --out - for a pipe).
    expect((await tokenrig('seed', 'export', '--uri', uri, '--format', 'qr')).code).toBe(2);
    const kept = join(dir, 'kept.txt');
    writeFileSync(kept, 'mine\n');
    const refused = await tokenrig('seed', 'export', '--uri', uri, '--format', 'uri', '--out', kept);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/kept\.txt exists: add --force/);
    expect(readFileSync(kept, 'utf8')).toBe('mine\n');
    expect((await tokenrig('seed', 'export', '--uri', uri, '--format', 'uri', '--out', kept, '--force')).code).toBe(0);
    expect(readFileSync(kept, 'utf8')).toBe(stdout.stdout);
    expect(mode(kept)).toBe(0o600);
  });

  it('secrets from a file or stdin: --password-file, --out-password -, TOKENRIG_PASSWORD', async () => {
    const pw = join(dir, 'pw.txt');
    writeFileSync(pw, 'from a file\n');
    const out = join(dir, 'stdin.pskc');
    const gen = await new Promise<{ code: number | null }>((resolveRun) => {
      const child = execFile(process.execPath, [BIN, 'seed', 'generate', '--format', 'pskc', '--out-password', '-', '--out', out], { cwd: dir }, (err) => resolveRun({ code: err === null ? 0 : (err as { code?: number }).code ?? -1 }));
      child.stdin!.end('from a file\n');
    });
    expect(gen.code).toBe(0);
    expect(secretsOf(out, { password: 'from a file' })).toHaveLength(1);
    expect((await tokenrig('seed', 'import', out, '--password-file', pw)).code).toBe(0);
    const env = await new Promise<number>((resolveRun) =>
      execFile(process.execPath, [BIN, 'seed', 'import', out], { cwd: dir, env: { ...process.env, TOKENRIG_PASSWORD: 'from a file' } }, (err) => resolveRun(err === null ? 0 : ((err as { code?: number }).code ?? -1))),
    );
    expect(env).toBe(0);
    expect((await tokenrig('seed', 'import', out, '--password-file', join(dir, 'no-such-file'))).code).toBe(7);
  });

  it('unknown options and formats are one-line usage errors', async () => {
    const r = await tokenrig('seed', 'generate', '--format', 'xml', '--out', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await tokenrig('seed', 'import', join(dir, 'nope.pskc'))).code).toBe(7);
    expect((await tokenrig('seed', '--help')).stdout).toMatch(/^ {2}generate +make N new tokens/m);
  });
});
