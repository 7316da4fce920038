/**
 * ES256K (COSE -47, RFC 8812 §3.2): ECDSA on secp256k1 with SHA-256, on native crypto
 * (./ecdsa.ts). Signatures have a low S, as RFC 8812 §3.2 leaves to the signer and Bitcoin's
 * verifiers (and noble's) require.
 */
import { COSE_ALG, COSE_CRV } from '../../../src/protocol/cose.js';
import { ecdsaAlgorithm, hexBytes } from './ecdsa.js';

/** ES256K: secp256k1 (SEC 2 §2.4.1) with SHA-256. */
export const ES256K = ecdsaAlgorithm({
  alg: COSE_ALG.ES256K,
  name: 'ES256K',
  crv: COSE_CRV.secp256k1,
  opensslCurve: 'secp256k1',
  jwkCrv: 'secp256k1',
  hash: 'sha256',
  order: hexBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'),
});
