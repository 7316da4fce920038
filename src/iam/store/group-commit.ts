/**
 * Group commit for SQLite in WAL mode: transactions commit with `synchronous=NORMAL` (their
 * frames are appended to the write-ahead log without an fsync), and no answer is sent until
 * an `fdatasync` of the WAL that started after the commit has finished. One fsync, run on
 * libuv's thread pool while the event loop keeps serving, then covers every commit made
 * before it began: the rate is bounded by CPU, not by the disk's sync latency, and an
 * acknowledged change is on disk before its acknowledgement leaves (SQLite's own WAL recovery
 * replays the synced frames after a crash; a frame not yet synced belongs to an answer not yet
 * sent).
 *
 * Why this is safe: an fsync is per file (inode), not per descriptor, so syncing our own
 * descriptor of the `-wal` file flushes the frames SQLite wrote through its own. SQLite never
 * replaces the WAL file while a connection holds it open (it is rewritten from the start
 * after a checkpoint, and with synchronous=NORMAL a checkpoint itself syncs the WAL before
 * copying and the database after), so the descriptor stays the file's.
 *
 * @example
 * ```ts
 * const sync = WalGroupCommit.open(`${dbPath}-wal`);
 * db.transaction(write).immediate(); sync.markDirty();
 * await sync.durable();   // now the answer may go out
 * ```
 */
import { fdatasync, closeSync, openSync } from 'node:fs';

export class WalGroupCommit {
  readonly #fd: number;
  /** Bumped by every commit. */
  #written = 0;
  /** The `#written` value the last finished sync covered. */
  #synced = 0;
  #inFlight: Promise<void> | undefined;
  #closed = false;
  /** How many fsyncs ran, and how many commits they covered (for the benchmark's breakdown). */
  syncs = 0;
  covered = 0;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Open the WAL file (it must exist: the database is in WAL mode and has been written). */
  static open(walPath: string): WalGroupCommit {
    return new WalGroupCommit(openSync(walPath, 'r+'));
  }

  /** Note that a transaction committed (its frames are in the WAL, maybe not on disk). */
  markDirty(): void {
    this.#written++;
  }

  /** True when some commit has not been synced yet. */
  get dirty(): boolean {
    return this.#synced < this.#written;
  }

  /** Resolves once every commit made before this call is on disk. */
  async durable(): Promise<void> {
    const target = this.#written;
    while (this.#synced < target) {
      // A sync already running may have started before our commit: wait for it, then for ours.
      if (this.#inFlight !== undefined) {
        await this.#inFlight;
        continue;
      }
      if (this.#closed) throw new Error('the store is closed');
      const covers = this.#written;
      this.#inFlight = new Promise<void>((resolve, reject) => {
        fdatasync(this.#fd, (e) => {
          this.#inFlight = undefined;
          if (e !== null) return reject(e);
          this.syncs++;
          this.covered += covers - this.#synced;
          this.#synced = covers;
          resolve();
        });
      });
      await this.#inFlight;
    }
  }

  /** Wait for pending syncs, then close the descriptor. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.durable().catch(() => undefined);
    this.#closed = true;
    closeSync(this.#fd);
  }
}
