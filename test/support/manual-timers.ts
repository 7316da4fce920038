/**
 * Timers that fire only when a test advances them, together with the manual clock, so
 * timeouts (CTAPHID's 500 ms, keepalives every 100 ms) are tested without sleeping.
 */
import type { ManualClock } from '../../src/clock/index.js';
import type { Timers } from '../../firmware-sim/env/index.js';

export class ManualTimers implements Timers {
  readonly #clock: ManualClock;
  #nextId = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#due.set(id, { at: this.#clock.now() + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  get pending(): number {
    return this.#due.size;
  }

  /** Move the clock by `ms`, firing due timers in time order (timers they set fire too). */
  advance(ms: number): void {
    const end = this.#clock.now() + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.#due.delete(next[0]);
      if (next[1].at > this.#clock.now()) this.#clock.set(next[1].at);
      next[1].fn();
    }
    this.#clock.set(end);
  }
}
