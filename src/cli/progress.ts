/**
 * Progress of a long import on a terminal: nothing for the first second (most imports are
 * done by then), then one line on stderr, rewritten in place at most ten times a second and
 * cleared when done. Never on a pipe or a file, so scripts and `--json` output stay clean.
 *
 * @example
 * ```ts
 * const progress = importProgress(io, 'batch.pskc');
 * const seeds = await loadSeedFile(path, keys, { onProgress: progress.update });
 * progress.done();
 * ```
 */
import type { SeedReadProgress } from '../seeds/index.js';
import type { CliIo } from './cli-io.js';

export interface ImportProgress {
  update(p: SeedReadProgress): void;
  done(): void;
}

/** Show after this long. */
export const PROGRESS_AFTER_MS = 1000;
const REDRAW_MS = 100;

export function importProgress(io: CliIo, label: string, now: () => number = Date.now): ImportProgress {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const started = now();
  let drawn = 0;
  let shown = false;
  return {
    update(p) {
      if (!tty) return;
      const t = now();
      if (t - started < PROGRESS_AFTER_MS || t - drawn < REDRAW_MS) return;
      drawn = t;
      shown = true;
      const percent = p.totalBytes === 0 ? 100 : Math.floor((100 * p.bytes) / p.totalBytes);
      io.stderr.write(`\r\x1b[Kreading ${label}: ${percent}% (${p.keys.toLocaleString('en-US')} keys)`);
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

/** Run `read` with a progress display wired to its `onProgress`; cleared however it ends. */
export async function withImportProgress<T>(io: CliIo | undefined, label: string, read: (onProgress: (p: SeedReadProgress) => void) => Promise<T>): Promise<T> {
  if (io === undefined) return read(() => {});
  const progress = importProgress(io, label);
  try {
    return await read(progress.update);
  } finally {
    progress.done();
  }
}
