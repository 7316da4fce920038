/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10): the request and response shapes, their CBOR
 * encoding, and the message a pinUvAuthParam authenticates for a write. `Ctap2.largeBlobs`
 * sends one fragment; reading or writing the whole serialized array (fragments of at most
 * maxMsgSize − 64 bytes, the trailing LEFT(SHA-256(array), 16)) builds on it.
 *
 * @example
 * ```ts
 * const { config } = await ctap2.largeBlobs({ get: info.maxMsgSize! - 64, offset: 0 });
 * ```
 */
import type { CborValue } from '../protocol/cbor.js';
import { LARGE_BLOBS as P, LARGE_BLOBS_RESPONSE as R } from '../protocol/ctap2-parameters.js';
import { largeBlobsWriteMessage } from '../protocol/large-blob-array.js';
import { bytes, members } from './response-readers.js';

/** One get or set (exactly one of them) at `offset`. */
export interface LargeBlobsRequest {
  /** Read this many bytes. */
  get?: number;
  /** Write this fragment. */
  set?: Uint8Array;
  offset: number;
  /** With the first set (offset 0): the length of the whole serialized array. */
  length?: number;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface LargeBlobsResponse {
  /** The fragment read (get). */
  config?: Uint8Array;
}

export function largeBlobsRequest(req: LargeBlobsRequest): Map<number, unknown> {
  const m = new Map<number, unknown>();
  if (req.get !== undefined) m.set(P.get, req.get);
  if (req.set !== undefined) m.set(P.set, req.set);
  m.set(P.offset, req.offset);
  if (req.length !== undefined) m.set(P.length, req.length);
  if (req.pinUvAuthParam !== undefined) m.set(P.pinUvAuthParam, req.pinUvAuthParam);
  if (req.pinUvAuthProtocol !== undefined) m.set(P.pinUvAuthProtocol, req.pinUvAuthProtocol);
  return m;
}

/** What pinUvAuthParam authenticates for a set (§6.10.2): 32×0xff ‖ h'0c00' ‖ uint32LittleEndian(offset) ‖ SHA-256(set). */
export const largeBlobsAuthMessage = largeBlobsWriteMessage;

export function parseLargeBlobsResponse(m: Map<CborValue, CborValue>): LargeBlobsResponse {
  return members<LargeBlobsResponse>(m, 'largeBlobs', { config: [R.config, bytes] });
}
