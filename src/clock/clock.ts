/**
 * The clock everything time-dependent takes as a parameter. Nothing in the shared core or in
 * firmware-sim reads the wall clock directly; they are handed a `Clock`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (may be fractional for drifting clocks). */
  now(): number;
}

/** The host's wall clock. The only place the project reads `Date.now()`. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/** The one shared wall clock; use it as the default where a caller gives none. */
export const systemClock: Clock = new SystemClock();

/** Whole seconds since the epoch of a clock, as RFC 6238 counts them. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
