/**
 * The algorithm registry: every COSE algorithm the simulated authenticator can make
 * credentials with, one module each. A profile's `algorithms` picks from these, in its own
 * order of preference; adding an algorithm is a new module and one line in this table.
 */
import type { CredentialAlgorithm } from './algorithm.js';
import { EDDSA } from './eddsa.js';
import { ES256 } from './es256.js';
import { ES256K } from './es256k.js';
import { ES384 } from './es384.js';
import { ES512 } from './es512.js';
import { PS256 } from './ps256.js';
import { RS256 } from './rs256.js';

export type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

/** The implemented algorithms, by COSE identifier. */
export const ALGORITHMS: ReadonlyMap<number, CredentialAlgorithm> = new Map(
  [
    ES256, //  -7   RFC 9053 §2.1
    EDDSA, //  -8   RFC 9053 §2.2 (Ed25519)
    ES384, //  -35  RFC 9053 §2.1
    ES512, //  -36  RFC 9053 §2.1
    PS256, //  -37  RFC 8230 §2
    ES256K, // -47  RFC 8812 §3.2
    RS256, //  -257 RFC 8230 §2
  ].map((a) => [a.alg, a]),
);
