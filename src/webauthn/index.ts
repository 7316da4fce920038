/** WebAuthn client: JSON options + origin → standard JSON responses over a FIDO key. */
export { WebAuthnClient, type CeremonyOptions, type WebAuthnClientOptions } from './client.js';
export { checkRpId, parseOrigin } from './origin.js';
export { fromBase64Url, toBase64Url } from './base64url.js';
export type * from './types.js';
export { CLIENT_EXTENSIONS, CREDENTIAL_PROTECTION_POLICY, type ClientExtension, type CredentialProtectionPolicy, prfSalt } from './extensions/index.js';
