/**
 * An exclusive lock on a file shared by processes: `FILE.lock`, created with O_EXCL (so two
 * processes can never both create it), holding the owner's pid, host, process start time and a
 * random token. A lock whose owner is gone (killed, crashed) is stale and broken by the next
 * process that wants it: its pid no longer runs on this host, or runs but started at another
 * time (the pid was reused). Breaking is itself guarded by `FILE.lock.break` (O_EXCL too), and
 * the breaker re-reads the lock before removing it, so two processes that both found the same
 * stale lock never remove a fresh one.
 *
 * @example
 * ```ts
 * const lock = await lockFile('svc.json');
 * try { ... read, change, write svc.json ... } finally { await lock.release(); }
 * ```
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ErrorCode, TokenrigError } from '../errors.js';

export interface FileLock {
  /** The lock file's path (`FILE.lock`). */
  readonly path: string;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Give up after this long with TIMEOUT; default 10 000 ms. */
  timeoutMs?: number;
  /** Wait between attempts; default 3 ms. */
  retryMs?: number;
}

/** What a lock file holds. */
interface LockOwner {
  pid: number;
  host: string;
  /** /proc/PID/stat start time (clock ticks after boot), where there is a /proc. */
  started: string | undefined;
  token: string;
}

/** A breaker older than this was left by a process killed while breaking a lock (a break takes microseconds). */
const BREAKER_STALE_MS = 10_000;
/** A lock file with no owner in it yet is being written; one this old never will be. */
const EMPTY_LOCK_STALE_MS = 10_000;

const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Start time of process `pid` as /proc shows it; undefined where there is no /proc. */
async function processStart(pid: number | 'self'): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may hold spaces, so count after ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' && typeof o.token === 'string' ? o : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** True when the process that wrote `owner` is certainly gone. */
async function isStale(path: string, owner: LockOwner | 'unreadable'): Promise<boolean> {
  if (owner === 'unreadable') {
    // Being written this very moment, or left empty by a kill between create and write.
    try {
      return Date.now() - (await stat(path)).mtimeMs > EMPTY_LOCK_STALE_MS;
    } catch {
      return false;
    }
  }
  if (owner.host !== hostname()) return false; // another machine's process: we cannot tell
  if (!alive(owner.pid)) return true;
  const started = await processStart(owner.pid);
  return owner.started !== undefined && started !== undefined && started !== owner.started;
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, EXCLUSIVE, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

/** Remove the stale lock at `path` whose owner we read, unless someone else got there first. */
async function breakStale(path: string, seen: LockOwner | 'unreadable'): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    try {
      if (Date.now() - (await stat(breaker)).mtimeMs > BREAKER_STALE_MS) await unlink(breaker);
    } catch {
      // Gone already: someone else finished breaking.
    }
    return;
  }
  try {
    // Still the lock we judged stale? Another breaker may have replaced it with a live one.
    const now = await readOwner(path);
    const same = now === 'unreadable' ? seen === 'unreadable' && (await isStale(path, now)) : now !== 'missing' && seen !== 'unreadable' && now.token === seen.token;
    if (same) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/**
 * Take the exclusive lock of `file` (the lock is `file.lock` beside it). Waits while another
 * live process holds it; TIMEOUT after `timeoutMs`, naming the holder.
 */
export async function lockFile(file: string, options: LockOptions = {}): Promise<FileLock> {
  const path = `${file}.lock`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryMs = options.retryMs ?? 3;
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: await processStart('self'), token: randomBytes(12).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await createExclusive(path, JSON.stringify(owner))) break;
    } catch (e) {
      throw new TokenrigError(ErrorCode.BAD_FILE, `${file}: cannot lock it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
    const holder = await readOwner(path);
    if (holder !== 'missing' && (await isStale(path, holder))) {
      await breakStale(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder === 'missing' || holder === 'unreadable' ? 'another process' : `process ${holder.pid} on ${holder.host}`;
      throw new TokenrigError(ErrorCode.TIMEOUT, `${file} is locked by ${who} (${path}); waited ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, retryMs));
  }
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const now = await readOwner(path);
      if (now !== 'missing' && now !== 'unreadable' && now.token === owner.token) await unlink(path).catch(() => undefined);
    },
  };
}
