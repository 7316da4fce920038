/**
 * credProtect (CTAP 2.1 §12.1) as WebAuthn clients expose it: `credentialProtectionPolicy`
 * names how well the new credential hides from platforms that have not verified the user,
 * sent as the authenticator's `credProtect` level; the level comes back in the authenticator
 * data, so there is no client output. `enforceCredentialProtectionPolicy: true` with a policy
 * above userVerificationOptional refuses the ceremony on a key without credProtect (§12.1
 * "platform processing"); without it, such a key makes an unprotected credential.
 */
import type { CborValue } from '../../protocol/cbor.js';
import { badInput } from '../../errors.js';
import type { ClientExtension } from './extension.js';
import { boolean, notSupported } from './inputs.js';

/** WebAuthn's credentialProtectionPolicy values and the CTAP levels they map to (CTAP 2.1 §12.1). */
export const CREDENTIAL_PROTECTION_POLICY = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
} as const;
export type CredentialProtectionPolicy = keyof typeof CREDENTIAL_PROTECTION_POLICY;

/**
 * The credProtect level to send a key that has (`supported`) or lacks the extension, or
 * undefined when none is sent; BAD_INPUT for a malformed input, UNSUPPORTED when an enforced
 * policy cannot be kept.
 */
export function credProtectLevel(inputs: Readonly<Record<string, unknown>>, supported: boolean): number | undefined {
  const policy = inputs.credentialProtectionPolicy;
  const enforce = inputs.enforceCredentialProtectionPolicy === undefined ? false : boolean(inputs.enforceCredentialProtectionPolicy, 'extensions.enforceCredentialProtectionPolicy');
  if (policy === undefined) return undefined;
  if (typeof policy !== 'string' || !Object.hasOwn(CREDENTIAL_PROTECTION_POLICY, policy)) {
    throw badInput(`extensions.credentialProtectionPolicy must be one of ${Object.keys(CREDENTIAL_PROTECTION_POLICY).join(', ')}`);
  }
  const level = CREDENTIAL_PROTECTION_POLICY[policy as CredentialProtectionPolicy];
  if (supported) return level;
  if (enforce && level > CREDENTIAL_PROTECTION_POLICY.userVerificationOptional) throw notSupported(`the key cannot protect the credential (${policy}): it has no credProtect extension`);
  return undefined;
}

export const CRED_PROTECT: ClientExtension = {
  ids: ['credentialProtectionPolicy', 'enforceCredentialProtectionPolicy'],
  prepare(inputs, ctx) {
    if (ctx.ceremony !== 'create') return undefined; // a registration extension: ignored in get()
    const level = credProtectLevel(inputs, ctx.info.extensions.includes('credProtect'));
    return level === undefined ? undefined : { inputs: new Map<string, CborValue>([['credProtect', level]]), finish: () => ({}) };
  },
};
