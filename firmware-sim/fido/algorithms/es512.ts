/**
 * ES512 (COSE -36, RFC 9053 §2.1): ECDSA on P-521 with SHA-512, on native crypto
 * (./ecdsa.ts). Scalars and coordinates are 66 bytes (521 bits, RFC 9053 §7.1.1).
 */
import { COSE_ALG, COSE_CRV } from '../../../src/protocol/cose.js';
import { ecdsaAlgorithm, hexBytes } from './ecdsa.js';

/** ES512: P-521 (SEC 2 §2.6.1 secp521r1) with SHA-512. */
export const ES512 = ecdsaAlgorithm({
  alg: COSE_ALG.ES512,
  name: 'ES512',
  crv: COSE_CRV.P521,
  opensslCurve: 'secp521r1',
  jwkCrv: 'P-521',
  hash: 'sha512',
  order: hexBytes('01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409'),
});
