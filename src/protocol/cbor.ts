/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8 "Message Encoding", "CTAP2 canonical CBOR encoding form"),
 * integers and lengths in their shortest form, no indefinite lengths, map keys sorted by
 * major type, then length, then bytes (RFC 7049 §3.9 "length-first"), no duplicate keys, no
 * tags, no floating point. Maps decode to `Map` because CTAP2 keys are integers.
 *
 * Decoding uses cborg in its strict mode; the value is then re-encoded and compared byte for
 * byte, which rejects every non-canonical form a decoder alone would accept. Encoding uses
 * our own canonical encoder (./cbor-encode.ts), held byte-equal to cborg's by a property test.
 *
 * @example
 * ```ts
 * const bytes = encodeCbor(new Map<number, unknown>([[1, 'fido'], [2, new Uint8Array(32)]]));
 * const back = decodeCbor(bytes) as Map<number, unknown>;
 * ```
 */
import { decode, decodeFirst } from 'cborg';
import { encodeCanonical } from './cbor-encode.js';

/** A CTAP2 CBOR value as decoded: maps become `Map`. */
export type CborValue = number | bigint | string | boolean | null | Uint8Array | CborValue[] | Map<CborValue, CborValue>;

/** A CBOR input that is not canonical, malformed, or has duplicate keys. */
export class CborError extends Error {
  override readonly name = 'CborError';
}

const DECODE_OPTIONS = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  tags: [],
} as const;

/** Encode a value in CTAP2 canonical form. `Map` and plain objects become CBOR maps. */
export function encodeCbor(value: unknown): Uint8Array {
  return encodeCanonical(value);
}

/** Decode one canonical CBOR item filling all of `bytes`; throws `CborError` otherwise. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  let value: CborValue;
  try {
    value = decode(bytes, DECODE_OPTIONS) as CborValue;
  } catch (e) {
    throw new CborError(`invalid CBOR: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let again: Uint8Array;
  try {
    again = encodeCanonical(value);
  } catch (e) {
    throw new CborError('CBOR value cannot be re-encoded canonically', { cause: e });
  }
  if (!bytesEqual(again, bytes)) throw new CborError('CBOR is not in CTAP2 canonical form');
  return value;
}

/**
 * Decode the canonical CBOR item at the start of `bytes` and say how many bytes it took (the
 * COSE key in attested credential data is followed by the extensions map, WebAuthn §6.5.1).
 * Throws `CborError` when there is no whole item or it is not canonical.
 */
export function decodeCborPrefix(bytes: Uint8Array): { value: CborValue; length: number } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  let value: CborValue;
  let rest: Uint8Array;
  try {
    [value, rest] = decodeFirst(bytes, DECODE_OPTIONS) as [CborValue, Uint8Array];
  } catch (e) {
    throw new CborError(`invalid CBOR: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const length = bytes.length - rest.length;
  let again: Uint8Array;
  try {
    again = encodeCanonical(value);
  } catch (e) {
    throw new CborError('CBOR value cannot be re-encoded canonically', { cause: e });
  }
  if (!bytesEqual(again, bytes.subarray(0, length))) throw new CborError('CBOR is not in CTAP2 canonical form');
  return { value, length };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The value as a Map, or a `CborError` naming `what`. */
export function cborMap(value: CborValue | undefined, what: string): Map<CborValue, CborValue> {
  if (!(value instanceof Map)) throw new CborError(`${what} must be a CBOR map`);
  return value;
}
