/**
 * A YubiKey Bio Series (FIDO Edition, firmware 5.5): a CTAP 2.1 key with a fingerprint sensor.
 *
 * What the real key reports comes from a getInfo response captured from one, published as a test
 * vector in gebogebogebo/ctap-hid-fido2 (src/fidokey/get_info.rs,
 * test_get_info_response_parse_cbor_yubikey_bio) and kept in
 * test/vectors/yubikey-bio-getinfo.json: versions U2F_V2, FIDO_2_0, FIDO_2_1_PRE, FIDO_2_1;
 * options rk, up, uv, plat=false, uvToken, alwaysUv, credMgmt, authnrCfg, bioEnroll, clientPin,
 * largeBlobs, pinUvAuthToken, setMinPINLength, makeCredUvNotRqd=false, credentialMgmtPreview,
 * userVerificationMgmtPreview; maxMsgSize 1200; PIN/UV auth protocols [2, 1];
 * maxCredentialCountInList 8; maxCredentialIdLength 128; transports usb; algorithms ES256 and
 * EdDSA; minPINLength 4; firmwareVersion 5.5.6; preferredPlatformUvAttempts 3; uvModality 2
 * (USER_VERIFY_FINGERPRINT_INTERNAL); 25 discoverable credentials (remainingDiscoverableCredentials).
 * Yubico documents up to five fingerprints and a fall back to the PIN after three failed
 * matches (the Bio's PIV metadata reports 0..3 retries), hence maxTemplates 5 and maxUvRetries 3.
 *
 * This profile states what this firmware implements of that; the test that compares its getInfo
 * with the captured one names every member that differs (credBlob is left out, see below). The sensor's enrollment numbers
 * (samples per enrollment, friendly-name length, internal retries) are not published: they are
 * this simulator's choice.
 */
import type { FidoProfile } from '../fido-profile.js';

export const YUBIKEY_BIO_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'YubiKey Bio (FIDO Edition), firmware 5.5: CTAP 2.1 with a fingerprint sensor (--uv)',
  aaguid: 'd8522d9f575b486688a9ba99fa02f35b',
  // A FIDO-only YubiKey's USB identity.
  vendorId: 0x1050,
  productId: 0x0402,
  manufacturer: 'Yubico',
  product: 'YubiKey FIDO',
  attestation: 'batch',
  firmwareVersion: [5, 5, 6] as const,
  versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'] as const,
  // The real key also lists credBlob (before minPinLength) with maxCredBlobLength 32: this
  // firmware seals a credBlob in the credential ID, and 32 bytes of it would make IDs longer than
  // the 128 bytes the real key reports (maxCredentialIdLength, which platforms size allowLists
  // by), so this personality leaves it out.
  extensions: ['credProtect', 'hmac-secret', 'largeBlobKey', 'minPinLength'],
  algorithms: [-7, -8], // ES256, EdDSA
  // Factory state: no finger enrolled (uv, bioEnroll false), no PIN (clientPin false), alwaysUv
  // off (the captured key had turned it on with authenticatorConfig: the test does the same).
  options: {
    rk: true,
    up: true,
    uv: false,
    plat: false,
    uvToken: true,
    alwaysUv: false,
    credMgmt: true,
    authnrCfg: true,
    bioEnroll: false,
    clientPin: false,
    largeBlobs: true,
    pinUvAuthToken: true,
    setMinPINLength: true,
    makeCredUvNotRqd: false,
    credentialMgmtPreview: true,
    userVerificationMgmtPreview: false,
  },
  pinUvAuthProtocols: [2, 1] as const,
  transports: ['usb'],
  limits: {
    maxMsgSize: 1200,
    maxCredentialCountInList: 8,
    maxCredentialIdLength: 128,
    maxDiscoverableCredentials: 25,
    reportsRemainingDiscoverableCredentials: true,
    minPINLength: 4,
    preferredPlatformUvAttempts: 3,
    maxSerializedLargeBlobArray: 1024,
    maxRPIDsForSetMinPINLength: 1,
  },
  uvModality: 2,
  fingerprintSensor: {
    fingerprintKind: 1,
    maxCaptureSamplesRequiredForEnroll: 5,
    maxTemplateFriendlyName: 64,
    maxTemplates: 5,
    maxUvRetries: 3,
    maxUvAttemptsForInternalRetries: 3,
  },
  quirks: [],
} satisfies FidoProfile);
