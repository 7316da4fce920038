/**
 * EdDSA (COSE -8) with Ed25519 (RFC 8032 §5.1; COSE OKP keys, RFC 9053 §2.2 and §7.2): what
 * OpenSSH's `ed25519-sk` keys ask a FIDO key for (libfido2: alg -8, kty OKP, crv Ed25519,
 * x = the 32-byte public key), on the platform's native crypto. The private key is the
 * 32-byte seed of RFC 8032 §5.1.5, drawn from the injected random source; signatures are
 * the 64 raw bytes R ‖ S (WebAuthn §6.5.6 uses them as they are).
 *
 * Measured on the development machine (see bench/fido.ts): node:crypto signs about ten
 * times faster than @noble/curves' ed25519, and importing the seed as a JWK is about ten
 * times faster than importing it as PKCS#8.
 */
import { type KeyObject, createPrivateKey, sign } from 'node:crypto';
import type { CborValue } from '../../../src/protocol/cbor.js';
import { COSE_ALG, COSE_CRV, encodeCoseKey } from '../../../src/protocol/cose.js';
import type { RandomSource } from '../../env/index.js';
import type { CredentialAlgorithm, CredentialKey } from './algorithm.js';

const SEED_LENGTH = 32;
/** RFC 8410 §7 PrivateKeyInfo of an Ed25519 seed: the prefix before the 32 bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/**
 * A JWK private key needs an `x`; OpenSSL builds the key from `d` alone and derives the
 * public key itself (EVP_PKEY_new_raw_private_key), so any 32 bytes stand in. The public key
 * is read back from the key object, never taken from this placeholder.
 */
const PLACEHOLDER_X = Buffer.alloc(SEED_LENGTH).toString('base64url');

/** An Ed25519 key pair ready to sign. */
export interface EdDsaKey extends CredentialKey {
  /** The 32-byte public key (RFC 8032 §5.1.5 step 4). */
  readonly x: Uint8Array;
}

function importSeed(seed: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: PLACEHOLDER_X }, format: 'jwk' });
  } catch {
    // A platform whose JWK import checks x against d: the slower PKCS#8 form.
    return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  }
}

class Ed25519Key implements EdDsaKey {
  readonly alg = COSE_ALG.EdDSA;
  readonly privateKey: Uint8Array;
  readonly x: Uint8Array;
  readonly #key: KeyObject;

  constructor(seed: Uint8Array) {
    this.privateKey = new Uint8Array(seed);
    this.#key = importSeed(seed);
    const jwk = this.#key.export({ format: 'jwk' });
    this.x = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  }

  publicKey(): Map<number, CborValue> {
    return encodeCoseKey({ kty: 'OKP', alg: COSE_ALG.EdDSA, crv: COSE_CRV.Ed25519, x: this.x });
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    // Ed25519 hashes the message itself (RFC 8032 §5.1.6): no digest is named.
    return Promise.resolve(new Uint8Array(sign(null, message, this.#key)));
  }
}

/** Load an Ed25519 seed (RangeError unless it is 32 bytes). */
export function importEd25519(seed: Uint8Array): Promise<EdDsaKey> {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) return Promise.reject(new RangeError('an Ed25519 private key is a 32-byte seed'));
  return Promise.resolve(new Ed25519Key(seed));
}

/** EdDSA (COSE -8) on Ed25519. */
export const EDDSA: CredentialAlgorithm = {
  alg: COSE_ALG.EdDSA,
  name: 'EdDSA',
  // Every 32-byte string is a valid seed (RFC 8032 §5.1.5): nothing to reject.
  generate: (random: RandomSource) => importEd25519(random.bytes(SEED_LENGTH)),
  load: importEd25519,
};
