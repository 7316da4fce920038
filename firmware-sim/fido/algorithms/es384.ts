/**
 * ES384 (COSE -35, RFC 9053 §2.1): ECDSA on P-384 with SHA-384, on native crypto (./ecdsa.ts).
 */
import { COSE_ALG, COSE_CRV } from '../../../src/protocol/cose.js';
import { ecdsaAlgorithm, hexBytes } from './ecdsa.js';

/** ES384: P-384 (SEC 2 §2.5.1 secp384r1) with SHA-384. */
export const ES384 = ecdsaAlgorithm({
  alg: COSE_ALG.ES384,
  name: 'ES384',
  crv: COSE_CRV.P384,
  opensslCurve: 'secp384r1',
  jwkCrv: 'P-384',
  hash: 'sha384',
  order: hexBytes('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
});
