/**
 * Persistent state of a simulated device: a small key → bytes store. Writes are atomic per
 * key (write a temporary file, fsync, rename, fsync the directory), so a process killed at any
 * moment leaves the old value or the new one, never a torn file. State files are mode 0600.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { badInput } from '../../src/errors.js';

export interface DeviceStorage {
  /** The stored value, or undefined if the key was never written. */
  read(key: string): Uint8Array | undefined;
  /** Replace the value atomically. */
  write(key: string, value: Uint8Array): void;
  /** Remove a key (no error if absent). */
  remove(key: string): void;
  /** The keys present that start with `prefix`, in no particular order. */
  keys(prefix?: string): string[];
  /** Where the value of `key` lives (a file path), for messages; absent for storage in memory. */
  locate?(key: string): string;
}

/** How a message names the value of `key`: its file where there is one, else the key. */
export function describeKey(storage: DeviceStorage, key: string): string {
  return storage.locate?.(key) ?? key;
}

const KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkKey(key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) throw new RangeError(`storage key ${JSON.stringify(key)} must match ${KEY}`);
}

/** Storage in memory, for tests and fleets that need no persistence. */
export class MemoryStorage implements DeviceStorage {
  readonly #map = new Map<string, Uint8Array>();

  read(key: string): Uint8Array | undefined {
    checkKey(key);
    return this.#map.get(key)?.slice();
  }

  write(key: string, value: Uint8Array): void {
    checkKey(key);
    this.#map.set(key, value.slice());
  }

  remove(key: string): void {
    checkKey(key);
    this.#map.delete(key);
  }

  keys(prefix = ''): string[] {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix));
  }
}

/**
 * Storage in a state directory, one file per key, written atomically with mode 0600. The
 * directory is private: made 0700, an existing one tightened to 0700, and one that belongs to
 * another user refused (BAD_INPUT, one line): its owner could read the secrets in it.
 */
export class FileStorage implements DeviceStorage {
  readonly dir: string;
  #tmpCounter = 0;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    keepPrivate(dir);
    // Left-over temporaries are writes a crash interrupted: the renamed file is still whole.
    for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
  }

  /** Where the value of `key` lives: the file, for messages that name it. */
  locate(key: string): string {
    return join(this.dir, key);
  }

  read(key: string): Uint8Array | undefined {
    checkKey(key);
    try {
      return new Uint8Array(readFileSync(join(this.dir, key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(key: string, value: Uint8Array): void {
    checkKey(key);
    const target = join(this.dir, key);
    const tmp = `${target}.${process.pid}.${this.#tmpCounter++}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < value.length) off += writeSync(fd, value, off, value.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    // fsync the directory so the rename itself survives a power loss.
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  remove(key: string): void {
    checkKey(key);
    try {
      unlinkSync(join(this.dir, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  keys(prefix = ''): string[] {
    // A temporary is a write in flight (or one a crash cut short), not a key.
    return readdirSync(this.dir).filter((name) => name.startsWith(prefix) && !name.endsWith('.tmp') && KEY.test(name));
  }
}

/** Make `dir` 0700 if it is ours; refuse it if it is not. */
function keepPrivate(dir: string): void {
  const st = statSync(dir);
  if (!st.isDirectory()) throw badInput(`state directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw badInput(`state directory ${dir} belongs to uid ${st.uid}, not to this user (${uid}): use a directory of your own`);
  if ((st.mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
  } catch (e) {
    throw badInput(`state directory ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}) and cannot be made 0700: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Read a JSON document from storage. */
export function readJson<T>(storage: DeviceStorage, key: string): T | undefined {
  const bytes = storage.read(key);
  return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as T);
}

/** Write a JSON document to storage, atomically. */
export function writeJson(storage: DeviceStorage, key: string, value: unknown): void {
  storage.write(key, new TextEncoder().encode(JSON.stringify(value)));
}
