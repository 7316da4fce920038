/**
 * credBlob (CTAP 2.1 §12.2): a small opaque blob the relying party stores with a credential at
 * creation and reads back at assertion (`getCredBlob`). At most maxCredBlobLength bytes (the
 * profile's limit, at least 32; getInfo 0x0F): a longer one is not stored and the output is
 * `false`. The blob travels sealed in the credential ID, so non-discoverable credentials
 * carry one too; an assertion of a credential without one answers an empty byte string.
 */
import { GET_INFO } from '../../../src/protocol/ctap2-parameters.js';
import { bool, bytes } from '../cbor-params.js';
import type { FidoDevice } from '../device.js';
import type { Extension } from './extension.js';

/** §6.4: an authenticator with credBlob stores at least 32 bytes. */
export const MIN_CRED_BLOB_LENGTH = 32;

function maxCredBlobLength(device: FidoDevice): number {
  return device.profile.limits.maxCredBlobLength ?? MIN_CRED_BLOB_LENGTH;
}

const EMPTY = new Uint8Array(0);

export const CRED_BLOB: Extension<Uint8Array, boolean> = {
  id: 'credBlob',
  getAssertionInputId: 'getCredBlob',
  info(device, info) {
    // getInfo states the limit whenever the key has credBlob (§6.4 0x0F).
    if (!info.members.has(GET_INFO.maxCredBlobLength)) info.member(GET_INFO.maxCredBlobLength, maxCredBlobLength(device));
  },
  parseMakeCredential: (v) => bytes(v, 'credBlob'),
  makeCredential: (device, blob) => (blob.length <= maxCredBlobLength(device) ? { stored: blob, output: true } : { output: false }),
  parseGetAssertion: (v) => bool(v, 'getCredBlob'),
  getAssertion: (_device, wanted, stored) => (wanted ? { output: stored instanceof Uint8Array ? stored : EMPTY } : {}),
};
