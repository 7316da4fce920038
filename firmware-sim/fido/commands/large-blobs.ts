/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10): a byte array the platform reads and writes in
 * fragments, holding a CBOR array of entries each encrypted with a credential's largeBlobKey
 * (../extensions/large-blob-key.ts). The authenticator knows nothing of the entries: it keeps
 * the serialized array, serves any part of it, and commits a new one only when all of it has
 * arrived and its last 16 bytes are LEFT(SHA-256(the rest), 16) (§6.10.2 step 4).
 *
 * A write is a sequence of `set` fragments at increasing offsets, the first naming the total
 * `length`; it needs a pinUvAuthToken with the lbw permission when the key is protected by
 * user verification. The write in progress is volatile (a power cycle drops it), the
 * committed array persists (state.ts `fido.largeblobs`); authenticatorReset restores the
 * initial empty array.
 */
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { GET_INFO, LARGE_BLOBS as P, LARGE_BLOBS_RESPONSE as R, PERMISSION } from '../../../src/protocol/ctap2-parameters.js';
import { INITIAL_LARGE_BLOB_ARRAY, LARGE_BLOB_CHECK_LENGTH, largeBlobArrayBody, largeBlobsWriteMessage } from '../../../src/protocol/large-blob-array.js';
import { type CborParams, type PinUvAuthParams, bytes, optional, pinUvAuthParams, uint } from '../cbor-params.js';
import { type FidoDevice, volatileSlot } from '../device.js';
import { S, fail } from '../errors.js';
import { authorize } from '../pin-uv-auth-token.js';
import { type Ctap2Response, defineCommand, speaksCtap21 } from './command.js';

/** §6.4: a key with largeBlobs stores at least 1024 bytes. */
export const MIN_MAX_SERIALIZED_LARGE_BLOB_ARRAY = 1024;

export interface LargeBlobsRequest extends PinUvAuthParams {
  get?: number;
  set?: Uint8Array;
  offset: number;
  length?: number;
}

/** The write in progress: what has arrived, how much is expected, where the next fragment goes. */
const PENDING = volatileSlot('largeBlobWrite', () => ({ buffer: undefined as Uint8Array | undefined, expectedLength: 0, expectedNextOffset: 0 }));

function parse(p: CborParams): LargeBlobsRequest {
  const req: LargeBlobsRequest = { offset: uint(p.get(P.offset), 'offset'), ...pinUvAuthParams(p, P.pinUvAuthParam, P.pinUvAuthProtocol) };
  const get = optional(p.get(P.get), (v) => uint(v, 'get'));
  const set = optional(p.get(P.set), (v) => bytes(v, 'set'));
  const length = optional(p.get(P.length), (v) => uint(v, 'length'));
  if (get !== undefined) req.get = get;
  if (set !== undefined) req.set = set;
  if (length !== undefined) req.length = length;
  return req;
}

function maxSerializedLargeBlobArray(device: FidoDevice): number {
  return device.profile.limits.maxSerializedLargeBlobArray ?? MIN_MAX_SERIALIZED_LARGE_BLOB_ARRAY;
}

/** The committed serialized array (the initial one until a write commits). */
export function largeBlobArray(device: FidoDevice): Uint8Array {
  return device.store.readLargeBlobArray() ?? INITIAL_LARGE_BLOB_ARRAY;
}

/** §6.10.2 step 2: get. */
function read(device: FidoDevice, req: LargeBlobsRequest & { get: number }, maxFragmentLength: number): Ctap2Response {
  if (req.length !== undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'length with get'); // 2.1
  if (req.pinUvAuthParam !== undefined || req.pinUvAuthProtocol !== undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthParam with get'); // 2.2
  if (req.get > maxFragmentLength) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'get exceeds maxFragmentLength'); // 2.3
  const array = largeBlobArray(device);
  if (req.offset > array.length) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'offset beyond the array'); // 2.4
  return new Map([[R.config, array.slice(req.offset, req.offset + req.get)]]); // 2.5
}

/** §6.10.2 step 3: set. */
function write(device: FidoDevice, req: LargeBlobsRequest & { set: Uint8Array }, maxFragmentLength: number): Ctap2Response {
  const pending = device.volatile(PENDING);
  if (req.set.length > maxFragmentLength) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'set exceeds maxFragmentLength'); // 3.1
  if (req.offset === 0) {
    // 3.2: the first fragment names the whole length.
    if (req.length === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'length missing at offset 0');
    if (req.length > maxSerializedLargeBlobArray(device)) throw fail(S.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL);
    if (req.length < 1 + LARGE_BLOB_CHECK_LENGTH) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'length below 17');
    pending.expectedLength = req.length;
    pending.expectedNextOffset = 0;
  } else if (req.length !== undefined) {
    throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'length after offset 0'); // 3.3
  }
  if (req.offset !== pending.expectedNextOffset) throw fail(S.CTAP1_ERR_INVALID_SEQ); // 3.4
  // 3.5–3.6: a key protected by user verification (or with alwaysUv) takes writes only with an lbw token.
  if (device.protectedByUv || device.profile.options.alwaysUv === true) {
    if (req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
    if (req.pinUvAuthProtocol === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
    const protocol = device.pinUvAuthProtocol(req.pinUvAuthProtocol);
    if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
    authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam, message: largeBlobsWriteMessage(req.offset, req.set), permission: PERMISSION.lbw });
  }
  if (req.offset + req.set.length > pending.expectedLength) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'fragment beyond length'); // 3.7
  if (req.offset === 0) pending.buffer = new Uint8Array(pending.expectedLength); // 3.8
  pending.buffer!.set(req.set, req.offset); // 3.9
  pending.expectedNextOffset += req.set.length;
  if (pending.expectedNextOffset < pending.expectedLength) return undefined; // 3.11
  // 3.10: the whole array arrived: its check, then commit.
  const array = pending.buffer!;
  pending.buffer = undefined;
  pending.expectedLength = pending.expectedNextOffset = 0;
  if (largeBlobArrayBody(array) === undefined) throw fail(S.CTAP2_ERR_INTEGRITY_FAILURE);
  device.store.writeLargeBlobArray(array);
  device.emit({ event: 'large_blobs_written', size: array.length });
  return undefined;
}

export const authenticatorLargeBlobs = defineCommand<LargeBlobsRequest>({
  code: CTAP2_CMD.LARGE_BLOBS,
  name: 'authenticatorLargeBlobs',
  available: (profile) => speaksCtap21(profile) && profile.options.largeBlobs !== undefined,
  parse,
  handle(device, req): Ctap2Response {
    const maxFragmentLength = device.profile.limits.maxMsgSize - 64; // §6.10
    // Step 1: exactly one of get and set.
    if ((req.get === undefined) === (req.set === undefined)) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'exactly one of get and set');
    return req.get !== undefined ? read(device, { ...req, get: req.get }, maxFragmentLength) : write(device, { ...req, set: req.set! }, maxFragmentLength);
  },
  info(device, info) {
    // §6.4 0x0B: a key with largeBlobs states how much it stores.
    if (!info.members.has(GET_INFO.maxSerializedLargeBlobArray)) info.member(GET_INFO.maxSerializedLargeBlobArray, maxSerializedLargeBlobArray(device));
  },
});
