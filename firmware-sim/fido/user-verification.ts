/**
 * Built-in user verification (CTAP 2.1 §6.1.2 steps 5.3, 11.2, 13; §6.2.2 steps 4.3, 6.2, 8):
 * the hook makeCredential and getAssertion call when the platform asks for `uv: true`. A key
 * without a sensor has no verifier, and `uv: true` is CTAP2_ERR_INVALID_OPTION; a key with one
 * (a fingerprint sensor) supplies a `UserVerifier` through FidoAuthenticator.create.
 */
import type { CtapHidContext } from '../ctaphid/index.js';

export interface UserVerifier {
  /** Whether built-in UV is set up now (the uv option's live value: a finger is enrolled). */
  configured(): boolean;
  /**
   * performBuiltInUv (§6.5.2 "uvRetries"): resolves when the user is verified (which is also
   * evidence of presence, §6.1.2 step 13), throws the spec's status otherwise
   * (CTAP2_ERR_USER_ACTION_TIMEOUT, CTAP2_ERR_PIN_BLOCKED / UV_BLOCKED, CTAP2_ERR_OPERATION_DENIED).
   */
  verify(ctx: CtapHidContext, why: string): Promise<void>;
}
