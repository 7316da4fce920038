/**
 * The credProtect extension (CTAP 2.1 §12.1): the RP asks, at creation, how well a credential
 * hides from platforms that have not verified the user. The level is sealed into the
 * credential ID (so it travels with resident and non-resident credentials alike) and enforced
 * where credentials are located: getAssertion step 7 (§6.2.2 steps 7.4–7.5) and the
 * excludeList of makeCredential (§6.1.2 step 12). Credential management reports it (§6.8.4).
 *
 * | level | policy | usable without UV |
 * |---|---|---|
 * | 1 | userVerificationOptional | always |
 * | 2 | userVerificationOptionalWithCredentialIDList | only when the platform names it (allowList, excludeList) |
 * | 3 | userVerificationRequired | never |
 */
import type { CborValue } from '../../../src/protocol/cbor.js';
import { CREDENTIAL_MANAGEMENT_RESPONSE } from '../../../src/protocol/ctap2-parameters.js';
import { uint } from '../cbor-params.js';
import { S, fail } from '../errors.js';
import type { Extension } from './extension.js';

/** The credProtect levels (CTAP 2.1 §12.1 "credentialProtectionPolicy"). */
export const CRED_PROTECT = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
} as const;

/** The level stored with a credential; 1 when it was made without the extension. */
export function credProtectLevel(stored: CborValue | undefined): number {
  return typeof stored === 'number' && stored >= 1 && stored <= 3 ? stored : CRED_PROTECT.userVerificationOptional;
}

export const CRED_PROTECT_EXTENSION: Extension<number> = {
  id: 'credProtect',
  parseMakeCredential(input) {
    const level = uint(input, 'extensions.credProtect');
    // A value that names no policy is refused as OpenSK and YubiKeys do; the spec defines only 1..3.
    if (level < 1 || level > 3) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'credProtect must be 1, 2 or 3');
    return level;
  },
  makeCredential: (_device, level) => ({ stored: level, output: level }),
  // §6.8.4: every credential has a level; one made without the extension has level 1.
  credentialManagement: (stored) => new Map([[CREDENTIAL_MANAGEMENT_RESPONSE.credProtect, credProtectLevel(stored)]]),
  applicable(stored, ctx) {
    const level = credProtectLevel(stored);
    if (level === CRED_PROTECT.userVerificationRequired) return ctx.uv;
    if (level === CRED_PROTECT.userVerificationOptionalWithCredentialIDList) return ctx.uv || ctx.credentialListGiven;
    return true;
  },
};
