/**
 * The store's durability contract, with the WAL's fdatasync held back by a gate: no answer
 * leaves the service before the fsync that covers its commit has finished, one fsync covers
 * every commit made before it began (group commit), and reads of a commit not yet on disk
 * wait too. Also: the schema version guard and file modes.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type * as NodeFs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignedRequest } from '../../src/iam/auth/authenticate.js';

/** fdatasync calls wait here until the test opens the gate. */
const gate = vi.hoisted(() => {
  let waiting: (() => void)[] = [];
  let open = true;
  return {
    get pending(): number {
      return waiting.length;
    },
    close(): void {
      open = false;
    },
    release(): void {
      open = true;
      const w = waiting;
      waiting = [];
      for (const f of w) f();
    },
    hold(f: () => void): void {
      if (open) f();
      else waiting.push(f);
    },
  };
});
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof NodeFs>();
  return {
    ...fs,
    fdatasync: (fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => gate.hold(() => fs.fdatasync(fd, cb)),
  };
});

const { IamService, IamStore } = await import('../../src/iam/index.js');
const { signRequest } = await import('../../src/iam/auth/sigv4.js');

const dirs: string[] = [];
afterEach(() => {
  gate.release();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempState(): string {
  const d = mkdtempSync(join(tmpdir(), 'tokenrig-iam-store-'));
  dirs.push(d);
  return join(d, 'state');
}

function request(params: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string }): SignedRequest {
  const url = new URL('http://127.0.0.1:1/');
  const body = new URLSearchParams(params).toString();
  const headers = signRequest({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, credentials, region: 'us-east-1', service: 'iam', now: Date.now() });
  return { method: 'POST', path: '/', query: [], headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])), body: new TextEncoder().encode(body) };
}

async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('group commit', () => {
  it('an answer waits for the fsync of its commit; one fsync then releases every commit made before it began', async () => {
    const store = IamStore.open(tempState());
    const service = IamService.open({ store });
    await store.durable();
    const root = service.rootCredentials;

    gate.close();
    const first = service.handle(request({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'u1' }, root));
    expect(await settledSoon(first)).toBe(false);
    // Committed (the row is in the WAL) but not acknowledged: its fsync is held.
    expect(store.getUser('u1')?.userName).toBe('u1');
    expect(gate.pending).toBe(1);
    // Commits made while that fsync runs wait for the next one, and share it.
    const more = ['u2', 'u3', 'u4'].map((u) => service.handle(request({ Action: 'CreateUser', Version: '2010-05-08', UserName: u }, root)));
    // A read of a commit not yet on disk is held as well.
    const read = service.handle(request({ Action: 'GetUser', Version: '2010-05-08', UserName: 'u3' }, root));
    expect(await settledSoon(Promise.race([...more, read]))).toBe(false);
    const before = store.syncStats.syncs;
    gate.release();
    expect((await first).status).toBe(200);
    gate.release();
    for (const r of await Promise.all([...more, read])) expect(r.status).toBe(200);
    const after = store.syncStats;
    // u1 took one fsync; u2..u4 shared the next.
    expect(after.syncs - before).toBe(2);
    expect(after.commits).toBeGreaterThanOrEqual(4);
    await store.close();
  });

  it('a failed call writes nothing and waits for nothing of its own', async () => {
    const store = IamStore.open(tempState());
    const service = IamService.open({ store });
    await store.durable();
    gate.close();
    const refused = await service.handle(request({ Action: 'GetUser', Version: '2010-05-08', UserName: 'nobody' }, service.rootCredentials));
    expect(refused.status).toBe(404);
    expect(gate.pending).toBe(0);
    await store.close();
  });
});

describe('the database file', () => {
  it('lives in a 0700 directory as a 0600 file, and a newer schema is refused with a clear error', async () => {
    const state = tempState();
    const store = IamStore.open(state);
    await store.close();
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'iam.sqlite')).mode & 0o777).toBe(0o600);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(state, 'iam.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => IamStore.open(state)).toThrow(/written by a newer tokenrig \(schema 99, this one knows 1\)/);
  });

  it('tightens an existing state directory open to others to 0700, and refuses a file as one', async () => {
    const state = tempState();
    mkdirSync(state, { recursive: true });
    chmodSync(state, 0o755);
    await IamStore.open(state).close();
    expect(statSync(state).mode & 0o777).toBe(0o700);
    const file = join(tempState(), 'not-a-dir');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'x');
    expect(() => IamStore.open(file)).toThrow(/not-a-dir: cannot use it as the state directory \(EEXIST\)/);
  });
});
