/** The simulated FIDO2/U2F authenticator. */
export { FidoAuthenticator, type FidoEvent, RESET_WINDOW_MS, USER_PRESENCE_TIMEOUT_MS } from './authenticator.js';
export { DEFAULT_FIDO_PROFILE, type FidoProfile, fidoProfile, fidoProfileFromDevice } from './profile.js';
export { CREDENTIAL_ID_LENGTH } from './credential-id.js';
