/**
 * The messages a pinUvAuthParam authenticates in the sub-command families (CTAP 2.1 §6.7
 * bioEnrollment, §6.8 credentialManagement, §6.11 authenticatorConfig): fixed leading bytes,
 * then the CTAP2 canonical CBOR of subCommandParams when there are any. Both ends build them
 * here: the host to authenticate a request, the simulated key to verify it.
 *
 * @example
 * ```ts
 * authMessage([0x04], new Map([[0x01, rpIdHash]])); // enumerateCredentialsBegin
 * ```
 */
import { type CborValue, encodeCbor } from './cbor.js';

export function authMessage(head: readonly number[], params: ReadonlyMap<CborValue, CborValue> | undefined): Uint8Array {
  const tail = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
