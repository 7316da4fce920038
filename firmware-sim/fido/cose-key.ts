/**
 * The COSE_Key form of the authenticator's own P-256 public keys (RFC 8152 §13.1.1): the
 * credential public key in attested credential data (alg ES256 = -7) and the clientPIN key
 * agreement key (alg ECDH-ES+HKDF-256 = -25). Device-private; hosts use src/protocol/cose.
 */
import type { CborValue } from '../../src/protocol/cbor.js';

export const COSE_ALG_ES256 = -7;
export const COSE_ALG_ECDH_ES_HKDF_256 = -25;

export function ec2CoseKey(x: Uint8Array, y: Uint8Array, alg: number): Map<number, number | Uint8Array> {
  return new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, alg],
    [-1, 1], // crv: P-256
    [-2, x],
    [-3, y],
  ]);
}

/** x and y of a P-256 EC2 COSE key, or undefined when it is not one. */
export function readEc2CoseKey(key: Map<CborValue, CborValue>): { x: Uint8Array; y: Uint8Array } | undefined {
  const x = key.get(-2);
  const y = key.get(-3);
  if (key.get(1) !== 2 || key.get(-1) !== 1) return undefined;
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) return undefined;
  return { x, y };
}
