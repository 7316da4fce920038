/** base64url without padding (RFC 4648 §5), as WebAuthn's JSON forms use it. */
import { badInput } from '../errors.js';

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

/** Decode base64url (padding tolerated); BAD_INPUT naming `what` when it is not base64url. */
export function fromBase64Url(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw badInput(`${what} must be a base64url string`);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
