import type { Clock } from './clock.js';

/**
 * A token's own crystal: a fixed offset plus a rate error in parts per million over a base
 * clock. Drift accrues from `epochMs` (the moment the crystal was "set", by default the base
 * clock's reading at construction), so "runs 2 minutes fast" is `{ offsetMs: 120_000 }` and
 * "gains 20 ppm" is `{ ppm: 20 }`.
 *
 * @example
 * ```ts
 * const base = new ManualClock(0);
 * const crystal = new DriftingClock(base, { offsetMs: 120_000, ppm: 0 });
 * crystal.now(); // 120000
 * ```
 */
export class DriftingClock implements Clock {
  readonly base: Clock;
  #offsetMs: number;
  #ppm: number;
  #epochMs: number;

  constructor(base: Clock, options: { offsetMs?: number; ppm?: number; epochMs?: number } = {}) {
    this.base = base;
    this.#offsetMs = checkFinite('offsetMs', options.offsetMs ?? 0);
    this.#ppm = checkPpm(options.ppm ?? 0);
    this.#epochMs = checkFinite('epochMs', options.epochMs ?? base.now());
  }

  now(): number {
    const t = this.base.now();
    return t + this.#offsetMs + ((t - this.#epochMs) * this.#ppm) / 1e6;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  get ppm(): number {
    return this.#ppm;
  }

  /** Set the offset so that this clock reads `ms` now (keeps the rate error). */
  setTo(ms: number): void {
    checkFinite('ms', ms);
    this.#offsetMs += ms - this.now();
  }

  /** Shift the offset by `ms`. */
  shift(ms: number): void {
    this.#offsetMs += checkFinite('ms', ms);
  }

  /** Change the rate error from now on, without a jump in the reading. */
  setPpm(ppm: number): void {
    checkPpm(ppm);
    const reading = this.now();
    this.#epochMs = this.base.now();
    this.#ppm = ppm;
    this.#offsetMs = reading - this.#epochMs;
  }
}

function checkFinite(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name} must be a finite number`);
  return v;
}

function checkPpm(ppm: number): number {
  checkFinite('ppm', ppm);
  // A quartz crystal is off by tens of ppm; a million ppm would stop or double the clock.
  if (Math.abs(ppm) >= 1e6) throw new RangeError('ppm must be between -999999 and 999999');
  return ppm;
}
