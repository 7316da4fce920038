/**
 * COSE_Key (RFC 9052 §7, formerly RFC 8152 §7) for the public keys CTAP2 and WebAuthn carry:
 * EC2 keys on P-256, P-384, P-521 (RFC 9053 §7.1.1) and secp256k1 (RFC 8812 §3.1), OKP keys
 * on Ed25519 (RFC 9053 §7.2), and RSA keys (RFC 8230 §4). The credential public key of every
 * signature algorithm the simulator and the host know, and the clientPIN key agreement key
 * (alg ECDH-ES+HKDF-256 = -25, always P-256). Pure code shared by host and device.
 *
 * @example
 * ```ts
 * const map = encodeCoseKey({ kty: 'OKP', alg: COSE_ALG.EdDSA, crv: COSE_CRV.Ed25519, x });
 * const key = decodeCoseKey(map); // { kty: 'OKP', alg: -8, crv: 6, x }
 * ```
 */
import type { CborValue } from './cbor.js';

/** COSE algorithm identifiers (IANA "COSE Algorithms" registry). */
export const COSE_ALG = {
  ES256: -7,
  EdDSA: -8,
  ECDH_ES_HKDF_256: -25,
  ES384: -35,
  ES512: -36,
  PS256: -37,
  ES256K: -47,
  RS256: -257,
} as const;
export type CoseAlg = (typeof COSE_ALG)[keyof typeof COSE_ALG];

/** COSE_Key common, EC2 and OKP labels (RFC 9052 §7.1, RFC 9053 §7.1.1, §7.2). */
export const COSE_KEY_LABEL = { kty: 1, alg: 3, crv: -1, x: -2, y: -3 } as const;
/** RSA key labels (RFC 8230 §4): the modulus and the public exponent. */
export const COSE_RSA_LABEL = { n: -1, e: -2 } as const;
/** kty values (RFC 9053 §7, RFC 8230 §4). */
export const COSE_KTY = { OKP: 1, EC2: 2, RSA: 3 } as const;
/** Elliptic curves (RFC 9053 §7.1, RFC 8812 §3.1). */
export const COSE_CRV = { P256: 1, P384: 2, P521: 3, Ed25519: 6, secp256k1: 8 } as const;

/** The byte length of a coordinate (EC2) or of the public key (OKP) on each curve. */
export const COSE_CRV_SIZE: Readonly<Record<number, number>> = {
  [COSE_CRV.P256]: 32,
  [COSE_CRV.P384]: 48,
  [COSE_CRV.P521]: 66,
  [COSE_CRV.Ed25519]: 32,
  [COSE_CRV.secp256k1]: 32,
};

/** A public key as COSE describes it, by key type. */
export type CosePublicKey =
  | { kty: 'EC2'; alg: number; crv: number; x: Uint8Array; y: Uint8Array }
  | { kty: 'OKP'; alg: number; crv: number; x: Uint8Array }
  | { kty: 'RSA'; alg: number; n: Uint8Array; e: Uint8Array };

/** What a signature algorithm's key and signature are (WebAuthn §6.5.6, RFC 9053 §2, RFC 8230 §2). */
export interface CoseSignatureAlgorithm {
  readonly name: string;
  readonly kty: CosePublicKey['kty'];
  /** The curve of EC2 and OKP keys. */
  readonly crv?: number;
  /** The digest the signature covers (EdDSA hashes internally: none). */
  readonly hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** RSA padding. */
  readonly padding?: 'PKCS1-v1_5' | 'PSS';
}

/** The signature algorithms of WebAuthn credentials that tokenrig makes and verifies. */
export const COSE_SIGNATURE_ALGORITHMS: ReadonlyMap<number, CoseSignatureAlgorithm> = new Map<number, CoseSignatureAlgorithm>([
  [COSE_ALG.ES256, { name: 'ES256', kty: 'EC2', crv: COSE_CRV.P256, hash: 'SHA-256' }],
  [COSE_ALG.EdDSA, { name: 'EdDSA', kty: 'OKP', crv: COSE_CRV.Ed25519 }],
  [COSE_ALG.ES384, { name: 'ES384', kty: 'EC2', crv: COSE_CRV.P384, hash: 'SHA-384' }],
  [COSE_ALG.ES512, { name: 'ES512', kty: 'EC2', crv: COSE_CRV.P521, hash: 'SHA-512' }],
  [COSE_ALG.PS256, { name: 'PS256', kty: 'RSA', hash: 'SHA-256', padding: 'PSS' }],
  [COSE_ALG.ES256K, { name: 'ES256K', kty: 'EC2', crv: COSE_CRV.secp256k1, hash: 'SHA-256' }],
  [COSE_ALG.RS256, { name: 'RS256', kty: 'RSA', hash: 'SHA-256', padding: 'PKCS1-v1_5' }],
]);

const KTY_NAME: Readonly<Record<number, CosePublicKey['kty']>> = { [COSE_KTY.OKP]: 'OKP', [COSE_KTY.EC2]: 'EC2', [COSE_KTY.RSA]: 'RSA' };

function bytesOf(name: string, v: unknown, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new RangeError(`COSE_Key ${name} must be a byte string`);
  if (length !== undefined && v.length !== length) throw new RangeError(`COSE_Key ${name} must be ${length} bytes`);
  return v;
}

/** Strip leading zero bytes: RSA n and e are unsigned big-endian integers without padding (RFC 8230 §4). */
function minimal(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * The COSE_Key map of `key`, members in CTAP2 canonical order once CBOR-encoded. TypeError
 * for a member of the wrong type, RangeError for a wrong size or an unknown curve.
 */
export function encodeCoseKey(key: CosePublicKey): Map<number, CborValue> {
  if (!Number.isInteger(key.alg)) throw new TypeError('key.alg must be an integer');
  if (key.kty === 'RSA') {
    if (!(key.n instanceof Uint8Array) || !(key.e instanceof Uint8Array)) throw new TypeError('key.n and key.e must be Uint8Array');
    return new Map<number, CborValue>([
      [COSE_KEY_LABEL.kty, COSE_KTY.RSA],
      [COSE_KEY_LABEL.alg, key.alg],
      [COSE_RSA_LABEL.n, minimal(key.n)],
      [COSE_RSA_LABEL.e, minimal(key.e)],
    ]);
  }
  const size = COSE_CRV_SIZE[key.crv];
  if (size === undefined) throw new RangeError(`unknown COSE curve ${key.crv}`);
  if (!(key.x instanceof Uint8Array)) throw new TypeError('key.x must be a Uint8Array');
  if (key.x.length !== size) throw new RangeError(`key.x must be ${size} bytes`);
  const m = new Map<number, CborValue>([
    [COSE_KEY_LABEL.kty, key.kty === 'EC2' ? COSE_KTY.EC2 : COSE_KTY.OKP],
    [COSE_KEY_LABEL.alg, key.alg],
    [COSE_KEY_LABEL.crv, key.crv],
    [COSE_KEY_LABEL.x, key.x],
  ]);
  if (key.kty === 'EC2') {
    if (!(key.y instanceof Uint8Array)) throw new TypeError('key.y must be a Uint8Array');
    if (key.y.length !== size) throw new RangeError(`key.y must be ${size} bytes`);
    m.set(COSE_KEY_LABEL.y, key.y);
  }
  return m;
}

/**
 * A COSE_Key map read back: RangeError naming what is wrong (not a map, unknown kty or curve,
 * a member missing or of the wrong size, a curve the key type does not use). `alg` is
 * optional in COSE (RFC 9052 §7.1); a missing one decodes as `expectedAlg` when given.
 */
export function decodeCoseKey(value: CborValue | undefined, expectedAlg?: number): CosePublicKey {
  if (!(value instanceof Map)) throw new RangeError('COSE_Key must be a CBOR map');
  const kty = KTY_NAME[value.get(COSE_KEY_LABEL.kty) as number];
  if (kty === undefined) throw new RangeError(`COSE_Key kty ${String(value.get(COSE_KEY_LABEL.kty))} is not OKP (1), EC2 (2) or RSA (3)`);
  const alg = value.get(COSE_KEY_LABEL.alg) ?? expectedAlg;
  if (typeof alg !== 'number' || !Number.isInteger(alg)) throw new RangeError('COSE_Key alg is missing');
  if (expectedAlg !== undefined && alg !== expectedAlg) throw new RangeError(`COSE_Key alg must be ${expectedAlg}, got ${alg}`);
  const known = COSE_SIGNATURE_ALGORITHMS.get(alg);
  if (known !== undefined && known.kty !== kty) throw new RangeError(`COSE_Key kty ${kty} does not fit alg ${known.name}`);
  if (kty === 'RSA') {
    const n = bytesOf('n', value.get(COSE_RSA_LABEL.n));
    const e = bytesOf('e', value.get(COSE_RSA_LABEL.e));
    if (n.length === 0 || e.length === 0) throw new RangeError('COSE_Key n and e must not be empty');
    return { kty, alg, n, e };
  }
  const crv = value.get(COSE_KEY_LABEL.crv);
  const size = typeof crv === 'number' ? COSE_CRV_SIZE[crv] : undefined;
  if (typeof crv !== 'number' || size === undefined) throw new RangeError(`COSE_Key crv ${String(crv)} is not a known curve`);
  if ((kty === 'OKP') !== (crv === COSE_CRV.Ed25519)) throw new RangeError(`COSE_Key crv ${crv} is not a curve of kty ${kty}`);
  if (known?.crv !== undefined && known.crv !== crv) throw new RangeError(`COSE_Key crv ${crv} does not fit alg ${known.name}`);
  const x = bytesOf('x', value.get(COSE_KEY_LABEL.x), size);
  if (kty === 'OKP') return { kty, alg, crv, x };
  return { kty, alg, crv, x, y: bytesOf('y', value.get(COSE_KEY_LABEL.y), size) };
}

export interface Ec2PublicKey {
  /** 32-byte big-endian affine x. */
  x: Uint8Array;
  /** 32-byte big-endian affine y. */
  y: Uint8Array;
  alg: number;
}

/** The COSE_Key map of a P-256 public key (ES256 credentials, the clientPIN key agreement key). */
export function encodeEc2CoseKey(key: Ec2PublicKey): Map<number, number | Uint8Array> {
  if (!(key.x instanceof Uint8Array) || !(key.y instanceof Uint8Array)) throw new TypeError('key.x and key.y must be Uint8Array');
  return encodeCoseKey({ kty: 'EC2', alg: key.alg, crv: COSE_CRV.P256, x: key.x, y: key.y }) as Map<number, number | Uint8Array>;
}

/**
 * x, y and alg of an EC2 P-256 COSE_Key. Throws RangeError naming what is wrong. A missing
 * `alg` decodes as `expectedAlg` when given (the platform's key agreement key may omit it).
 */
export function decodeEc2CoseKey(value: CborValue | undefined, expectedAlg?: number): Ec2PublicKey {
  if (!(value instanceof Map)) throw new RangeError('COSE_Key must be a CBOR map');
  if (value.get(COSE_KEY_LABEL.kty) !== COSE_KTY.EC2) throw new RangeError('COSE_Key kty must be EC2 (2)');
  if (value.get(COSE_KEY_LABEL.crv) !== COSE_CRV.P256) throw new RangeError('COSE_Key crv must be P-256 (1)');
  const key = decodeCoseKey(value, expectedAlg);
  if (key.kty !== 'EC2') throw new RangeError('COSE_Key kty must be EC2 (2)');
  return { x: key.x, y: key.y, alg: key.alg };
}

/** SEC 1 uncompressed point 0x04 ‖ x ‖ y. */
export function ec2ToUncompressed(key: { x: Uint8Array; y: Uint8Array }): Uint8Array {
  const out = new Uint8Array(1 + key.x.length + key.y.length);
  out[0] = 0x04;
  out.set(key.x, 1);
  out.set(key.y, 1 + key.x.length);
  return out;
}
