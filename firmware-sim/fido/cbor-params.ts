/**
 * Typed readers for CTAP2 request parameters (CTAP 2.1 §6, §8): every command's parser reads
 * its CBOR map with these, so a missing required member is CTAP2_ERR_MISSING_PARAMETER and a
 * member of the wrong CBOR type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE everywhere, including the
 * members of rp, user, credential descriptors, options and the extensions map.
 *
 * @example
 * ```ts
 * const rpId = text(params.get(GET_ASSERTION.rpId), 'rpId');
 * const allowList = optional(params.get(GET_ASSERTION.allowList), (v) => descriptors(v, 'allowList'));
 * ```
 */
import type { CborValue } from '../../src/protocol/cbor.js';
import { S, fail } from './errors.js';

/** A decoded CTAP2 parameter map. */
export type CborParams = Map<CborValue, CborValue>;

/** A PublicKeyCredentialDescriptor (WebAuthn §5.10.3) as CTAP carries it. */
export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

/** The pinUvAuthParam / pinUvAuthProtocol pair most commands carry. */
export interface PinUvAuthParams {
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

function missing(what: string): never {
  throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
}

function wrongType(what: string): never {
  throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
}

/** `read(v)` when `v` is present, undefined otherwise. */
export function optional<T>(v: CborValue | undefined, read: (v: CborValue) => T): T | undefined {
  return v === undefined ? undefined : read(v);
}

export function bytes(v: CborValue | undefined, what: string): Uint8Array {
  if (v === undefined) missing(what);
  if (!(v instanceof Uint8Array)) wrongType(what);
  return v;
}

export function text(v: CborValue | undefined, what: string): string {
  if (v === undefined) missing(what);
  if (typeof v !== 'string') wrongType(what);
  return v;
}

/** A CBOR unsigned integer (major type 0) that fits a JavaScript number. */
export function uint(v: CborValue | undefined, what: string): number {
  if (v === undefined) missing(what);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) wrongType(what);
  return v;
}

/** A CBOR integer of either sign (major type 0 or 1), e.g. a COSE algorithm identifier. */
export function int(v: CborValue | undefined, what: string): number {
  if (v === undefined) missing(what);
  if (typeof v !== 'number' || !Number.isInteger(v)) wrongType(what);
  return v;
}

export function bool(v: CborValue | undefined, what: string): boolean {
  if (v === undefined) missing(what);
  if (typeof v !== 'boolean') wrongType(what);
  return v;
}

export function map(v: CborValue | undefined, what: string): CborParams {
  if (v === undefined) missing(what);
  if (!(v instanceof Map)) wrongType(what);
  return v;
}

export function array(v: CborValue | undefined, what: string): CborValue[] {
  if (v === undefined) missing(what);
  if (!Array.isArray(v)) wrongType(what);
  return v;
}

/** A CBOR map whose keys are all text strings (rp, user, options, extensions). */
export function textKeyed(v: CborValue | undefined, what: string): Map<string, CborValue> {
  const m = map(v, what);
  for (const k of m.keys()) if (typeof k !== 'string') wrongType(`${what} key`);
  return m as Map<string, CborValue>;
}

/** A list of PublicKeyCredentialDescriptors: type and id required, transports an array of text. */
export function descriptors(v: CborValue | undefined, what: string): CredentialDescriptor[] {
  return array(v, what).map((d) => {
    const m = textKeyed(d, what);
    const out: CredentialDescriptor = { type: text(m.get('type'), `${what}.type`), id: bytes(m.get('id'), `${what}.id`) };
    const transports = m.get('transports');
    if (transports !== undefined) out.transports = array(transports, `${what}.transports`).map((t) => text(t, `${what}.transports`));
    return out;
  });
}

/** The options map: text keys, boolean values (CTAP 2.1 §6.1.2 step 5, §6.2.2 step 4). */
export function options(v: CborValue | undefined): Record<string, boolean> {
  if (v === undefined) return {};
  const out: Record<string, boolean> = {};
  for (const [k, val] of textKeyed(v, 'options')) out[k] = bool(val, `options.${k}`);
  return out;
}

/** pinUvAuthParam (bytes) and pinUvAuthProtocol (uint) under the command's own keys. */
export function pinUvAuthParams(params: CborParams, paramKey: number, protocolKey: number): PinUvAuthParams {
  const out: PinUvAuthParams = {};
  const p = optional(params.get(paramKey), (v) => bytes(v, 'pinUvAuthParam'));
  const v = optional(params.get(protocolKey), (x) => uint(x, 'pinUvAuthProtocol'));
  if (p !== undefined) out.pinUvAuthParam = p;
  if (v !== undefined) out.pinUvAuthProtocol = v;
  return out;
}
