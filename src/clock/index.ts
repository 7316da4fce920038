/** Clocks: the system clock, a manual clock for tests and a drifting clock for token crystals. */
export { type Clock, SystemClock, systemClock, unixSeconds } from './clock.js';
export { ManualClock } from './manual-clock.js';
export { DriftingClock } from './drifting-clock.js';
