/**
 * largeBlobKey (CTAP 2.1 §12.3): a 32-byte key per discoverable credential with which the
 * platform encrypts the credential's entry in the large-blob array (authenticatorLargeBlobs,
 * ../commands/large-blobs.ts). Returned outside the authenticator data: makeCredential
 * response member 0x05, getAssertion member 0x07, credentialManagement member 0x0B.
 *
 * The input must be `true` (CTAP2_ERR_INVALID_OPTION otherwise), and only discoverable
 * credentials get a key (a non-discoverable one is CTAP2_ERR_INVALID_OPTION too: §12.3 ties
 * large blobs to credentials the platform can enumerate). The key is derived from the
 * credential's private key; the credential ID carries only the flag that it has one.
 */
import { CREDENTIAL_MANAGEMENT_RESPONSE, GET_ASSERTION_RESPONSE, MAKE_CREDENTIAL_RESPONSE } from '../../../src/protocol/ctap2-parameters.js';
import { bool } from '../cbor-params.js';
import { credentialSecret } from '../credential-id.js';
import { S, fail } from '../errors.js';
import type { Extension } from './extension.js';

const LABEL = 'largeBlobKey';

export const LARGE_BLOB_KEY: Extension<boolean, boolean> = {
  id: 'largeBlobKey',
  parseMakeCredential: (v) => bool(v, 'largeBlobKey'),
  makeCredential(_device, wanted, ctx) {
    if (!wanted) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'largeBlobKey must be true');
    if (!ctx.discoverable) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'largeBlobKey needs a discoverable credential');
    return { stored: true, response: new Map([[MAKE_CREDENTIAL_RESPONSE.largeBlobKey, ctx.credentialSecret(LABEL)]]) };
  },
  parseGetAssertion: (v) => bool(v, 'largeBlobKey'),
  getAssertion(_device, wanted, stored, ctx) {
    if (!wanted) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'largeBlobKey must be true');
    return stored === true ? { response: new Map([[GET_ASSERTION_RESPONSE.largeBlobKey, ctx.credentialSecret(LABEL)]]) } : {};
  },
  // §6.8.4: enumerateCredentials reports the key of a credential made with one (0x0B).
  credentialManagement: (stored, credential) => (stored === true ? new Map([[CREDENTIAL_MANAGEMENT_RESPONSE.largeBlobKey, credentialSecret(credential.privateKey, LABEL)]]) : undefined),
};
