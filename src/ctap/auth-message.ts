/**
 * The messages a pinUvAuthParam authenticates in the sub-command families (CTAP 2.1 §6.7,
 * §6.8, §6.11): fixed leading bytes, then the CBOR of subCommandParams when there are any.
 */
import { type CborValue, encodeCbor } from '../protocol/cbor.js';

export function authMessage(head: readonly number[], params: Map<number, CborValue> | undefined): Uint8Array {
  const tail = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
