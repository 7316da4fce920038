/**
 * Files replaced whole, so a crash at any moment leaves the old content or the new, never a
 * torn file: the new content goes to a temporary file in the same directory (created with
 * O_EXCL and O_NOFOLLOW, so a planted file or symlink of that name is refused, never followed),
 * is fsynced, renamed over the target, and the directory is fsynced so the rename survives a
 * power loss. Temporaries are `.NAME.RANDOM.tmp` beside the target.
 *
 * @example
 * ```ts
 * await writeFileAtomic('seed.txt', new TextEncoder().encode('JBSWY3DPEHPK3PXP\n')); // mode 0600
 * await writeFileAtomic('batch.pskc', data, { overwrite: false }); // never replaces a file
 * ```
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, TokenrigError } from '../errors.js';

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Is `name` one of our temporaries for a file called `target`? */
function isTemporaryOf(name: string, target: string): boolean {
  return name.startsWith(`.${target}.`) && name.endsWith('.tmp') && /^[0-9a-f]{12}$/.test(name.slice(target.length + 2, -4));
}

export interface AtomicWriteOptions {
  /** File mode; default 0600. */
  mode?: number;
  /**
   * false: keep an existing file and refuse the write (BAD_INPUT), decided atomically (the
   * temporary is hard-linked into place, which fails if the name exists). Default true.
   */
  overwrite?: boolean;
}

/** Write `data` to `path` atomically. BAD_FILE when it cannot. */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, NEW_FILE, options.mode ?? 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.overwrite === false) {
      await link(tmp, path);
      await unlink(tmp);
    } else await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && options.overwrite === false) throw new TokenrigError(ErrorCode.BAD_INPUT, `${path} exists: not replaced`, { cause: e });
    throw new TokenrigError(ErrorCode.BAD_FILE, `${path}: cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  await syncDirectory(dir);
}

/** fsync a directory, so a rename in it is on disk. Best effort where a platform cannot. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Remove temporaries of `path` that a killed writer left. Only for a caller that holds the
 * file's lock: with the lock held, no other writer is mid-write. Returns how many it removed.
 */
export async function removeLeftoverTemporaries(path: string): Promise<number> {
  const target = basename(path);
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!isTemporaryOf(name, target)) continue;
    await unlink(join(dirname(path), name)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
