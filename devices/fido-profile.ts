/**
 * FIDO key personalities: what a security key is and reports (identity, CTAP versions,
 * options, extensions, algorithms in preference order, limits, PIN/UV auth protocols,
 * transports, certifications) and the named quirks in which it departs from the strict
 * reading of the spec. Plain data with one validator: the authenticator in firmware-sim/
 * reads a profile and builds getInfo and its behaviour from it.
 *
 * A member that is absent is not reported by getInfo (CTAP 2.1 §6.4: absent means "not
 * supported" or "no limit stated"); a stateful option's value is its factory state
 * (`clientPin: false`: PIN supported, none set yet).
 *
 * @example
 * ```ts
 * const p = validateFidoProfile({ ...DEFAULT_FIDO_PROFILE, algorithms: [-8, -7] });
 * ```
 */
import { CTAP_VERSIONS, type CtapVersion, OPTION_IDS, type OptionId } from '../src/protocol/ctap2-parameters.js';
import { YUBIKEY_BIO_PROFILE } from './personalities/yubikey-bio.js';

/**
 * Behaviours in which real keys depart from the strict reading of CTAP: each has a name a
 * profile lists in `quirks`, and a line saying what it does and who does it. A profile without
 * quirks is strict.
 */
export const FIDO_QUIRKS = {
  pinRetriesWithoutPin:
    'getPINRetries on a key without a PIN answers pinRetries (8) as Solo 1 firmware does, where the strict default answers CTAP2_ERR_PIN_NOT_SET as YubiKeys do',
  anyChannelWhenIdle:
    'a message on a channel ID the key never allocated is served (the channel is adopted) while no other transaction is under way, as solo1 firmware and its PC simulation do (fido2/ctaphid.c: add_cid when the buffer is empty); strict answers CTAPHID ERR_INVALID_CHANNEL (CTAP 2.1 §11.2.4)',
} as const;
export type FidoQuirk = keyof typeof FIDO_QUIRKS;

/** Limits the key states in getInfo (CTAP 2.1 §6.4) or obeys. */
export interface FidoLimits {
  /** 0x05: the largest CTAP message it takes, in bytes (CTAPHID carries at most 7609). */
  maxMsgSize: number;
  /** 0x07: the most credentials an allowList or excludeList may carry. */
  maxCredentialCountInList?: number;
  /** 0x08: the longest credential ID it takes. */
  maxCredentialIdLength?: number;
  /** How many discoverable credentials fit. */
  maxDiscoverableCredentials: number;
  /** When true getInfo reports remainingDiscoverableCredentials (0x14). */
  reportsRemainingDiscoverableCredentials?: boolean;
  /** 0x0B: largeBlobs storage, in bytes (at least 1024 when present). */
  maxSerializedLargeBlobArray?: number;
  /** 0x0D: the factory minimum PIN length, in code points (the PIN policy uses 4 when absent). */
  minPINLength?: number;
  /** 0x0F: the longest credBlob it stores. */
  maxCredBlobLength?: number;
  /** 0x10: how many RP IDs setMinPINLength's minPinLengthRPIDs may name. */
  maxRPIDsForSetMinPINLength?: number;
  /** 0x11: how many times the platform should try built-in UV before falling back. */
  preferredPlatformUvAttempts?: number;
  /** 0x1D (CTAP 2.2): the longest PIN, in code points (63 bytes of UTF-8 at most). */
  maxPINLength?: number;
}

/**
 * A fingerprint sensor: built-in user verification (CTAP 2.1 §6.5.2.2) and what
 * authenticatorBioEnrollment's getFingerprintSensorInfo reports (§6.7).
 */
export interface FingerprintSensorProfile {
  /** 1: touch sensor, 2: swipe sensor. */
  fingerprintKind: 1 | 2;
  /** Good samples an enrollment needs. */
  maxCaptureSamplesRequiredForEnroll: number;
  /** The longest templateFriendlyName, in bytes of UTF-8. */
  maxTemplateFriendlyName: number;
  /** How many fingers fit (enrollBegin beyond it: CTAP2_ERR_FP_DATABASE_FULL). */
  maxTemplates: number;
  /** maxUvRetries: failed matches before built-in UV is blocked until the PIN is entered (1..25). */
  maxUvRetries: number;
  /** maxUvAttemptsForInternalRetries: match attempts one request makes when it may retry internally. */
  maxUvAttemptsForInternalRetries: number;
}

/** getInfo members a key leaves out although it has what they describe (keys older than CTAP 2.1 predate them). */
export const OMITTABLE_INFO = ['algorithms', 'firmwareVersion'] as const;
export type OmittableInfo = (typeof OMITTABLE_INFO)[number];

/** Enterprise attestation (CTAP 2.1 §7.1) as the key offers it once enableEnterpriseAttestation turned it on. */
export interface EnterpriseAttestationProfile {
  /** Vendor-facilitated (enterpriseAttestation 1): the RP IDs pre-configured for an enterprise attestation. */
  rpIds: readonly string[];
  /** Platform-managed (enterpriseAttestation 2): any RP the platform vouches for gets one. */
  platformManaged: boolean;
}

/** A FIDO authenticator's identity and personality. */
export interface FidoProfile {
  /** One line for `sim fido --help` and the docs. */
  description?: string;
  /** 16-byte AAGUID as 32 hex digits. */
  aaguid: string;
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  /** 'batch': a per-device batch certificate (x5c); 'self': sign with the credential key. */
  attestation: 'batch' | 'self';
  /** Firmware version reported by CTAPHID INIT and getInfo (0x0E, as major << 16 | minor << 8 | patch: 0x050506 for 5.5.6, as YubiKeys report it). */
  firmwareVersion: readonly [number, number, number];
  /** 0x01: the protocol versions; without a FIDO_2_x version the key speaks U2F only. */
  versions: readonly CtapVersion[];
  /** 0x02: extension identifiers, in the order getInfo lists them. */
  extensions: readonly string[];
  /** 0x0A: COSE algorithm identifiers in the key's order of preference. */
  algorithms: readonly number[];
  /** 0x04: the options the key has, with their factory values. */
  options: Readonly<Partial<Record<OptionId, boolean>>>;
  /** 0x06: PIN/UV auth protocols in order of preference. */
  pinUvAuthProtocols: readonly (1 | 2)[];
  /** 0x09: transports ("usb", "nfc", "ble", "internal", "hybrid"). */
  transports?: readonly string[];
  limits: Readonly<FidoLimits>;
  /** 0x12: the user verification modality (FIDO Registry §3.1 USER_VERIFY_* bits). */
  uvModality?: number;
  /** 0x13: certifications, e.g. `{ "FIDO": 2 }` for FIDO Authenticator Certification level 2. */
  certifications?: Readonly<Record<string, number>>;
  /** The fingerprint sensor, on keys with built-in user verification (options uv and bioEnroll); absent: none. */
  fingerprintSensor?: Readonly<FingerprintSensorProfile>;
  /** Enterprise attestation when the key is capable of it (the `ep` option present); absent: not capable. */
  enterpriseAttestation?: Readonly<EnterpriseAttestationProfile>;
  /** RP IDs pre-configured to receive the minPinLength extension's output (CTAP 2.1 §12.4), beside those setMinPINLength adds. */
  minPinLengthRPIDs?: readonly string[];
  /** getInfo members this key does not report (see OMITTABLE_INFO). */
  omittedInfo?: readonly OmittableInfo[];
  /** Named departures from the strict behaviour (see FIDO_QUIRKS); empty is strict. */
  quirks: readonly FidoQuirk[];
}

/**
 * The tokenrig simulator's own personality: a strict CTAP 2.1 key with everything this
 * simulator implements — PIN, credential management, authenticatorConfig, enterprise
 * attestation once enabled, every algorithm (ES256 preferred), the extensions, large blobs —
 * so a QA rig can exercise any of it without choosing a personality first.
 */
export const DEFAULT_FIDO_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'the tokenrig simulator: strict CTAP 2.1 with every feature the simulator has',
  aaguid: '746f6b656e7269672d73696d2d666964', // "tokenrig-sim-fid"
  vendorId: 0x1209, // pid.codes open-source vendor id
  productId: 0x7172,
  manufacturer: 'tokenrig',
  product: 'tokenrig FIDO2 simulator',
  attestation: 'batch',
  firmwareVersion: [1, 0, 0] as const,
  versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'] as const,
  extensions: ['credBlob', 'credProtect', 'hmac-secret', 'hmac-secret-mc', 'largeBlobKey', 'minPinLength', 'thirdPartyPayment'],
  algorithms: [-7, -8, -35, -36, -37, -257, -47], // ES256, EdDSA, ES384, ES512, PS256, RS256, ES256K
  options: {
    rk: true,
    up: true,
    plat: false,
    clientPin: false,
    pinUvAuthToken: true,
    credMgmt: true,
    authnrCfg: true,
    alwaysUv: false,
    setMinPINLength: true,
    largeBlobs: true,
    ep: false,
  },
  pinUvAuthProtocols: [2, 1] as const,
  limits: {
    maxMsgSize: 7609,
    maxCredentialCountInList: 16,
    // The longest credential ID it makes: ES512 with a 32-byte credBlob and every flag (test/fido-device/credential-id.test.ts).
    maxCredentialIdLength: 256,
    maxDiscoverableCredentials: 256,
    reportsRemainingDiscoverableCredentials: true,
    maxSerializedLargeBlobArray: 4096,
    maxCredBlobLength: 32,
    maxRPIDsForSetMinPINLength: 4,
  },
  enterpriseAttestation: { rpIds: ['enterprise.example'], platformManaged: true },
  quirks: [],
} satisfies FidoProfile);

/**
 * A YubiKey 5 Series with NFC, firmware 5.7: CTAP 2.1 with credential management,
 * authenticatorConfig, large blobs, five extensions and three algorithms. What it reports is
 * taken from a YubiKey 5.7's getInfo as powershellYK's Get-YubikeyFIDO2 prints it
 * (github.com/virot/powershellYK, Docs/Commands/Get-YubikeyFIDO2.md: versions U2F_V2, FIDO_2_0,
 * FIDO_2_1_PRE, FIDO_2_1; extensions credProtect, hmac-secret, largeBlobKey, credBlob, …;
 * options rk, up, plat=false, alwaysUv=false, …; maxMsgSize 1280; PIN/UV protocols 2, 1;
 * maxCredentialCountInList 8; maxCredentialIdLength 128 (176 here, see limits); transports nfc, usb; algorithms ES256,
 * EdDSA, ES384; maxSerializedLargeBlobArray 4096; minPINLength 4; firmwareVersion 329473 =
 * 0x050701; maxCredBlobLength 32; maxRPIDsForSetMinPINLength 1; 100 discoverable credentials
 * remaining), the options a 5.x key reports in libfido2's `fido2-token -I` (Yubico/libfido2
 * issue #686: credentialMgmtPreview beside the 2.1 options) and `ykman fido info` on a 5.7 key
 * ("Enterprise Attestation: Disabled", so the ep option is present and false). The fifth
 * extension is minPinLength (the 5.7 firmware notes list the minimum PIN length extension).
 * AAGUID a25342c0-3cdc-4414-8e46-f4807fca511c is Yubico's for this model; its attestation
 * chains to the simulator's own batch certificate, so a relying party that checks the FIDO
 * Metadata Service rejects it, as it should.
 *
 * Algorithms and extensions another part of the firmware provides (EdDSA, ES384, hmac-secret,
 * largeBlobKey, credBlob, the largeBlobs command) are listed here and reported only once their
 * modules are registered (`fidoPersonality` in firmware-sim/fido/profile.ts), so getInfo never
 * claims what the simulator cannot do.
 */
export const YUBIKEY_5_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'YubiKey 5 NFC, firmware 5.7: CTAP 2.1, credential management, config',
  aaguid: 'a25342c03cdc44148e46f4807fca511c',
  vendorId: 0x1050, // Yubico
  productId: 0x0407, // YubiKey 5 OTP+FIDO+CCID
  manufacturer: 'Yubico',
  product: 'YubiKey OTP+FIDO+CCID (simulated)',
  attestation: 'batch',
  firmwareVersion: [5, 7, 1] as const,
  versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'] as const,
  extensions: ['credProtect', 'hmac-secret', 'largeBlobKey', 'credBlob', 'minPinLength'],
  algorithms: [-7, -8, -35], // ES256, EdDSA, ES384
  options: {
    rk: true,
    up: true,
    plat: false,
    alwaysUv: false,
    credMgmt: true,
    authnrCfg: true,
    clientPin: false,
    largeBlobs: true,
    pinUvAuthToken: true,
    setMinPINLength: true,
    makeCredUvNotRqd: true,
    credentialMgmtPreview: true,
    ep: false,
  },
  pinUvAuthProtocols: [2, 1] as const,
  transports: ['nfc', 'usb'],
  limits: {
    maxMsgSize: 1280,
    maxCredentialCountInList: 8,
    // A real 5.7 reports 128: its IDs are fixed-size handles. The simulator's seal the key and
    // extension state (up to 171 bytes: ES384 with a 32-byte credBlob, credProtect, hmac-secret,
    // largeBlobKey, discoverable), and platforms drop longer IDs from an allowList (python-fido2
    // and libfido2 do), so this personality reports what it makes (test/fido-device/extensions.test.ts).
    maxCredentialIdLength: 176,
    maxDiscoverableCredentials: 100,
    reportsRemainingDiscoverableCredentials: true,
    maxSerializedLargeBlobArray: 4096,
    minPINLength: 4,
    maxCredBlobLength: 32,
    maxRPIDsForSetMinPINLength: 1,
  },
  // Vendor-facilitated only: the RP IDs Yubico configures for an enterprise (none here).
  enterpriseAttestation: { rpIds: [], platformManaged: false },
  quirks: [],
} satisfies FidoProfile);

/**
 * A CTAP 2.0 key like an early YubiKey 5 (firmware 5.1) or Solo 1 before 2.1-PRE: FIDO_2_0 and
 * U2F only, PIN/UV auth protocol 1, no permissions (a PIN token is good for everything until
 * the next power cycle), none of the CTAP 2.1 commands (selection, credential management,
 * config answer CTAP1_ERR_INVALID_COMMAND) and none of the 2.1 getInfo members. The reported
 * members are those of a YubiKey 5.1 (AAGUID cb69481e-8ff7-4039-93ec-0a2729a154a8, Yubico's
 * "YubiKey 5 Series, firmware 5.1"; maxMsgSize 1200).
 */
export const CTAP20_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'a CTAP 2.0 key (early YubiKey 5, firmware 5.1): PIN protocol 1, no permissions',
  aaguid: 'cb69481e8ff7403993ec0a2729a154a8',
  vendorId: 0x1050,
  productId: 0x0407,
  manufacturer: 'Yubico',
  product: 'YubiKey FIDO 5.1 (simulated)',
  attestation: 'batch',
  firmwareVersion: [5, 1, 2] as const,
  versions: ['U2F_V2', 'FIDO_2_0'] as const,
  extensions: ['hmac-secret'],
  algorithms: [-7, -8], // ES256, EdDSA
  options: { rk: true, up: true, plat: false, clientPin: false },
  pinUvAuthProtocols: [1] as const,
  limits: { maxMsgSize: 1200, maxDiscoverableCredentials: 25 },
  omittedInfo: ['algorithms', 'firmwareVersion'],
  quirks: [],
} satisfies FidoProfile);

/**
 * A U2F-only security key (FIDO U2F Security Key class, Yubico 1050:0120): U2F_V2 over
 * CTAPHID_MSG, no CTAP2 at all (INIT reports no CBOR capability, so platforms take the U2F path).
 */
export const U2F_ONLY_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'a U2F-only security key: U2F_V2 over CTAPHID_MSG, no CTAP2',
  aaguid: '00000000000000000000000000000000',
  vendorId: 0x1050,
  productId: 0x0120,
  manufacturer: 'Yubico',
  product: 'Security Key by Yubico (simulated U2F)',
  attestation: 'batch',
  firmwareVersion: [4, 3, 7] as const,
  versions: ['U2F_V2'] as const,
  extensions: [],
  algorithms: [],
  options: {},
  pinUvAuthProtocols: [],
  limits: { maxMsgSize: 1200, maxDiscoverableCredentials: 0 },
  quirks: [],
} satisfies FidoProfile);

/**
 * SoloKeys Solo 1 (solo1 firmware 4.x, github.com/solokeys/solo1): its getInfo exactly as
 * fido2/ctap.c `ctap_get_info` builds it — versions U2F_V2, FIDO_2_0, FIDO_2_1_PRE;
 * extensions credProtect, hmac-secret; the AAGUID of fido2/device.c `device_read_aaguid`
 * (8876631b-d4a0-427f-5773-0ec71c9e0279); options rk, up, plat=false, credMgmt, clientPin;
 * maxMsgSize 1200 (CTAP_MAX_MESSAGE_SIZE); PIN protocol 1 only; maxCredentialCountInList 20
 * (ALLOW_LIST_MAX_SIZE); maxCredentialIdLength 128; no algorithms, no firmwareVersion. Its PC
 * simulation stores 50 resident keys (pc/device.c RK_NUM) and answers credential management
 * on 0x0A and 0x41. Quirks: getPINRetries answers without a PIN, and a message on a channel
 * it never allocated is served while it is idle (fido2/ctaphid.c), so test suites written
 * against that simulation run unchanged. USB identity: SoloKeys' 0483:a2ca.
 */
export const SOLO1_PROFILE: Readonly<FidoProfile> = Object.freeze({
  description: 'SoloKeys Solo 1 (solo1 4.x and its PC simulation): FIDO_2_1_PRE, its quirks',
  aaguid: '8876631bd4a0427f57730ec71c9e0279',
  vendorId: 0x0483,
  productId: 0xa2ca,
  manufacturer: 'SoloKeys',
  product: 'Solo 4.1.5 (simulated)',
  attestation: 'batch',
  firmwareVersion: [4, 1, 5] as const,
  versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE'] as const,
  extensions: ['credProtect', 'hmac-secret'],
  algorithms: [-7, -8], // ES256, EdDSA (fido2/ctap.c read_cose_alg_from_masked_credential)
  options: { rk: true, up: true, plat: false, credMgmt: true, clientPin: false },
  pinUvAuthProtocols: [1] as const,
  limits: { maxMsgSize: 1200, maxCredentialCountInList: 20, maxCredentialIdLength: 128, maxDiscoverableCredentials: 50 },
  omittedInfo: ['algorithms', 'firmwareVersion'],
  quirks: ['pinRetriesWithoutPin', 'anyChannelWhenIdle'],
} satisfies FidoProfile);

/** The built-in FIDO personalities by name (`sim fido --profile NAME` chooses among them). */
export const FIDO_PROFILES: Readonly<Record<string, Readonly<FidoProfile>>> = {
  tokenrig: DEFAULT_FIDO_PROFILE,
  'yubikey-5': YUBIKEY_5_PROFILE,
  'yubikey-bio': YUBIKEY_BIO_PROFILE,
  ctap20: CTAP20_PROFILE,
  'u2f-only': U2F_ONLY_PROFILE,
  solo1: SOLO1_PROFILE,
};

type Obj = Record<string, unknown>;

function fail(Kind: typeof TypeError | typeof RangeError, field: string, what: string): never {
  throw new Kind(`FIDO profile: ${field} must be ${what}`);
}

function uint(v: unknown, field: string, min = 0, max = 0xffffffff): number {
  if (typeof v !== 'number') fail(TypeError, field, 'a number');
  if (!Number.isSafeInteger(v) || v < min || v > max) fail(RangeError, field, `an integer in ${min}..${max}`);
  return v;
}

function optUint(o: Obj, key: string, field: string, min = 0, max = 0xffffffff): number | undefined {
  return o[key] === undefined ? undefined : uint(o[key], `${field}.${key}`, min, max);
}

function text(v: unknown, field: string, max = 64): string {
  if (typeof v !== 'string') fail(TypeError, field, 'a string');
  if (v.length === 0 || v.length > max || !/^[\x20-\x7e]+$/.test(v)) fail(RangeError, field, `1..${max} printable ASCII characters`);
  return v;
}

function list<T>(v: unknown, field: string, item: (x: unknown, f: string) => T, nonEmpty = false, unique = true): T[] {
  if (!Array.isArray(v)) fail(TypeError, field, 'an array');
  if (nonEmpty && v.length === 0) fail(RangeError, field, 'a non-empty array');
  const out = v.map((x, i) => item(x, `${field}[${i}]`));
  if (unique && new Set(out).size !== out.length) fail(RangeError, field, 'free of duplicates');
  return out;
}

function oneOf<T extends string>(values: readonly T[]): (x: unknown, f: string) => T {
  return (x, f) => {
    if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) fail(RangeError, f, `one of ${values.join(', ')}`);
    return x as T;
  };
}

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(TypeError, field, 'an object');
  return v as Obj;
}

function fingerprintSensor(v: unknown, options: FidoProfile['options']): FingerprintSensorProfile {
  const o = obj(v, 'fingerprintSensor');
  const field = (key: string, min: number, max: number): number => uint(o[key], `fingerprintSensor.${key}`, min, max);
  const sensor: FingerprintSensorProfile = {
    fingerprintKind: field('fingerprintKind', 1, 2) as 1 | 2,
    maxCaptureSamplesRequiredForEnroll: field('maxCaptureSamplesRequiredForEnroll', 1, 255),
    maxTemplateFriendlyName: field('maxTemplateFriendlyName', 1, 255),
    maxTemplates: field('maxTemplates', 1, 255),
    // CTAP 2.1 §6.5.2.2: maxUvRetries is 1..25.
    maxUvRetries: field('maxUvRetries', 1, 25),
    maxUvAttemptsForInternalRetries: field('maxUvAttemptsForInternalRetries', 1, 25),
  };
  if (options.uv === undefined) fail(RangeError, 'options.uv', 'present on a key with a fingerprintSensor');
  // The sensor is managed with authenticatorBioEnrollment (0x09) or its 2.1-PRE number (0x40).
  if (options.bioEnroll === undefined && options.userVerificationMgmtPreview === undefined) fail(RangeError, 'options.bioEnroll', 'present on a key with a fingerprintSensor (or userVerificationMgmtPreview)');
  return sensor;
}

/**
 * Check a profile (from code or a parsed JSON file) and return it typed. Throws TypeError for
 * a member of the wrong type and RangeError for a wrong value, naming the member. Whether the
 * firmware implements every extension and algorithm named is checked where it is built
 * (`fidoProfile` in firmware-sim/fido/profile.ts).
 *
 * @example
 * ```ts
 * validateFidoProfile({ ...DEFAULT_FIDO_PROFILE, pinUvAuthProtocols: [3] });
 * // RangeError: FIDO profile: pinUvAuthProtocols[0] must be one of 1, 2
 * ```
 */
export function validateFidoProfile(value: unknown): FidoProfile {
  const o = obj(value, 'profile');
  const aaguid = o.aaguid;
  if (typeof aaguid !== 'string' || !/^[0-9a-f]{32}$/i.test(aaguid)) fail(RangeError, 'aaguid', '32 hex digits');
  if (o.attestation !== 'batch' && o.attestation !== 'self') fail(RangeError, 'attestation', "'batch' or 'self'");
  const fw = list(o.firmwareVersion, 'firmwareVersion', (x, f) => uint(x, f, 0, 99), true, false);
  if (fw.length !== 3) fail(RangeError, 'firmwareVersion', '[major, minor, patch]');
  const limits = obj(o.limits, 'limits');
  const options = obj(o.options, 'options');
  for (const [k, v] of Object.entries(options)) {
    if (!(OPTION_IDS as readonly string[]).includes(k)) fail(RangeError, `options.${k}`, `an option ID of CTAP 2.1 §6.4 (${OPTION_IDS.join(', ')})`);
    if (typeof v !== 'boolean') fail(TypeError, `options.${k}`, 'a boolean');
  }
  const quirkNames = Object.keys(FIDO_QUIRKS) as FidoQuirk[];
  const profile: FidoProfile = {
    aaguid: aaguid.toLowerCase(),
    vendorId: uint(o.vendorId, 'vendorId', 0, 0xffff),
    productId: uint(o.productId, 'productId', 0, 0xffff),
    manufacturer: text(o.manufacturer, 'manufacturer'),
    product: text(o.product, 'product'),
    attestation: o.attestation,
    firmwareVersion: [fw[0]!, fw[1]!, fw[2]!],
    versions: list(o.versions, 'versions', oneOf(CTAP_VERSIONS), true),
    extensions: list(o.extensions, 'extensions', (x, f) => text(x, f, 32)),
    algorithms: list(o.algorithms, 'algorithms', (x, f) => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) fail(TypeError, f, 'a COSE algorithm identifier (an integer)');
      return x;
    }),
    options: options as FidoProfile['options'],
    pinUvAuthProtocols: list(o.pinUvAuthProtocols, 'pinUvAuthProtocols', (x, f) => {
      if (x !== 1 && x !== 2) fail(RangeError, f, 'one of 1, 2');
      return x;
    }),
    limits: {
      // CTAPHID carries at most 7609 bytes (CTAP 2.1 §11.2.4); 1024 is the spec's default.
      maxMsgSize: uint(limits.maxMsgSize, 'limits.maxMsgSize', 1024, 7609),
      maxDiscoverableCredentials: uint(limits.maxDiscoverableCredentials, 'limits.maxDiscoverableCredentials', 0, 100_000),
    },
    quirks: list(o.quirks, 'quirks', oneOf(quirkNames)),
  };
  const lim = profile.limits as FidoLimits;
  const optional = [
    ['maxCredentialCountInList', 1],
    ['maxCredentialIdLength', 16],
    ['maxSerializedLargeBlobArray', 1024],
    ['minPINLength', 4],
    ['maxCredBlobLength', 32],
    ['maxRPIDsForSetMinPINLength', 0],
    ['preferredPlatformUvAttempts', 1],
    ['maxPINLength', 4],
  ] as const;
  for (const [key, min] of optional) {
    const v = optUint(limits, key, 'limits', min);
    if (v !== undefined) lim[key] = v;
  }
  if (limits.reportsRemainingDiscoverableCredentials !== undefined) {
    if (typeof limits.reportsRemainingDiscoverableCredentials !== 'boolean') fail(TypeError, 'limits.reportsRemainingDiscoverableCredentials', 'a boolean');
    lim.reportsRemainingDiscoverableCredentials = limits.reportsRemainingDiscoverableCredentials;
  }
  if (o.transports !== undefined) profile.transports = list(o.transports, 'transports', (x, f) => text(x, f, 16));
  const uvModality = optUint(o, 'uvModality', '');
  if (uvModality !== undefined) profile.uvModality = uvModality;
  if (o.certifications !== undefined) {
    const c = obj(o.certifications, 'certifications');
    profile.certifications = Object.fromEntries(Object.entries(c).map(([k, v]) => [text(k, 'certifications key', 32), uint(v, `certifications.${k}`)]));
  }
  if (o.fingerprintSensor !== undefined) profile.fingerprintSensor = fingerprintSensor(o.fingerprintSensor, profile.options);
  else {
    for (const id of ['uv', 'bioEnroll', 'userVerificationMgmtPreview', 'uvBioEnroll'] as const) {
      if (profile.options[id] !== undefined) fail(RangeError, `options.${id}`, 'absent without a fingerprintSensor (the only built-in user verification this firmware has)');
    }
  }
  if (o.description !== undefined) profile.description = text(o.description, 'description', 160);
  if (o.enterpriseAttestation !== undefined) {
    const ea = obj(o.enterpriseAttestation, 'enterpriseAttestation');
    if (typeof ea.platformManaged !== 'boolean') fail(TypeError, 'enterpriseAttestation.platformManaged', 'a boolean');
    profile.enterpriseAttestation = { rpIds: list(ea.rpIds, 'enterpriseAttestation.rpIds', (x, f) => text(x, f, 253)), platformManaged: ea.platformManaged };
  }
  if (o.minPinLengthRPIDs !== undefined) profile.minPinLengthRPIDs = list(o.minPinLengthRPIDs, 'minPinLengthRPIDs', (x, f) => text(x, f, 253));
  if (o.omittedInfo !== undefined) profile.omittedInfo = list(o.omittedInfo, 'omittedInfo', oneOf(OMITTABLE_INFO));
  if (profile.options.ep !== undefined && profile.enterpriseAttestation === undefined) fail(RangeError, 'enterpriseAttestation', 'present when options.ep is (how the key offers enterprise attestation)');
  const hasCtap2 = profile.versions.some((v) => v.startsWith('FIDO_2'));
  if (hasCtap2 && profile.algorithms.length === 0) fail(RangeError, 'algorithms', 'non-empty for a CTAP2 key');
  return profile;
}
