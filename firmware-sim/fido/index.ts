/** The simulated FIDO2/U2F authenticator. */
export { FidoAuthenticator, type FidoAuthenticatorOptions, type FidoEvent, RESET_WINDOW_MS, USER_PRESENCE_TIMEOUT_MS } from './authenticator.js';
export { DEFAULT_FIDO_PROFILE, FIDO_PROFILES, FIDO_QUIRKS, type FidoLimits, type FidoProfile, type FidoProfileOverrides, type FidoQuirk, fidoPersonality, fidoProfile, fidoProfileFromDevice } from './profile.js';
export { CREDENTIAL_ID_LENGTH } from './credential-id.js';
export type { UserVerifier, UserVerifierSource, UvOutcome } from './user-verification.js';
export { fingerprintVerifier } from './fingerprint-verifier.js';
export type { Extension, ExtensionContext, ExtensionOutputs } from './extensions/index.js';
export type { CredentialAlgorithm, CredentialKey } from './algorithms/index.js';
