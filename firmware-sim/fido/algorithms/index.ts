/**
 * The algorithm registry: every COSE algorithm the simulated authenticator can make
 * credentials with, one module each. A profile's `algorithms` picks from these, in its own
 * order of preference; adding an algorithm is a new module and one line in this table.
 */
import type { CredentialAlgorithm } from './algorithm.js';
import { ES256 } from './es256.js';

export type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

/** The implemented algorithms, by COSE identifier. */
export const ALGORITHMS: ReadonlyMap<number, CredentialAlgorithm> = new Map(
  [
    ES256, // -7
  ].map((a) => [a.alg, a]),
);
