/** The device side of CTAPHID, shared by the FIDO authenticator and the OTP token's vendor interface. */
export * from './ctaphid-firmware.js';
