/**
 * The platform's side of large blobs (CTAP 2.1 §6.10): read and write the whole serialized
 * large-blob array in fragments of maxMsgSize − 64 bytes (authenticatorLargeBlobs get/set),
 * with its trailing LEFT(SHA-256, 16) check; and the entries in it, each a credential's data
 * DEFLATE-compressed (RFC 1951) and encrypted with AES-256-GCM under the credential's
 * largeBlobKey, with "blob" ‖ uint64LittleEndian(origSize) as associated data (§6.10.3
 * largeBlobMap: 0x01 ciphertext ‖ tag, 0x02 nonce, 0x03 origSize).
 *
 * python-fido2 0.9 compresses with a zlib header (RFC 1950) rather than raw DEFLATE; entries it
 * wrote are read too (the header is recognised and its checksum verified), and ours are always
 * raw DEFLATE as the specification says.
 *
 * @example
 * ```ts
 * const blobs = new LargeBlobArray(ctap2, info);
 * await blobs.put(largeBlobKey, new TextEncoder().encode('hello'), auth);
 * const data = await blobs.get(largeBlobKey); // 'hello'
 * ```
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { deflateRawSync, inflateRawSync, inflateSync } from 'node:zlib';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { type CborValue, CborError, decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { largeBlobArrayBody, serializeLargeBlobArray } from '../protocol/large-blob-array.js';
import type { Ctap2, Ctap2Info } from './ctap2.js';

/** largeBlobMap members (§6.10.3). */
export const LARGE_BLOB_MAP = { ciphertext: 0x01, nonce: 0x02, origSize: 0x03 } as const;

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** §6.4: maxMsgSize is 1024 when the key does not say. */
const DEFAULT_MAX_MSG_SIZE = 1024;

/** How a write is authorized: the pinUvAuthParam of one fragment (§6.10.2 step 3.6), or none on a key without user verification. */
export type LargeBlobWriteAuth = (offset: number, fragment: Uint8Array) => { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number };

/** "blob" ‖ uint64LittleEndian(origSize) (§6.10.3). */
function associatedData(origSize: number): Uint8Array {
  const ad = new Uint8Array(12);
  ad.set([0x62, 0x6c, 0x6f, 0x62]);
  new DataView(ad.buffer).setBigUint64(4, BigInt(origSize), true);
  return ad;
}

/** A largeBlobMap for `data` under `key` (32 bytes), with a 12-byte `nonce`. */
export function encryptLargeBlob(key: Uint8Array, data: Uint8Array, nonce: Uint8Array): Map<number, CborValue> {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError('largeBlobKey must be 32 bytes');
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(associatedData(data.length));
  const compressed = deflateRawSync(data);
  const ciphertext = Buffer.concat([cipher.update(compressed), cipher.final(), cipher.getAuthTag()]);
  return new Map<number, CborValue>([
    [LARGE_BLOB_MAP.ciphertext, new Uint8Array(ciphertext)],
    [LARGE_BLOB_MAP.nonce, nonce],
    [LARGE_BLOB_MAP.origSize, data.length],
  ]);
}

/** Inflate raw DEFLATE, or zlib-wrapped data (python-fido2 0.9 writes that), to exactly `size` bytes. */
function inflate(compressed: Uint8Array, size: number): Uint8Array | undefined {
  // Bounded: an entry never inflates beyond the size it declares.
  const limit = { maxOutputLength: Math.max(1, size) };
  const zlibHeader = compressed.length >= 2 && (compressed[0]! & 0x0f) === 8 && ((compressed[0]! << 8) | compressed[1]!) % 31 === 0;
  for (const inflater of zlibHeader ? [inflateSync, inflateRawSync] : [inflateRawSync]) {
    try {
      const out = inflater(compressed, limit);
      if (out.length === size) return new Uint8Array(out);
    } catch {
      // not this form
    }
  }
  return undefined;
}

/** The data of a largeBlobMap when `key` opens it, else undefined (another credential's entry, or a damaged one). */
export function decryptLargeBlob(key: Uint8Array, entry: CborValue): Uint8Array | undefined {
  if (!(entry instanceof Map)) return undefined;
  const ciphertext = entry.get(LARGE_BLOB_MAP.ciphertext);
  const nonce = entry.get(LARGE_BLOB_MAP.nonce);
  const origSize = entry.get(LARGE_BLOB_MAP.origSize);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < TAG_LENGTH || !(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) return undefined;
  if (typeof origSize !== 'number' || !Number.isSafeInteger(origSize) || origSize < 0) return undefined;
  let compressed: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(associatedData(origSize));
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
    compressed = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH)), decipher.final()]);
  } catch {
    return undefined; // not this key's entry
  }
  return inflate(compressed, origSize);
}

/** What `read` found: the entries, and whether the stored array's check held. */
export interface LargeBlobArrayContents {
  entries: CborValue[];
  /** False when the check failed or the bytes were no CBOR array: the platform treats the array as empty (§6.10.3). */
  valid: boolean;
  /** The serialized array's size in bytes. */
  size: number;
}

/** The large-blob array of one authenticator. */
export class LargeBlobArray {
  readonly ctap2: Ctap2;
  /** maxFragmentLength (§6.10): maxMsgSize − 64. */
  readonly maxFragmentLength: number;
  readonly maxSerializedLargeBlobArray: number | undefined;
  readonly #random: (n: number) => Uint8Array;

  constructor(ctap2: Ctap2, info: Pick<Ctap2Info, 'maxMsgSize' | 'maxSerializedLargeBlobArray'>, randomBytes: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n))) {
    this.ctap2 = ctap2;
    this.maxFragmentLength = (info.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE) - 64;
    this.maxSerializedLargeBlobArray = info.maxSerializedLargeBlobArray;
    this.#random = randomBytes;
  }

  /** The serialized array as stored, fragment by fragment until a short one (§6.10.2 get). */
  async readSerialized(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let offset = 0; ; offset += this.maxFragmentLength) {
      const { config } = await this.ctap2.largeBlobs({ get: this.maxFragmentLength, offset });
      if (config === undefined) throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: largeBlobs get without config');
      if (config.length > this.maxFragmentLength) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: largeBlobs fragment of ${config.length} bytes, at most ${this.maxFragmentLength} asked for`);
      parts.push(config);
      total += config.length;
      // A key that keeps answering full fragments beyond what it says it stores is broken: stop.
      if (this.maxSerializedLargeBlobArray !== undefined && total > this.maxSerializedLargeBlobArray) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: large-blob array longer than maxSerializedLargeBlobArray (${this.maxSerializedLargeBlobArray})`);
      if (config.length < this.maxFragmentLength) break;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The entries of the array; an array whose check fails reads as empty (`valid: false`). */
  async read(): Promise<LargeBlobArrayContents> {
    const serialized = await this.readSerialized();
    const body = largeBlobArrayBody(serialized);
    if (body === undefined) return { entries: [], valid: false, size: serialized.length };
    let value: CborValue;
    try {
      value = decodeCbor(body);
    } catch (e) {
      if (e instanceof CborError) return { entries: [], valid: false, size: serialized.length };
      throw e;
    }
    return Array.isArray(value) ? { entries: value, valid: true, size: serialized.length } : { entries: [], valid: false, size: serialized.length };
  }

  /** Replace the whole array with `entries`, in fragments; `auth` signs each one when the key needs it. */
  async write(entries: CborValue[], auth?: LargeBlobWriteAuth): Promise<number> {
    const serialized = serializeLargeBlobArray(encodeCbor(entries));
    if (this.maxSerializedLargeBlobArray !== undefined && serialized.length > this.maxSerializedLargeBlobArray) {
      throw badInput(`the large-blob array would be ${serialized.length} bytes; the key stores at most ${this.maxSerializedLargeBlobArray}`);
    }
    for (let offset = 0; offset < serialized.length; offset += this.maxFragmentLength) {
      const fragment = serialized.subarray(offset, offset + this.maxFragmentLength);
      await this.ctap2.largeBlobs({ set: fragment, offset, ...(offset === 0 ? { length: serialized.length } : {}), ...(auth?.(offset, fragment) ?? {}) });
    }
    return serialized.length;
  }

  /** The data stored for the credential whose largeBlobKey is `key`, or undefined. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    for (const entry of (await this.read()).entries) {
      const data = decryptLargeBlob(key, entry);
      if (data !== undefined) return data;
    }
    return undefined;
  }

  /**
   * Store `data` for the credential whose largeBlobKey is `key`, replacing what it had (other
   * credentials' entries stay); `data` undefined removes its entry. Returns whether the array changed.
   */
  async put(key: Uint8Array, data: Uint8Array | undefined, auth?: LargeBlobWriteAuth): Promise<boolean> {
    const { entries } = await this.read();
    const others = entries.filter((e) => decryptLargeBlob(key, e) === undefined);
    if (data === undefined && others.length === entries.length) return false;
    await this.write(data === undefined ? others : [...others, encryptLargeBlob(key, data, this.#random(NONCE_LENGTH))], auth);
    return true;
  }
}
