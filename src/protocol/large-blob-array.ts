/**
 * The serialized large-blob array of CTAP 2.1 §6.10 as both ends see it: CBOR bytes followed
 * by LEFT(SHA-256(those bytes), 16), the initial (empty) array, and the message a write's
 * pinUvAuthParam authenticates. Pure code shared by the simulated authenticator (which checks
 * and stores the array) and the host (which reads, edits and writes it).
 *
 * @example
 * ```ts
 * const serialized = serializeLargeBlobArray(encodeCbor(entries));
 * const body = largeBlobArrayBody(serialized); // the CBOR bytes, or undefined when the check fails
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** The check that ends a serialized array: its first 16 bytes of SHA-256 (§6.10.2). */
export const LARGE_BLOB_CHECK_LENGTH = 16;

/** The command byte of authenticatorLargeBlobs, which the write message names (§6.10.2). */
const LARGE_BLOBS_COMMAND = 0x0c;

/** `body` with its check appended. */
export function serializeLargeBlobArray(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + LARGE_BLOB_CHECK_LENGTH);
  out.set(body);
  out.set(sha256(body).subarray(0, LARGE_BLOB_CHECK_LENGTH), body.length);
  return out;
}

/** The CBOR bytes of a serialized array whose check holds, else undefined. */
export function largeBlobArrayBody(serialized: Uint8Array): Uint8Array | undefined {
  if (serialized.length < 1 + LARGE_BLOB_CHECK_LENGTH) return undefined;
  const body = serialized.subarray(0, serialized.length - LARGE_BLOB_CHECK_LENGTH);
  const check = sha256(body);
  let d = 0;
  for (let i = 0; i < LARGE_BLOB_CHECK_LENGTH; i++) d |= check[i]! ^ serialized[body.length + i]!;
  return d === 0 ? body : undefined;
}

/** The initial serialized array (§6.10.2): the empty CBOR array 0x80 and its check, 17 bytes. */
export const INITIAL_LARGE_BLOB_ARRAY: Uint8Array = serializeLargeBlobArray(Uint8Array.of(0x80));

/** What a write's pinUvAuthParam authenticates (§6.10.2): 32×0xff ‖ h'0c00' ‖ uint32LittleEndian(offset) ‖ SHA-256(set). */
export function largeBlobsWriteMessage(offset: number, fragment: Uint8Array): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError('offset must be a 32-bit unsigned integer');
  const out = new Uint8Array(32 + 2 + 4 + 32);
  out.fill(0xff, 0, 32);
  out[32] = LARGE_BLOBS_COMMAND;
  out[33] = 0x00;
  new DataView(out.buffer).setUint32(34, offset, true);
  out.set(sha256(fragment), 38);
  return out;
}
