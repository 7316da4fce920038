/**
 * The WebAuthn registration extensions this client maps to CTAP and back (CTAP 2.1 §12.1
 * credProtect, §12.4 minPinLength; WebAuthn L3 §10.1.3 credProps):
 *
 * | WebAuthn input | CTAP authenticator input | client output |
 * |---|---|---|
 * | `credentialProtectionPolicy` (+ `enforceCredentialProtectionPolicy`) | `credProtect`: 1, 2 or 3 | none (the level is in authData) |
 * | `minPinLength: true` | `minPinLength: true` | none (the length is in authData) |
 * | `credProps: true` | — | `credProps: { rk }` |
 *
 * @example
 * ```ts
 * const ext = creationExtensions({ credentialProtectionPolicy: 'userVerificationRequired' }, info.extensions);
 * await ctap2.makeCredential({ ..., extensions: ext.authenticatorInputs });
 * ```
 */
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import type { CborValue } from '../protocol/cbor.js';

/** WebAuthn's credentialProtectionPolicy values and the CTAP levels they map to (CTAP 2.1 §12.1). */
export const CREDENTIAL_PROTECTION_POLICY = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
} as const;
export type CredentialProtectionPolicy = keyof typeof CREDENTIAL_PROTECTION_POLICY;

export interface CreationExtensions {
  /** The CTAP makeCredential extensions map. */
  authenticatorInputs: Map<string, CborValue>;
  /** The client extension outputs known before the ceremony; `finish` adds the rest. */
  finish(made: { discoverable: boolean }): Record<string, unknown>;
}

/**
 * Map the WebAuthn extension inputs of a create() for a key that supports the CTAP extensions
 * `supported` (getInfo `extensions`; empty for a U2F key). Unknown inputs are ignored, as
 * browsers do. enforceCredentialProtectionPolicy with a policy above userVerificationOptional
 * on a key without credProtect refuses the ceremony (CTAP 2.1 §12.1 "platform processing").
 */
export function creationExtensions(inputs: Record<string, unknown> | undefined, supported: readonly string[]): CreationExtensions {
  const authenticatorInputs = new Map<string, CborValue>();
  const ext = inputs ?? {};
  if (typeof ext !== 'object' || ext === null || Array.isArray(ext)) throw badInput('extensions must be a JSON object');
  const policy = ext.credentialProtectionPolicy;
  if (policy !== undefined) {
    if (typeof policy !== 'string' || !Object.hasOwn(CREDENTIAL_PROTECTION_POLICY, policy)) {
      throw badInput(`extensions.credentialProtectionPolicy must be one of ${Object.keys(CREDENTIAL_PROTECTION_POLICY).join(', ')}`);
    }
    const level = CREDENTIAL_PROTECTION_POLICY[policy as CredentialProtectionPolicy];
    if (ext.enforceCredentialProtectionPolicy !== undefined && typeof ext.enforceCredentialProtectionPolicy !== 'boolean') throw badInput('extensions.enforceCredentialProtectionPolicy must be a boolean');
    if (supported.includes('credProtect')) authenticatorInputs.set('credProtect', level);
    else if (ext.enforceCredentialProtectionPolicy === true && level > CREDENTIAL_PROTECTION_POLICY.userVerificationOptional) {
      throw new TokenrigError(ErrorCode.UNSUPPORTED, `the key cannot protect the credential (${policy}): it has no credProtect extension`);
    }
  }
  if (ext.minPinLength !== undefined) {
    if (typeof ext.minPinLength !== 'boolean') throw badInput('extensions.minPinLength must be a boolean');
    if (ext.minPinLength && supported.includes('minPinLength')) authenticatorInputs.set('minPinLength', true);
  }
  if (ext.credProps !== undefined && typeof ext.credProps !== 'boolean') throw badInput('extensions.credProps must be a boolean');
  const credProps = ext.credProps === true;
  return {
    authenticatorInputs,
    // WebAuthn §10.1.3: rk says whether the credential is client-side discoverable.
    finish: ({ discoverable }) => (credProps ? { credProps: { rk: discoverable } } : {}),
  };
}
