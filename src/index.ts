/**
 * tokenrig's public API: the OTP core and clocks (pure), and the host side — transports,
 * device specs, the OTP token driver, CTAPHID, CTAP1/2, ClientPIN and the WebAuthn client.
 * The device side (simulated tokens and authenticators) is `firmware-sim/`.
 *
 * @example
 * ```ts
 * import { openOtpTokenDriver } from 'tokenrig';
 * const token = await openOtpTokenDriver('serial:/dev/pts/3');
 * console.log(await token.press()); // the six digits the token shows
 * ```
 */
export * from './errors.js';
export * from './clock/index.js';
export * from './otp/index.js';
export { type HidTransport, HID_REPORT_SIZE } from './transports/hid-transport.js';
export type { SerialTransport } from './transports/serial-transport.js';
export { type DeviceSpec, parseDeviceSpec, openHidTransport, openSerialTransport } from './transports/device-spec.js';
export { type DiscoveredDevice, discoverDevices } from './transports/discovery.js';
export { MemoryHidTransport } from './transports/memory-hid-transport.js';
export { UdpHidTransport, SOLOKEYS_DEVICE_PORT, SOLOKEYS_HOST_PORT } from './transports/udp-hid-transport.js';
export { type OtpTokenDriver, SerialOtpTokenDriver, HidOtpTokenDriver, KeyboardCodeReader, openOtpTokenDriver } from './drivers/otp-token-driver.js';
export { CtapHidDevice } from './drivers/ctaphid-device.js';
export { Ctap1 } from './ctap/ctap1.js';
export { Ctap2, PROTOTYPE_CMD, type Ctap2Info, type MakeCredentialParams, type MakeCredentialResult, type GetAssertionParams, type AssertionResult } from './ctap/ctap2.js';
export { ClientPin, PERMISSION, type Permissions, permissionBits } from './ctap/client-pin.js';
export type { CredentialManagementRequest, CredentialManagementResponse } from './ctap/credential-management.js';
export type { BioEnrollmentRequest, BioEnrollmentResponse } from './ctap/bio-enrollment.js';
export { FingerprintEnrollment, type FingerprintSensorInfo, type EnrollSample, type TemplateInfo, enrollSampleStatusName } from './ctap/fingerprint-enrollment.js';
export { obtainPinUvAuthToken, type ObtainedToken, type TokenRequest } from './ctap/user-verification.js';
export type { LargeBlobsRequest, LargeBlobsResponse } from './ctap/large-blobs.js';
export { LargeBlobArray, type LargeBlobArrayContents, type LargeBlobWriteAuth, encryptLargeBlob, decryptLargeBlob } from './ctap/large-blob-array.js';
export { HmacSecretSalts, type HmacSecretOutputs } from './ctap/hmac-secret.js';
export { verifyCredentialSignature } from './ctap/credential-signature.js';
export { type AuthenticatorData, type AttestedCredentialData, AUTH_DATA_FLAG, parseAuthenticatorData } from './protocol/authenticator-data.js';
export { COSE_ALG, COSE_CRV, COSE_KTY, type CosePublicKey, decodeCoseKey, encodeCoseKey } from './protocol/cose.js';
export { coseKeyToSpki } from './protocol/spki.js';
export type { ConfigRequest } from './ctap/authenticator-config.js';
export { CredentialManager, type CredentialManagerOptions, type ManagedCredential } from './ctap/credential-manager.js';
export { ConfigManager, type ConfigManagerOptions } from './ctap/config-manager.js';
export * from './webauthn/index.js';
