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

/** A FIDO authenticator's identity and personality. */
export interface FidoProfile {
  /** 16-byte AAGUID as 32 hex digits. */
  aaguid: string;
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  /** 'batch': a per-device batch certificate (x5c); 'self': sign with the credential key. */
  attestation: 'batch' | 'self';
  /** Firmware version reported by CTAPHID INIT and getInfo (0x0E: a byte each, 0x050506 for 5.5.6, as YubiKeys report it). */
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
  /** Named departures from the strict behaviour (see FIDO_QUIRKS); empty is strict. */
  quirks: readonly FidoQuirk[];
}

/**
 * The tokenrig simulator's own personality: a CTAP 2.1 key with a PIN and everything this
 * simulator implements — every algorithm (ES256 preferred), the extensions, large blobs —
 * so a QA rig can exercise any of it without choosing a personality first.
 */
export const DEFAULT_FIDO_PROFILE: Readonly<FidoProfile> = Object.freeze({
  aaguid: '746f6b656e7269672d73696d2d666964', // "tokenrig-sim-fid"
  vendorId: 0x1209, // pid.codes open-source vendor id
  productId: 0x7172,
  manufacturer: 'tokenrig',
  product: 'tokenrig FIDO2 simulator',
  attestation: 'batch',
  firmwareVersion: [1, 0, 0] as const,
  versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'] as const,
  extensions: ['credBlob', 'hmac-secret', 'hmac-secret-mc', 'largeBlobKey', 'thirdPartyPayment'],
  algorithms: [-7, -8, -35, -36, -37, -257, -47], // ES256, EdDSA, ES384, ES512, PS256, RS256, ES256K
  options: { rk: true, up: true, plat: false, clientPin: false, pinUvAuthToken: true, largeBlobs: true },
  pinUvAuthProtocols: [2, 1] as const,
  limits: {
    maxMsgSize: 7609,
    maxCredentialCountInList: 16,
    // The longest credential ID it makes: ES512 with a 32-byte credBlob and every flag (test/fido-device/credential-id.test.ts).
    maxCredentialIdLength: 256,
    maxDiscoverableCredentials: 256,
    maxSerializedLargeBlobArray: 4096,
    maxCredBlobLength: 32,
  },
  quirks: [],
} satisfies FidoProfile);

/** The built-in FIDO personalities by name (`sim fido --profile NAME` chooses among them). */
export const FIDO_PROFILES: Readonly<Record<string, Readonly<FidoProfile>>> = {
  tokenrig: DEFAULT_FIDO_PROFILE,
  'yubikey-bio': YUBIKEY_BIO_PROFILE,
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
  const hasCtap2 = profile.versions.some((v) => v.startsWith('FIDO_2'));
  if (hasCtap2 && profile.algorithms.length === 0) fail(RangeError, 'algorithms', 'non-empty for a CTAP2 key');
  return profile;
}
