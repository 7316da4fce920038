/**
 * CTAP2 parameter and response member keys, sub-command numbers, pinUvAuthToken permissions
 * and getInfo option IDs, named as in CTAP 2.1 §6 (and CTAP 2.2 where it adds members). The
 * vocabulary both ends share: the simulated authenticator parses with it, the host client
 * builds requests and reads responses with it. Pure constants, no behaviour.
 *
 * @example
 * ```ts
 * params.set(MAKE_CREDENTIAL.pinUvAuthParam, param); // 0x08
 * if ((permissions & PERMISSION.cm) !== 0) ...
 * ```
 */

/** authenticatorMakeCredential (0x01) parameters (CTAP 2.1 §6.1, CTAP 2.2 adds 0x0B). */
export const MAKE_CREDENTIAL = {
  clientDataHash: 0x01,
  rp: 0x02,
  user: 0x03,
  pubKeyCredParams: 0x04,
  excludeList: 0x05,
  extensions: 0x06,
  options: 0x07,
  pinUvAuthParam: 0x08,
  pinUvAuthProtocol: 0x09,
  enterpriseAttestation: 0x0a,
  attestationFormatsPreference: 0x0b,
} as const;

/** authenticatorMakeCredential response members (CTAP 2.1 §6.1, CTAP 2.2 adds 0x06). */
export const MAKE_CREDENTIAL_RESPONSE = {
  fmt: 0x01,
  authData: 0x02,
  attStmt: 0x03,
  epAtt: 0x04,
  largeBlobKey: 0x05,
  unsignedExtensionOutputs: 0x06,
} as const;

/** authenticatorGetAssertion (0x02) parameters (CTAP 2.1 §6.2). */
export const GET_ASSERTION = {
  rpId: 0x01,
  clientDataHash: 0x02,
  allowList: 0x03,
  extensions: 0x04,
  options: 0x05,
  pinUvAuthParam: 0x06,
  pinUvAuthProtocol: 0x07,
} as const;

/** authenticatorGetAssertion / getNextAssertion response members (CTAP 2.1 §6.2, CTAP 2.2 adds 0x08). */
export const GET_ASSERTION_RESPONSE = {
  credential: 0x01,
  authData: 0x02,
  signature: 0x03,
  user: 0x04,
  numberOfCredentials: 0x05,
  userSelected: 0x06,
  largeBlobKey: 0x07,
  unsignedExtensionOutputs: 0x08,
} as const;

/** authenticatorGetInfo response members (CTAP 2.1 §6.4; 0x16..0x1D are CTAP 2.2). */
export const GET_INFO = {
  versions: 0x01,
  extensions: 0x02,
  aaguid: 0x03,
  options: 0x04,
  maxMsgSize: 0x05,
  pinUvAuthProtocols: 0x06,
  maxCredentialCountInList: 0x07,
  maxCredentialIdLength: 0x08,
  transports: 0x09,
  algorithms: 0x0a,
  maxSerializedLargeBlobArray: 0x0b,
  forcePINChange: 0x0c,
  minPINLength: 0x0d,
  firmwareVersion: 0x0e,
  maxCredBlobLength: 0x0f,
  maxRPIDsForSetMinPINLength: 0x10,
  preferredPlatformUvAttempts: 0x11,
  uvModality: 0x12,
  certifications: 0x13,
  remainingDiscoverableCredentials: 0x14,
  vendorPrototypeConfigCommands: 0x15,
  attestationFormats: 0x16,
  uvCountSinceLastPinEntry: 0x17,
  longTouchForReset: 0x18,
  encIdentifier: 0x19,
  transportsForReset: 0x1a,
  pinComplexityPolicy: 0x1b,
  pinComplexityPolicyURL: 0x1c,
  maxPINLength: 0x1d,
} as const;

/** The version strings of getInfo `versions` (CTAP 2.1 §6.4, CTAP 2.2). */
export const CTAP_VERSIONS = ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1', 'FIDO_2_2'] as const;
export type CtapVersion = (typeof CTAP_VERSIONS)[number];

/**
 * getInfo option IDs (CTAP 2.1 §6.4 "options"; perCredMgmtRO is CTAP 2.2). Absent means
 * "not supported"; for the stateful ones false means "supported, not yet configured".
 */
export const OPTION_IDS = [
  'plat',
  'rk',
  'clientPin',
  'up',
  'uv',
  'pinUvAuthToken',
  // CTAP 2.1-PRE's name for getPinUvAuthTokenUsingUvWithPermissions support (YubiKey Bio reports it).
  'uvToken',
  'noMcGaPermissionsWithClientPin',
  'largeBlobs',
  'ep',
  'bioEnroll',
  'userVerificationMgmtPreview',
  'uvBioEnroll',
  'authnrCfg',
  'uvAcfg',
  'credMgmt',
  'perCredMgmtRO',
  'credentialMgmtPreview',
  'setMinPINLength',
  'makeCredUvNotRqd',
  'alwaysUv',
] as const;
export type OptionId = (typeof OPTION_IDS)[number];

/** authenticatorClientPIN (0x06) parameters (CTAP 2.1 §6.5.4). */
export const CLIENT_PIN = {
  pinUvAuthProtocol: 0x01,
  subCommand: 0x02,
  keyAgreement: 0x03,
  pinUvAuthParam: 0x04,
  newPinEnc: 0x05,
  pinHashEnc: 0x06,
  permissions: 0x09,
  rpId: 0x0a,
} as const;

/** authenticatorClientPIN response members (CTAP 2.1 §6.5.4). */
export const CLIENT_PIN_RESPONSE = {
  keyAgreement: 0x01,
  pinUvAuthToken: 0x02,
  pinRetries: 0x03,
  powerCycleState: 0x04,
  uvRetries: 0x05,
} as const;

/** authenticatorClientPIN subCommand numbers (CTAP 2.1 §6.5.4; 0x08 is reserved). */
export const CLIENT_PIN_SUBCOMMAND = {
  getPINRetries: 0x01,
  getKeyAgreement: 0x02,
  setPIN: 0x03,
  changePIN: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUVRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7; pcmr is CTAP 2.2). */
export const PERMISSION = {
  /** makeCredential */
  mc: 0x01,
  /** getAssertion */
  ga: 0x02,
  /** credentialManagement */
  cm: 0x04,
  /** bioEnrollment */
  be: 0x08,
  /** largeBlobs write */
  lbw: 0x10,
  /** authenticatorConfig */
  acfg: 0x20,
  /** persistent credential management, read only (CTAP 2.2) */
  pcmr: 0x40,
} as const;
export type PermissionName = keyof typeof PERMISSION;

/** authenticatorCredentialManagement (0x0A, prototype 0x41) parameters (CTAP 2.1 §6.8). */
export const CREDENTIAL_MANAGEMENT = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

/** credentialManagement subCommandParams members (CTAP 2.1 §6.8). */
export const CREDENTIAL_MANAGEMENT_PARAMS = { rpIDHash: 0x01, credentialID: 0x02, user: 0x03 } as const;

/** credentialManagement subCommand numbers (CTAP 2.1 §6.8). */
export const CREDENTIAL_MANAGEMENT_SUBCOMMAND = {
  getCredsMetadata: 0x01,
  enumerateRPsBegin: 0x02,
  enumerateRPsGetNextRP: 0x03,
  enumerateCredentialsBegin: 0x04,
  enumerateCredentialsGetNextCredential: 0x05,
  deleteCredential: 0x06,
  updateUserInformation: 0x07,
} as const;

/** credentialManagement response members (CTAP 2.1 §6.8; thirdPartyPayment is CTAP 2.2). */
export const CREDENTIAL_MANAGEMENT_RESPONSE = {
  existingResidentCredentialsCount: 0x01,
  maxPossibleRemainingResidentCredentialsCount: 0x02,
  rp: 0x03,
  rpIDHash: 0x04,
  totalRPs: 0x05,
  user: 0x06,
  credentialID: 0x07,
  publicKey: 0x08,
  totalCredentials: 0x09,
  credProtect: 0x0a,
  largeBlobKey: 0x0b,
  thirdPartyPayment: 0x0c,
} as const;

/** authenticatorBioEnrollment (0x09, prototype 0x40) parameters (CTAP 2.1 §6.7). */
export const BIO_ENROLLMENT = {
  modality: 0x01,
  subCommand: 0x02,
  subCommandParams: 0x03,
  pinUvAuthProtocol: 0x04,
  pinUvAuthParam: 0x05,
  getModality: 0x06,
} as const;

/** bioEnrollment subCommandParams members (CTAP 2.1 §6.7). */
export const BIO_ENROLLMENT_PARAMS = { templateId: 0x01, templateFriendlyName: 0x02, timeoutMilliseconds: 0x03 } as const;

/** bioEnrollment subCommand numbers, fingerprint modality (CTAP 2.1 §6.7). */
export const BIO_ENROLLMENT_SUBCOMMAND = {
  enrollBegin: 0x01,
  enrollCaptureNextSample: 0x02,
  cancelCurrentEnrollment: 0x03,
  enumerateEnrollments: 0x04,
  setFriendlyName: 0x05,
  removeEnrollment: 0x06,
  getFingerprintSensorInfo: 0x07,
} as const;

/** bioEnrollment response members (CTAP 2.1 §6.7). */
export const BIO_ENROLLMENT_RESPONSE = {
  modality: 0x01,
  fingerprintKind: 0x02,
  maxCaptureSamplesRequiredForEnroll: 0x03,
  templateId: 0x04,
  lastEnrollSampleStatus: 0x05,
  remainingSamples: 0x06,
  templateInfos: 0x07,
  maxTemplateFriendlyName: 0x08,
} as const;

/** bioEnrollment templateInfo members (CTAP 2.1 §6.7). */
export const TEMPLATE_INFO = { templateId: 0x01, templateFriendlyName: 0x02 } as const;

/** The modality of bioEnrollment: fingerprint is the only one CTAP 2.1 defines. */
export const BIO_MODALITY = { fingerprint: 0x01 } as const;

/** lastEnrollSampleStatus values (CTAP 2.1 §6.7.2 "fingerprint sensor enrollment status"). */
export const ENROLL_SAMPLE_STATUS = {
  CTAP2_ENROLL_FEEDBACK_FP_GOOD: 0x00,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_HIGH: 0x01,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_LOW: 0x02,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_LEFT: 0x03,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_RIGHT: 0x04,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_FAST: 0x05,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SLOW: 0x06,
  CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY: 0x07,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SKEWED: 0x08,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SHORT: 0x09,
  CTAP2_ENROLL_FEEDBACK_FP_MERGE_FAILURE: 0x0a,
  CTAP2_ENROLL_FEEDBACK_FP_EXISTS: 0x0b,
  // 0x0C unused
  CTAP2_ENROLL_FEEDBACK_NO_USER_ACTIVITY: 0x0d,
  CTAP2_ENROLL_FEEDBACK_NO_USER_PRESENCE_TRANSITION: 0x0e,
} as const;

/** authenticatorLargeBlobs (0x0C) parameters (CTAP 2.1 §6.10). */
export const LARGE_BLOBS = {
  get: 0x01,
  set: 0x02,
  offset: 0x03,
  length: 0x04,
  pinUvAuthParam: 0x05,
  pinUvAuthProtocol: 0x06,
} as const;

/** authenticatorLargeBlobs response members (CTAP 2.1 §6.10). */
export const LARGE_BLOBS_RESPONSE = { config: 0x01 } as const;

/** authenticatorConfig (0x0D) parameters (CTAP 2.1 §6.11). */
export const CONFIG = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

/** authenticatorConfig subCommand numbers (CTAP 2.1 §6.11). */
export const CONFIG_SUBCOMMAND = {
  enableEnterpriseAttestation: 0x01,
  toggleAlwaysUv: 0x02,
  setMinPINLength: 0x03,
  vendorPrototype: 0xff,
} as const;

/** setMinPINLength subCommandParams members (CTAP 2.1 §6.11.4). */
export const SET_MIN_PIN_LENGTH_PARAMS = { newMinPINLength: 0x01, minPinLengthRPIDs: 0x02, forceChangePin: 0x03 } as const;
