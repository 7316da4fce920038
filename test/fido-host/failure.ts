import { TokenrigError } from '../../src/errors.js';

/** The TokenrigError `p` rejects with; fails the test if it resolves or throws something else. */
export async function failure(p: Promise<unknown>): Promise<TokenrigError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TokenrigError) return e;
    throw e;
  }
  throw new Error('expected a TokenrigError rejection, got a result');
}
