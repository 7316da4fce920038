/**
 * RS256 (COSE -257, RFC 8230 §2): RSASSA-PKCS1-v1_5 with SHA-256 over a 2048-bit key derived
 * from a sealed seed (./rsa.ts). Windows Hello and some platform authenticators make these;
 * relying parties list -257 so they can take them.
 */
import { COSE_ALG } from '../../../src/protocol/cose.js';
import { rsaAlgorithm } from './rsa.js';

export const RS256 = rsaAlgorithm({ alg: COSE_ALG.RS256, name: 'RS256', padding: 'pkcs1' });
