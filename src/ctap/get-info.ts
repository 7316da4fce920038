/**
 * The authenticatorGetInfo response (CTAP 2.1 §6.4, and the members CTAP 2.2 adds), read
 * strictly: every member the spec defines is parsed, and one of the wrong CBOR type is a
 * PROTOCOL error naming it. Members the spec does not define stay in `raw`.
 *
 * @example
 * ```ts
 * const info = parseGetInfo(responseMap);
 * if (info.options.credMgmt === true) ...
 * const algs = info.algorithms?.map((a) => a.alg) ?? [-7];   // absent: ES256 (§6.4)
 * ```
 */
import type { CborValue } from '../protocol/cbor.js';
import { GET_INFO as K } from '../protocol/ctap2-parameters.js';
import { type Read, bool, bytes, int, list, map, members, responseError, text, textMap, uint, uint64 } from './response-readers.js';

/** authenticatorGetInfo (§6.4). Optional members are undefined when the key does not report them. */
export interface Ctap2Info {
  /** 0x01 e.g. ["U2F_V2", "FIDO_2_0", "FIDO_2_1"]. */
  versions: string[];
  /** 0x02 extension identifiers (empty when absent). */
  extensions: string[];
  /** 0x03 the 16-byte AAGUID. */
  aaguid: Uint8Array;
  /** 0x04 option IDs (empty when absent; the spec's defaults apply to absent ones). */
  options: Record<string, boolean>;
  /** 0x05 largest message the key takes. */
  maxMsgSize: number | undefined;
  /** 0x06 PIN/UV auth protocols in the key's order of preference (empty when absent). */
  pinUvAuthProtocols: number[];
  /** 0x07 */
  maxCredentialCountInList?: number;
  /** 0x08 */
  maxCredentialIdLength?: number;
  /** 0x09 "usb", "nfc", "ble", "internal", "hybrid", ... */
  transports?: string[];
  /** 0x0A PublicKeyCredentialParameters in the key's order of preference. */
  algorithms?: { type: string; alg: number }[];
  /** 0x0B */
  maxSerializedLargeBlobArray?: number;
  /** 0x0C the PIN must be changed before it is used again. */
  forcePINChange?: boolean;
  /** 0x0D current minimum PIN length, in code points. */
  minPINLength?: number;
  /** 0x0E */
  firmwareVersion?: number;
  /** 0x0F */
  maxCredBlobLength?: number;
  /** 0x10 */
  maxRPIDsForSetMinPINLength?: number;
  /** 0x11 */
  preferredPlatformUvAttempts?: number;
  /** 0x12 FIDO Registry USER_VERIFY_* bits. */
  uvModality?: number;
  /** 0x13 certification name → level. */
  certifications?: Record<string, number>;
  /** 0x14 */
  remainingDiscoverableCredentials?: number;
  /** 0x15 vendor command IDs (64-bit: bigint when beyond 2^53). */
  vendorPrototypeConfigCommands?: (number | bigint)[];
  /** 0x16 (CTAP 2.2) attestation statement formats, most preferred first. */
  attestationFormats?: string[];
  /** 0x17 (CTAP 2.2) */
  uvCountSinceLastPinEntry?: number;
  /** 0x18 (CTAP 2.2) reset needs a long touch. */
  longTouchForReset?: boolean;
  /** 0x19 (CTAP 2.2) the encrypted device identifier. */
  encIdentifier?: Uint8Array;
  /** 0x1A (CTAP 2.2) transports on which reset is allowed. */
  transportsForReset?: string[];
  /** 0x1B (CTAP 2.2) a PIN complexity policy beyond minPINLength is enforced. */
  pinComplexityPolicy?: boolean;
  /** 0x1C (CTAP 2.2) a URL (UTF-8 bytes) describing that policy. */
  pinComplexityPolicyURL?: Uint8Array;
  /** 0x1D (CTAP 2.2) longest PIN, in code points. */
  maxPINLength?: number;
  /** The whole response map, for members this version does not know. */
  raw: Map<CborValue, CborValue>;
}

const algorithm: Read<{ type: string; alg: number }> = (v, what) => {
  const m = map(v, what);
  const alg = m.get('alg');
  const type = m.get('type');
  if (alg === undefined || type === undefined) throw responseError(`${what} entries need alg and type`);
  return { type: text(type, `${what} type`), alg: int(alg, `${what} alg`) };
};

type RequiredInfo = Pick<Ctap2Info, 'versions' | 'aaguid' | 'extensions' | 'options' | 'maxMsgSize' | 'pinUvAuthProtocols'>;
type OptionalInfo = Omit<Ctap2Info, keyof RequiredInfo | 'raw'>;

const REQUIRED_MEMBERS: Parameters<typeof members<RequiredInfo>>[2] = {
  versions: [K.versions, list(text)],
  aaguid: [K.aaguid, bytes],
  extensions: [K.extensions, list(text)],
  options: [K.options, textMap(bool)],
  maxMsgSize: [K.maxMsgSize, uint],
  pinUvAuthProtocols: [K.pinUvAuthProtocols, list(uint)],
};

const OPTIONAL_MEMBERS: Parameters<typeof members<OptionalInfo>>[2] = {
  maxCredentialCountInList: [K.maxCredentialCountInList, uint],
  maxCredentialIdLength: [K.maxCredentialIdLength, uint],
  transports: [K.transports, list(text)],
  algorithms: [K.algorithms, list(algorithm)],
  maxSerializedLargeBlobArray: [K.maxSerializedLargeBlobArray, uint],
  forcePINChange: [K.forcePINChange, bool],
  minPINLength: [K.minPINLength, uint],
  firmwareVersion: [K.firmwareVersion, uint],
  maxCredBlobLength: [K.maxCredBlobLength, uint],
  maxRPIDsForSetMinPINLength: [K.maxRPIDsForSetMinPINLength, uint],
  preferredPlatformUvAttempts: [K.preferredPlatformUvAttempts, uint],
  uvModality: [K.uvModality, uint],
  certifications: [K.certifications, textMap(uint)],
  remainingDiscoverableCredentials: [K.remainingDiscoverableCredentials, uint],
  vendorPrototypeConfigCommands: [K.vendorPrototypeConfigCommands, list(uint64)],
  attestationFormats: [K.attestationFormats, list(text)],
  uvCountSinceLastPinEntry: [K.uvCountSinceLastPinEntry, uint],
  longTouchForReset: [K.longTouchForReset, bool],
  encIdentifier: [K.encIdentifier, bytes],
  transportsForReset: [K.transportsForReset, list(text)],
  pinComplexityPolicy: [K.pinComplexityPolicy, bool],
  pinComplexityPolicyURL: [K.pinComplexityPolicyURL, bytes],
  maxPINLength: [K.maxPINLength, uint],
};

/** Parse an authenticatorGetInfo response map; PROTOCOL error on a missing or mistyped member. */
export function parseGetInfo(m: Map<CborValue, CborValue>): Ctap2Info {
  const required = members<RequiredInfo>(m, 'getInfo', REQUIRED_MEMBERS);
  if (required.versions === undefined) throw responseError('getInfo versions missing');
  if (required.aaguid?.length !== 16) throw responseError('getInfo aaguid must be 16 bytes');
  return {
    ...members<OptionalInfo>(m, 'getInfo', OPTIONAL_MEMBERS),
    versions: required.versions,
    aaguid: required.aaguid,
    extensions: required.extensions ?? [],
    options: required.options ?? {},
    maxMsgSize: required.maxMsgSize,
    pinUvAuthProtocols: required.pinUvAuthProtocols ?? [],
    raw: m,
  };
}
