/** Readers for client extension inputs in their JSON form (WebAuthn L3 §5.1.8: binary values base64url). */
import { TokenrigError, ErrorCode, badInput } from '../../errors.js';
import { fromBase64Url } from '../base64url.js';

/** A plain JSON object, or BAD_INPUT naming `what`. */
export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badInput(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw badInput(`${what} must be true or false`);
  return v;
}

/** A base64url string's bytes; `length` when it must have exactly that many. */
export function binary(v: unknown, what: string, length?: number): Uint8Array {
  const b = fromBase64Url(v, what);
  if (length !== undefined && b.length !== length) throw badInput(`${what} must be ${length} bytes, got ${b.length}`);
  return b;
}

/** What WebAuthn answers with NotSupportedError: one line, UNSUPPORTED. */
export function notSupported(message: string): TokenrigError {
  return new TokenrigError(ErrorCode.UNSUPPORTED, message);
}
