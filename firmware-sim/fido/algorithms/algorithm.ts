/**
 * The interface every credential algorithm implements (WebAuthn §5.8.5 COSEAlgorithmIdentifier,
 * the IANA COSE Algorithms registry). One module per algorithm (es256.ts, and EdDSA, ES384,
 * ES512, RS256, PS256, ES256K beside it), each listed once in ./index.ts; a profile enables the
 * ones its key has, in its order of preference (getInfo `algorithms`).
 *
 * A credential ID seals `privateKey` (see ../credential-id.ts), so an algorithm whose private
 * key is large (RSA) seals a seed and derives the key from it in `load`.
 *
 * @example
 * ```ts
 * const key = await ES256.generate(env.random);
 * const authDataKey = encodeCbor(key.publicKey());   // COSE_Key in attested credential data
 * const sig = await key.sign(concat(authData, clientDataHash));
 * ```
 */
import type { CborValue } from '../../../src/protocol/cbor.js';
import type { RandomSource } from '../../env/index.js';

/** A credential key pair, ready to sign. */
export interface CredentialKey {
  /** The COSE algorithm identifier (ES256 = -7). */
  readonly alg: number;
  /** What the credential ID seals: enough to `load` the key again (ES256: the 32-byte scalar). */
  readonly privateKey: Uint8Array;
  /** The public key as a COSE_Key map (RFC 9052 §7, RFC 9053 §2), canonical once CBOR-encoded. */
  publicKey(): Map<number, CborValue>;
  /** The signature over `message` in the form WebAuthn §6.5.5 gives for this algorithm (ECDSA: DER). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** One COSE algorithm the authenticator can make credentials with. */
export interface CredentialAlgorithm {
  /** The COSE algorithm identifier, as in pubKeyCredParams and getInfo `algorithms`. */
  readonly alg: number;
  /** The registry's name ('ES256'), for logs and docs. */
  readonly name: string;
  /** A new key pair whose private key comes from the injected random source. */
  generate(random: RandomSource): Promise<CredentialKey>;
  /** The key a credential ID sealed; RangeError when `privateKey` is not a valid one. */
  load(privateKey: Uint8Array): Promise<CredentialKey>;
}
