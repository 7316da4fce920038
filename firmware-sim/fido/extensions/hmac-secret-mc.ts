/**
 * hmac-secret-mc (CTAP 2.2 §12.8): hmac-secret's outputs already at makeCredential, so a
 * relying party gets its PRF value in the registration ceremony (WebAuthn's prf `results` at
 * create). The input is hmac-secret's getAssertion input (keyAgreement, saltEnc, saltAuth,
 * pinUvAuthProtocol) and must come with `"hmac-secret": true` in the same request; the output,
 * under "hmac-secret-mc" in the authenticator data, is what a getAssertion with the same salts
 * and the same UV state returns later for this credential.
 */
import { S, fail } from '../errors.js';
import type { Extension } from './extension.js';
import { type HmacSecretInput, hmacSecretOutput, parseHmacSecretInput } from './hmac-secret.js';

export const HMAC_SECRET_MC: Extension<HmacSecretInput> = {
  id: 'hmac-secret-mc',
  parseMakeCredential: (v) => parseHmacSecretInput(v, 'hmac-secret-mc'),
  makeCredential(device, input, ctx) {
    // §12.8: the credential must get its CredRandoms in this very request.
    if (ctx.inputs.get('hmac-secret') !== true) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'hmac-secret-mc needs "hmac-secret": true');
    return { output: hmacSecretOutput(device, input, ctx) };
  },
};
