/**
 * COSE_Key for EC2 P-256 public keys (RFC 8152 §7, §13.1.1; RFC 9053 §2.1 ES256) as CTAP2 uses
 * them: the credential public key (alg ES256 = -7) and the clientPIN key agreement key
 * (alg ECDH-ES+HKDF-256 = -25). Pure code shared by host and device.
 *
 * @example
 * ```ts
 * const map = encodeEc2CoseKey({ x, y, alg: COSE_ALG.ES256 });
 * const { x: x2, y: y2 } = decodeEc2CoseKey(map);
 * ```
 */
import type { CborValue } from './cbor.js';

/** COSE algorithm identifiers (IANA "COSE Algorithms" registry). */
export const COSE_ALG = {
  ES256: -7,
  EdDSA: -8,
  ECDH_ES_HKDF_256: -25,
  PS256: -37,
  RS256: -257,
} as const;
export type CoseAlg = (typeof COSE_ALG)[keyof typeof COSE_ALG];

/** COSE_Key common and EC2 labels (RFC 8152 §7.1, §13.1.1). */
export const COSE_KEY_LABEL = { kty: 1, alg: 3, crv: -1, x: -2, y: -3 } as const;
/** kty values (RFC 8152 §13). */
export const COSE_KTY = { OKP: 1, EC2: 2 } as const;
/** Elliptic curves (RFC 8152 §13.1). */
export const COSE_CRV = { P256: 1 } as const;

export interface Ec2PublicKey {
  /** 32-byte big-endian affine x. */
  x: Uint8Array;
  /** 32-byte big-endian affine y. */
  y: Uint8Array;
  alg: number;
}

/** The COSE_Key map of a P-256 public key, keys in CTAP2 canonical order once CBOR-encoded. */
export function encodeEc2CoseKey(key: Ec2PublicKey): Map<number, number | Uint8Array> {
  if (!(key.x instanceof Uint8Array) || !(key.y instanceof Uint8Array)) throw new TypeError('key.x and key.y must be Uint8Array');
  if (key.x.length !== 32 || key.y.length !== 32) throw new RangeError('key.x and key.y must be 32 bytes');
  if (!Number.isInteger(key.alg)) throw new TypeError('key.alg must be an integer');
  return new Map<number, number | Uint8Array>([
    [COSE_KEY_LABEL.kty, COSE_KTY.EC2],
    [COSE_KEY_LABEL.alg, key.alg],
    [COSE_KEY_LABEL.crv, COSE_CRV.P256],
    [COSE_KEY_LABEL.x, key.x],
    [COSE_KEY_LABEL.y, key.y],
  ]);
}

/**
 * x, y and alg of an EC2 P-256 COSE_Key. Throws RangeError naming what is wrong. `alg` is
 * optional in COSE (RFC 8152 §7.1); a missing one decodes as `expectedAlg` when given.
 */
export function decodeEc2CoseKey(value: CborValue | undefined, expectedAlg?: number): Ec2PublicKey {
  if (!(value instanceof Map)) throw new RangeError('COSE_Key must be a CBOR map');
  if (value.get(COSE_KEY_LABEL.kty) !== COSE_KTY.EC2) throw new RangeError('COSE_Key kty must be EC2 (2)');
  if (value.get(COSE_KEY_LABEL.crv) !== COSE_CRV.P256) throw new RangeError('COSE_Key crv must be P-256 (1)');
  const x = value.get(COSE_KEY_LABEL.x);
  const y = value.get(COSE_KEY_LABEL.y);
  if (!(x instanceof Uint8Array) || x.length !== 32) throw new RangeError('COSE_Key x must be 32 bytes');
  if (!(y instanceof Uint8Array) || y.length !== 32) throw new RangeError('COSE_Key y must be 32 bytes');
  const alg = value.get(COSE_KEY_LABEL.alg) ?? expectedAlg;
  if (typeof alg !== 'number') throw new RangeError('COSE_Key alg is missing');
  if (expectedAlg !== undefined && alg !== expectedAlg) throw new RangeError(`COSE_Key alg must be ${expectedAlg}, got ${alg}`);
  return { x, y, alg };
}

/** SEC 1 uncompressed point 0x04 ‖ x ‖ y. */
export function ec2ToUncompressed(key: { x: Uint8Array; y: Uint8Array }): Uint8Array {
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(key.x, 1);
  out.set(key.y, 33);
  return out;
}
