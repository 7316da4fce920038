import type { Clock } from './clock.js';

/**
 * A clock that moves only when told: tests, demos and the simulator's `SIM:TIME`/`SIM:ADV`.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(59_000);
 * clock.advance(30_000);
 * clock.now(); // 89000
 * ```
 */
export class ManualClock implements Clock {
  #ms: number;

  constructor(startMs = 0) {
    ManualClock.#check('startMs', startMs);
    this.#ms = startMs;
  }

  now(): number {
    return this.#ms;
  }

  /** Set the time, in milliseconds since the epoch. */
  set(ms: number): void {
    ManualClock.#check('ms', ms);
    this.#ms = ms;
  }

  /** Move the time by `ms` (may be negative: a clock set back). */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError('ms must be a finite number');
    this.#ms += ms;
  }

  static #check(name: string, ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`${name} must be a finite number`);
  }
}
