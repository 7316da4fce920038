/**
 * Credential IDs that carry their own private key: the key is sealed with AES-256-GCM under
 * the device master key, with the RP ID hash (or U2F application parameter) as associated
 * data, so an ID only opens for the RP it was made for. Nothing per credential is stored.
 *
 * Two layouts, told apart by the first byte:
 * - version 0x01 ‖ nonce (12) ‖ AES-GCM(ES256 private scalar (32)) ‖ tag (16) = 61 bytes: an
 *   ES256 credential without extension data (and every U2F key handle);
 * - version 0x02 ‖ nonce (12) ‖ AES-GCM(CBOR record) ‖ tag (16): any other credential. The
 *   record is `{1: alg, 2: private key, 3: {extension id: what it stored}, 4: true}` (3 only
 *   when an extension stored something, 4 only for a discoverable credential), so the
 *   algorithm and extension state (credProtect level, credBlob, ...) travel with resident and
 *   non-resident credentials alike, and a discoverable credential's ID is honoured only while
 *   the key still stores it (credentialManagement deleteCredential, or a replacement by the
 *   same account, ends it for good).
 *
 * AES-GCM runs on node:crypto (OpenSSL, AES-NI): about 4x faster than a pure-JS GCM, and
 * every getAssertion opens one ID. The nonce still comes from the injected random source,
 * so seeded devices stay reproducible.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { type CborValue, decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { COSE_ALG } from '../../src/protocol/cose.js';

export const CREDENTIAL_ID_LENGTH = 61;
const V1 = 0x01;
const V2 = 0x02;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const RECORD = { alg: 1, privateKey: 2, extensions: 3, discoverable: 4 } as const;

/** What a credential ID seals. */
export interface CredentialRecord {
  /** COSE algorithm identifier of the credential key. */
  alg: number;
  /** The private key as the algorithm loads it. */
  privateKey: Uint8Array;
  /** What extensions stored with the credential, by extension id. */
  extensions: ReadonlyMap<string, CborValue>;
  /** A discoverable (resident) credential: valid only while the key stores it. */
  discoverable?: boolean;
}

const NO_EXTENSIONS: ReadonlyMap<string, CborValue> = new Map();

function seal(version: number, masterKey: Uint8Array, rpIdHash: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(rpIdHash);
  const sealed = cipher.update(plaintext);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(1 + NONCE_LENGTH + sealed.length + tail.length + TAG_LENGTH);
  out[0] = version;
  out.set(nonce, 1);
  out.set(sealed, 1 + NONCE_LENGTH);
  out.set(tail, 1 + NONCE_LENGTH + sealed.length);
  out.set(tag, out.length - TAG_LENGTH);
  return out;
}

function open(masterKey: Uint8Array, rpIdHash: Uint8Array, id: Uint8Array): Uint8Array | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, id.subarray(1, 1 + NONCE_LENGTH), { authTagLength: TAG_LENGTH });
    decipher.setAAD(rpIdHash);
    decipher.setAuthTag(id.subarray(id.length - TAG_LENGTH));
    const head = decipher.update(id.subarray(1 + NONCE_LENGTH, id.length - TAG_LENGTH));
    const tail = decipher.final(); // throws when the tag does not match
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  } catch {
    return undefined;
  }
}

/** A version 0x01 ID: an ES256 private scalar (also every U2F key handle). */
export function wrapCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, privateKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return seal(V1, masterKey, rpIdHash, privateKey, nonce);
}

/** The ES256 private scalar inside a version 0x01 `id`, or undefined when it is not one of ours for this RP. */
export function unwrapCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, id: Uint8Array): Uint8Array | undefined {
  if (id.length !== CREDENTIAL_ID_LENGTH || id[0] !== V1) return undefined;
  return open(masterKey, rpIdHash, id);
}

/** The credential ID sealing `record`: the 61-byte layout when it is plain ES256. */
export function sealCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, record: CredentialRecord, nonce: Uint8Array): Uint8Array {
  if (record.alg === COSE_ALG.ES256 && record.extensions.size === 0 && record.discoverable !== true && record.privateKey.length === 32) {
    return wrapCredential(masterKey, rpIdHash, record.privateKey, nonce);
  }
  const m = new Map<number, unknown>([
    [RECORD.alg, record.alg],
    [RECORD.privateKey, record.privateKey],
  ]);
  if (record.extensions.size > 0) m.set(RECORD.extensions, record.extensions);
  if (record.discoverable === true) m.set(RECORD.discoverable, true);
  return seal(V2, masterKey, rpIdHash, encodeCbor(m), nonce);
}

/** What `id` seals, or undefined when it is not one of ours for this RP. */
export function openCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, id: Uint8Array): CredentialRecord | undefined {
  if (id[0] === V1) {
    const privateKey = unwrapCredential(masterKey, rpIdHash, id);
    return privateKey === undefined ? undefined : { alg: COSE_ALG.ES256, privateKey, extensions: NO_EXTENSIONS };
  }
  if (id[0] !== V2 || id.length < 1 + NONCE_LENGTH + TAG_LENGTH + 1) return undefined;
  const plaintext = open(masterKey, rpIdHash, id);
  if (plaintext === undefined) return undefined;
  // Authenticated, so written by this device: a malformed record is an internal error.
  const m = decodeCbor(plaintext) as Map<number, CborValue>;
  const alg = m.get(RECORD.alg);
  const privateKey = m.get(RECORD.privateKey);
  const extensions = m.get(RECORD.extensions) ?? NO_EXTENSIONS;
  if (typeof alg !== 'number' || !(privateKey instanceof Uint8Array) || !(extensions instanceof Map)) throw new Error('credential record is malformed');
  const record: CredentialRecord = { alg, privateKey, extensions: extensions as ReadonlyMap<string, CborValue> };
  if (m.get(RECORD.discoverable) === true) record.discoverable = true;
  return record;
}

/**
 * A 32-byte secret of the credential whose private key is `privateKey`, for `label`:
 * HKDF-SHA-256 (RFC 5869) with the label as info. Secrets an extension would otherwise keep
 * with the credential (hmac-secret's CredRandomWithUV and CredRandomWithoutUV, a
 * largeBlobKey) come from here, so the credential ID does not grow by 32 bytes for each; they
 * are as secret as the private key they derive from, and die with it at authenticatorReset.
 */
export function credentialSecret(privateKey: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', privateKey, new Uint8Array(0), `tokenrig credential ${label}`, 32));
}
