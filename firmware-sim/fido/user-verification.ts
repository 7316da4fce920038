/**
 * Built-in user verification (CTAP 2.1 §6.5.2.2 "uvRetries", performBuiltInUv): the hook a
 * key's own verification method (a fingerprint sensor: fingerprint-verifier.ts) plugs into, and
 * how makeCredential and getAssertion turn its outcome into their answer (§6.1.2 steps 5.3,
 * 11.2, 13; §6.2.2 steps 4.3, 6.2, 8). clientPIN's getPinUvAuthTokenUsingUvWithPermissions maps
 * the same outcome its own way (§6.5.5.7.3 step 10). A key without a verifier refuses
 * `uv: true` with CTAP2_ERR_INVALID_OPTION.
 */
import type { CtapHidContext } from '../ctaphid/index.js';
import type { FidoDevice } from './device.js';
import { S, fail } from './errors.js';

/** How performBuiltInUv ended: a match, nobody touched in time, or no match (retries spent). */
export type UvOutcome = 'verified' | 'timeout' | 'failed';

export interface UserVerifier {
  /** Whether built-in UV is set up now (the uv option's live value: a finger is enrolled). */
  configured(): boolean;
  /** uvRetries: failed attempts left before built-in UV is blocked (0: blocked until the PIN is entered). */
  retries(): number;
  /** A correct PIN entry restores uvRetries, even after they ran out (§6.5.2.2). */
  restore(): void;
  /**
   * performBuiltInUv(internalRetry): ask for the user's finger (keepalive UPNEEDED), match it;
   * with `internalRetry` try up to maxUvAttemptsForInternalRetries times. Every failed match
   * spends one of uvRetries; a match restores them. A verification is also evidence of presence
   * (§6.1.2 step 13). Throws CTAP2_ERR_KEEPALIVE_CANCEL when the host cancels.
   */
  perform(ctx: CtapHidContext, why: string, internalRetry: boolean): Promise<UvOutcome>;
}

/** A verifier, or one made for the device it serves (built-in UV reads the device's templates and retries). */
export type UserVerifierSource = UserVerifier | ((device: FidoDevice) => UserVerifier);

/**
 * `uv: true` in makeCredential (§6.1.2 step 11.2) and getAssertion (§6.2.2 step 6.2):
 * performBuiltInUv with internal retries; on failure USER_ACTION_TIMEOUT for a timeout,
 * PUAT_REQUIRED when the PIN may be used instead (clientPin true, noMcGaPermissionsWithClientPin
 * absent or false), PIN_BLOCKED when uvRetries ran out, OPERATION_DENIED otherwise.
 */
export async function verifyBuiltIn(device: FidoDevice, ctx: CtapHidContext, why: string): Promise<void> {
  const verifier = device.userVerifier;
  if (verifier === undefined) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'uv: no built-in user verification');
  const outcome = await verifier.perform(ctx, why, true);
  if (outcome === 'verified') return;
  if (outcome === 'timeout') throw fail(S.CTAP2_ERR_USER_ACTION_TIMEOUT);
  if (device.pinIsSet && device.profile.options.noMcGaPermissionsWithClientPin !== true) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
  if (verifier.retries() === 0) throw fail(S.CTAP2_ERR_PIN_BLOCKED);
  throw fail(S.CTAP2_ERR_OPERATION_DENIED);
}
