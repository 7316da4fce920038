/**
 * The rig's shared clock: the system time (or a start time of the file's) running on, or
 * standing still until told (`manual`). Setting or advancing it moves every device on the rig
 * clock at once; each device's crystal keeps its own offset and drift over it.
 *
 * @example
 * ```ts
 * const clock = new RigClock({ start: Date.UTC(2026, 0, 1), manual: true });
 * clock.advance(30_000); // every device on the rig clock sees the next TOTP step
 * ```
 */
import { type Clock, systemClock } from '../clock/index.js';
import { badInput } from '../errors.js';

export class RigClock implements Clock {
  readonly #base: Clock;
  /** Running: the offset over the base clock. Manual: the reading itself. */
  #offsetMs: number;
  #manualMs: number | undefined;

  constructor(options: { start?: number; manual?: boolean } = {}, base: Clock = systemClock) {
    this.#base = base;
    const start = options.start ?? base.now();
    this.#offsetMs = start - base.now();
    this.#manualMs = options.manual === true ? start : undefined;
  }

  now(): number {
    return this.#manualMs ?? this.#base.now() + this.#offsetMs;
  }

  /** True when it stands still between set/advance calls. */
  get manual(): boolean {
    return this.#manualMs !== undefined;
  }

  /** Set the time (ms since the epoch). */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('ms must be a finite number');
    if (this.#manualMs !== undefined) this.#manualMs = ms;
    else this.#offsetMs = ms - this.#base.now();
  }

  /** Move the time by `ms` (negative: back). */
  advance(ms: number): void {
    this.set(this.now() + ms);
  }
}

/** A rig file time (ISO 8601 or Unix seconds) in ms; `path` names the field in the error. */
export function parseTime(value: string | number, path: string): number {
  const ms = typeof value === 'number' ? value * 1000 : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw badInput(`${path} must be ISO 8601 (2026-01-01T00:00:00Z) or Unix seconds, got ${JSON.stringify(value)}`);
  return ms;
}
