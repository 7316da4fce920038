/**
 * PS256 (COSE -37, RFC 8230 §2): RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte
 * salt, over a 2048-bit key derived from a sealed seed (./rsa.ts).
 */
import { COSE_ALG } from '../../../src/protocol/cose.js';
import { rsaAlgorithm } from './rsa.js';

export const PS256 = rsaAlgorithm({ alg: COSE_ALG.PS256, name: 'PS256', padding: 'pss' });
