/** Helpers the seed-file tests share. */
import { TokenrigError } from '../../src/errors.js';

/** The TokenrigError `f` throws; fails the test when it throws nothing or something else. */
export function errorOf(f: () => unknown): TokenrigError {
  try {
    f();
  } catch (e) {
    if (e instanceof TokenrigError) return e;
    throw e;
  }
  throw new Error('expected a TokenrigError');
}

/** A deterministic random source (a linear congruential generator), so written files are reproducible. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed;
  return (n) => Uint8Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
}
