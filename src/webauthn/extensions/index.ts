/**
 * The WebAuthn client extensions tokenrig maps to CTAP (WebAuthn L3 §9–§10, CTAP 2.1 §12), one
 * module each, and how a ceremony runs them: every module whose identifiers appear in the
 * request prepares (checks its input, adds authenticator inputs and token permissions), and
 * after the authenticator answered, finishes (the client extension outputs). Client
 * extensions no module knows are ignored, as WebAuthn clients do (§9.1). Adding one is a new
 * module and one line in this table.
 */
import { badInput } from '../../errors.js';
import type { CborValue } from '../../protocol/cbor.js';
import type { CredentialDescriptor } from '../../ctap/ctap2.js';
import { CRED_BLOB } from './cred-blob.js';
import { CRED_PROPS } from './cred-props.js';
import { CRED_PROTECT, credProtectLevel } from './cred-protect.js';
import type { ClientExtension, ClientExtensionContext, ClientExtensionResult, PreparedClientExtension } from './extension.js';
import { boolean, object } from './inputs.js';
import { LARGE_BLOB } from './large-blob.js';
import { MIN_PIN_LENGTH } from './min-pin-length.js';
import { PRF } from './prf.js';

export type { ClientExtension, ClientExtensionContext, ClientExtensionResult, PreparedClientExtension } from './extension.js';
export { prfSalt } from './prf.js';
export { CREDENTIAL_PROTECTION_POLICY, type CredentialProtectionPolicy } from './cred-protect.js';

/** The client extensions this client maps. */
export const CLIENT_EXTENSIONS: readonly ClientExtension[] = [
  PRF, //       prf (L3 §10.1.4), hmacCreateSecret, hmacGetSecret → hmac-secret, hmac-secret-mc
  LARGE_BLOB, // largeBlob (L3 §10.1.5) → largeBlobKey + authenticatorLargeBlobs
  CRED_BLOB, //  credBlob, getCredBlob (CTAP 2.1 §12.2) → credBlob
  CRED_PROTECT, // credentialProtectionPolicy, enforceCredentialProtectionPolicy (CTAP 2.1 §12.1) → credProtect
  MIN_PIN_LENGTH, // minPinLength (CTAP 2.1 §12.4) → minPinLength
  CRED_PROPS, // credProps (L3 §10.1.3): client-only
];

/**
 * The client extension results of a registration on a U2F key, which has no extensions:
 * credProps says the credential is not discoverable, an enforced credential protection above
 * userVerificationOptional is refused (UNSUPPORTED), anything else is ignored.
 */
export function u2fCreationResults(extensions: unknown): Record<string, unknown> {
  if (extensions === undefined) return {};
  const given = object(extensions, 'extensions');
  credProtectLevel(given, false);
  return given.credProps !== undefined && boolean(given.credProps, 'extensions.credProps') ? { credProps: { rk: false } } : {};
}

/** What the ceremony's extensions add to it, and how to collect their outputs. */
export interface PreparedExtensions {
  /** Whether any module takes part (else `finish` gives {}). */
  active: boolean;
  /** Authenticator extension inputs (empty when none). */
  inputs: Map<string, CborValue>;
  /** pinUvAuthToken permissions to add to mc/ga. */
  permissions: number;
  /** get: allowCredentials to send instead, when a module narrowed them. */
  allowCredentials: CredentialDescriptor[] | undefined;
  /** The client extension results (getClientExtensionResults, JSON form). */
  finish(result: ClientExtensionResult): Promise<Record<string, unknown>>;
  dispose(): void;
}

/** What a request without extensions prepares: nothing. */
const NONE: PreparedExtensions = Object.freeze({
  active: false,
  inputs: new Map<string, CborValue>(), // never written: callers only read it
  permissions: 0,
  allowCredentials: undefined,
  finish: () => Promise.resolve({}),
  dispose: () => {},
});

/** Prepare every module the request's `extensions` names; BAD_INPUT when `extensions` is no object. */
export async function prepareExtensions(extensions: unknown, ctx: () => ClientExtensionContext, modules: readonly ClientExtension[] = CLIENT_EXTENSIONS): Promise<PreparedExtensions> {
  // Most ceremonies ask for no extension: nothing to build.
  if (extensions === undefined) return NONE;
  const prepared: PreparedClientExtension[] = [];
  let context: ClientExtensionContext | undefined;
  const dispose = (): void => {
    for (const p of prepared) p.dispose?.();
  };
  if (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions)) throw badInput('extensions must be a JSON object');
  const given = extensions as Record<string, unknown>;
  try {
    for (const module of modules) {
      const mine = Object.fromEntries(module.ids.filter((id) => given[id] !== undefined).map((id) => [id, given[id]]));
      if (Object.keys(mine).length === 0) continue;
      const p = await module.prepare(mine, (context ??= ctx()));
      if (p !== undefined) prepared.push(p);
    }
  } catch (e) {
    dispose();
    throw e;
  }
  const inputs = new Map<string, CborValue>();
  let permissions = 0;
  let allowCredentials: CredentialDescriptor[] | undefined;
  for (const p of prepared) {
    for (const [k, v] of p.inputs ?? []) inputs.set(k, v);
    permissions |= p.permissions ?? 0;
    allowCredentials = p.allowCredentials ?? allowCredentials;
  }
  return {
    active: prepared.length > 0,
    inputs,
    permissions,
    allowCredentials,
    async finish(result) {
      const out: Record<string, unknown> = {};
      for (const p of prepared) Object.assign(out, await p.finish(result));
      return out;
    },
    dispose,
  };
}
