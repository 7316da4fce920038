/**
 * Credential IDs that carry their own private key: the key is wrapped with AES-256-GCM under
 * the device master key, with the RP ID hash (or U2F application parameter) as associated
 * data, so an ID only opens for the RP it was made for. Nothing per credential is stored.
 *
 * Layout: version 0x01 ‖ nonce (12) ‖ AES-GCM(private scalar (32)) ‖ tag (16) = 61 bytes.
 */
import { gcm } from '@noble/ciphers/aes.js';

export const CREDENTIAL_ID_LENGTH = 61;
const VERSION = 0x01;

export function wrapCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, privateKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  const sealed = gcm(masterKey, nonce, rpIdHash).encrypt(privateKey);
  const out = new Uint8Array(1 + 12 + sealed.length);
  out[0] = VERSION;
  out.set(nonce, 1);
  out.set(sealed, 13);
  return out;
}

/** The private scalar inside `id`, or undefined when the id is not ours or not for this RP. */
export function unwrapCredential(masterKey: Uint8Array, rpIdHash: Uint8Array, id: Uint8Array): Uint8Array | undefined {
  if (id.length !== CREDENTIAL_ID_LENGTH || id[0] !== VERSION) return undefined;
  try {
    return gcm(masterKey, id.subarray(1, 13), rpIdHash).decrypt(id.subarray(13));
  } catch {
    return undefined;
  }
}
