/**
 * State files under kills and races: the exclusive lock of `otp verify --state` and how a
 * stale one is recovered, leftovers of a killed writer removed at the next start, a state file
 * that is a symlink never written through, and state directories kept private (0700).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStorage } from '../../firmware-sim/env/index.js';
import { main } from '../../src/cli/main.js';
import { lockFile } from '../../src/files/lock-file.js';
import { Totp, base32Decode } from '../../src/otp/index.js';
import { quietIo } from '../support/cli-io.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const fresh = (): string => mkdtempSync(join(tmpdir(), 'tokenrig-state-'));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('lockFile', () => {
  it('waits for a live holder and gives up with TIMEOUT naming it', async () => {
    const file = join(fresh(), 'svc.json');
    const held = await lockFile(file);
    const e = (await lockFile(file, { timeoutMs: 100 }).catch((x: unknown) => x)) as { code: string; message: string };
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toContain(`process ${process.pid}`);
    await held.release();
    await (await lockFile(file, { timeoutMs: 100 })).release();
  });

  it('breaks the lock of a process that is gone, and of a reused pid', async () => {
    const dir = fresh();
    const file = join(dir, 'svc.json');
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), started: '1', token: 'dead' }));
    const a = await lockFile(file, { timeoutMs: 1000 });
    await a.release();
    // Our own pid, but a process that started at another time: the pid was reused.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), started: '1', token: 'reused' }));
    const b = await lockFile(file, { timeoutMs: 1000 });
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).pid).toBe(process.pid);
    await b.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('otp verify --state after a kill', () => {
  it('removes the stale lock and the temporary a killed run left, then verifies', async () => {
    const dir = fresh();
    const state = join(dir, 'svc.json');
    const t = new Totp(base32Decode(SECRET));
    const now = 1_800_000_000;
    expect(await main(['otp', 'verify', '--secret', SECRET, t.generate(now - 30), t.generate(now), '--state', state, '--time', String(now)], quietIo())).toBe(0);
    // What a run killed between writing its temporary and renaming it leaves.
    writeFileSync(`${state}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), started: '1', token: 'killed' }));
    writeFileSync(join(dir, '.svc.json.0123456789ab.tmp'), '{"torn":');
    expect(await main(['otp', 'verify', '--secret', SECRET, t.generate(now + 30), '--state', state, '--time', String(now + 30)], quietIo())).toBe(0);
    expect(readdirSync(dir)).toEqual(['svc.json']);
  });

  it('never writes through a state file that is a symlink', async () => {
    const dir = fresh();
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, 'not yours\n');
    const state = join(dir, 'svc.json');
    symlinkSync(target, state);
    const t = new Totp(base32Decode(SECRET));
    const io = quietIo();
    // The symlink's target is not a state file: refused, and the target is left alone.
    expect(await main(['otp', 'verify', '--secret', SECRET, t.generate(0), t.generate(30), '--state', state, '--time', '30'], io)).toBe(3);
    expect(readFileSync(target, 'utf8')).toBe('not yours\n');
  });
});

describe('FileStorage (simulator state directories)', () => {
  it('removes temporaries a killed write left, at the next start', () => {
    const dir = fresh();
    new FileStorage(dir).write('fido.pin', new TextEncoder().encode('{}'));
    writeFileSync(join(dir, 'fido.pin.4242.7.tmp'), '{"tor');
    const storage = new FileStorage(dir);
    expect(readdirSync(dir)).toEqual(['fido.pin']);
    expect(storage.keys()).toEqual(['fido.pin']);
  });

  it('tightens an existing state directory to 0700', () => {
    const dir = join(fresh(), 'state');
    mkdirSync(dir, { mode: 0o755 });
    new FileStorage(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a state directory that belongs to another user, with one clear line', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root to give a directory to another user');
    const dir = join(fresh(), 'theirs');
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, 65534, 65534);
    expect(() => new FileStorage(dir)).toThrow(/state directory .*theirs belongs to uid 65534/);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });
});
