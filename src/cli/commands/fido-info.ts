/**
 * `tokenrig fido info`: everything the key reports. A CTAP2 key: every getInfo member it sends
 * (CTAP 2.1 §6.4 and CTAP 2.2), members this version does not know by number, the PIN state
 * with its retries, and on a key with built-in UV its retries (§6.5.5.3 getUVRetries); a
 * U2F-only key: its U2F version. The text is laid out as
 * `fido2-token -I` and `ykman fido info` lay theirs out, one fact a line; `--json` gives the
 * same as one document (byte strings in base64url, the AAGUID in hex).
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap1 } from '../../ctap/ctap1.js';
import { Ctap2, type Ctap2Info } from '../../ctap/ctap2.js';
import type { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError } from '../../errors.js';
import { COSE_ALG } from '../../protocol/cose.js';
import { GET_INFO } from '../../protocol/ctap2-parameters.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

/** COSE algorithm names, as fido2-token names them. */
const ALGORITHM_NAMES: Readonly<Record<number, string>> = { [COSE_ALG.ES256]: 'es256', [-8]: 'eddsa', [-35]: 'es384', [-36]: 'es512', [-257]: 'rs256', [-37]: 'ps256', [-47]: 'es256k' };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * FIDO Registry of Predefined Values §3.1, User Verification Methods: the USER_VERIFY_* bits
 * of getInfo's uvModality (0x12), named as the registry names them, without the prefix.
 */
const USER_VERIFY_METHODS: readonly [number, string][] = [
  [0x1, 'presence'],
  [0x2, 'fingerprint'],
  [0x4, 'passcode'],
  [0x8, 'voiceprint'],
  [0x10, 'faceprint'],
  [0x20, 'location'],
  [0x40, 'eyeprint'],
  [0x80, 'pattern'],
  [0x100, 'handprint'],
  [0x200, 'none'],
  [0x400, 'all'],
  [0x800, 'passcode (external)'],
  [0x1000, 'pattern (external)'],
];

/** The names of the USER_VERIFY_* bits set in `modality` (unknown bits in hex). */
export function uvModalityNames(modality: number): string[] {
  const names = USER_VERIFY_METHODS.filter(([bit]) => (modality & bit) !== 0).map(([, name]) => name);
  const known = USER_VERIFY_METHODS.reduce((all, [bit]) => all | bit, 0);
  const rest = modality & ~known;
  return rest === 0 ? names : [...names, `0x${rest.toString(16)}`];
}

/**
 * What the text shows for each getInfo member (the spec's name stays in --json), in words as
 * `fido2-token -I` and `ykman fido info` put them; a member not named here shows its spec name.
 */
const LABELS: Readonly<Record<string, string>> = {
  maxCredentialCountInList: 'max credentials in list',
  maxCredentialIdLength: 'max credential ID length',
  transports: 'transports',
  maxSerializedLargeBlobArray: 'max large blob array',
  forcePINChange: 'PIN change required',
  minPINLength: 'min PIN length',
  maxCredBlobLength: 'max credBlob length',
  maxRPIDsForSetMinPINLength: 'max RP IDs for min PIN length',
  preferredPlatformUvAttempts: 'platform UV attempts',
  uvModality: 'UV modality',
  certifications: 'certifications',
  remainingDiscoverableCredentials: 'remaining discoverable creds',
  vendorPrototypeConfigCommands: 'vendor config commands',
  attestationFormats: 'attestation formats',
  uvCountSinceLastPinEntry: 'UV count since PIN entry',
  longTouchForReset: 'long touch for reset',
  encIdentifier: 'encrypted identifier',
  transportsForReset: 'transports for reset',
  pinComplexityPolicy: 'PIN complexity policy',
  pinComplexityPolicyURL: 'PIN complexity policy URL',
  maxPINLength: 'max PIN length',
};

/** A member's value in words: units where the spec gives one, yes/no, the modality's names. */
function memberText(name: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (name === 'uvModality' && typeof value === 'number') return `${uvModalityNames(value).join(', ')} (0x${value.toString(16)})`;
  if (name === 'pinComplexityPolicyURL' && value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if ((name === 'maxSerializedLargeBlobArray' || name === 'maxCredBlobLength' || name === 'maxCredentialIdLength') && typeof value === 'number') return `${value} bytes`;
  return describe(value);
}

/** The members that have a row of their own before the rest. */
const FIRST = new Set(['versions', 'extensions', 'aaguid', 'options', 'algorithms', 'pinUvAuthProtocols', 'maxMsgSize', 'firmwareVersion', 'raw']);

/** The getInfo members the spec does not define (or this version does not know), by number. */
function unknownMembers(i: Ctap2Info): Record<string, unknown> {
  const known = new Set<unknown>(Object.values(GET_INFO));
  return Object.fromEntries([...i.raw].filter(([k]) => !known.has(k)).map(([k, v]) => [`0x${Number(k).toString(16)}`, v]));
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.map(describe).join(', ');
  if (value instanceof Uint8Array) return hex(value);
  if (value instanceof Map) return [...value].map(([k, v]) => `${String(k)}=${describe(v)}`).join(' ');
  if (typeof value === 'object' && value !== null) return Object.entries(value).map(([k, v]) => `${k}=${describe(v)}`).join(' ');
  return String(value);
}

/** getInfo as one JSON document: every member, algorithms named, the PIN state, unknown members by number. */
export function infoDocument(i: Ctap2Info, retries: number | null, uvRetries: number | null = null): Record<string, unknown> {
  const { raw: _raw, aaguid, algorithms, ...members } = i;
  const unknown = unknownMembers(i);
  return {
    ...members,
    aaguid: hex(aaguid),
    algorithms: (algorithms ?? []).map((a) => ({ ...a, name: ALGORITHM_NAMES[a.alg] ?? String(a.alg) })),
    pin: { set: i.options.clientPin === true, retries },
    // Built-in user verification (the uv option present: §6.4): enrolled when it is true.
    ...(hasBuiltInUv(i) ? { uv: { enrolled: i.options.uv === true, retries: uvRetries, ...(i.uvModality === undefined ? {} : { modality: uvModalityNames(i.uvModality) }) } } : {}),
    maxMsgSize: i.maxMsgSize ?? null,
    firmwareVersion: i.firmwareVersion ?? null,
    ...(Object.keys(unknown).length > 0 ? { unknownMembers: unknown } : {}),
  };
}

/** CTAP 2.1 §6.4 options: `uv` present (true or false) means the key has built-in user verification. */
function hasBuiltInUv(i: Ctap2Info): boolean {
  return i.options.uv !== undefined;
}

/** A CTAP status the key answered (it refused the request) as null; anything else stays an error. */
function refusedAsNull(e: unknown): null {
  if (e instanceof TokenrigError && e.code === ErrorCode.DEVICE) return null;
  throw e;
}

const attempts = (n: number): string => `${n} ${n === 1 ? 'attempt' : 'attempts'} remaining`;

/** One fact a line, labelled as fido2-token -I and ykman fido info put it; false options as "no…". */
export function infoRows(i: Ctap2Info, retries: number | null, uvRetries: number | null, firmware: string): [string, string][] {
  const rows: [string, string][] = [
    ['versions', i.versions.join(', ')],
    ['extensions', i.extensions.join(', ') || 'none'],
    ['aaguid', hex(i.aaguid)],
    ['options', Object.entries(i.options).map(([k, v]) => (v ? k : `no${k}`)).join(', ')],
    ['algorithms', (i.algorithms ?? []).map((a) => `${ALGORITHM_NAMES[a.alg] ?? a.type} (${a.alg})`).join(', ') || 'not reported'],
    ['PIN', i.options.clientPin === true ? `set, ${retries === null ? 'attempts not reported' : attempts(retries)}${i.forcePINChange === true ? ', change required' : ''}` : 'not set'],
    ...(hasBuiltInUv(i) ? [['built-in UV', `${i.options.uv === true ? 'enrolled' : 'not enrolled'}, ${uvRetries === null ? 'attempts not reported' : attempts(uvRetries)}`] as [string, string]] : []),
    ['PIN/UV auth protocols', i.pinUvAuthProtocols.join(', ') || 'none'],
    ['max message size', String(i.maxMsgSize ?? 'not reported')],
    ['firmware', i.firmwareVersion === undefined ? firmware : `${firmware} (getInfo 0x${i.firmwareVersion.toString(16).padStart(6, '0')})`],
  ];
  // Every other member the key sent, by the spec's name (minPINLength, forcePINChange, ...).
  for (const [k, v] of Object.entries(i)) if (!FIRST.has(k) && v !== undefined) rows.push([LABELS[k] ?? k, memberText(k, v)]);
  for (const [k, v] of Object.entries(unknownMembers(i))) rows.push([`member ${k}`, describe(v)]);
  return rows;
}

/** `fido info` on an opened device. */
export async function printInfo(device: CtapHidDevice, spec: string, protocol: string, json: boolean, io: CliIo): Promise<number> {
  const hid = device.info;
  const base = { device: spec, ctaphid: { protocolVersion: hid.protocolVersion, deviceVersion: hid.deviceVersion.join('.'), wink: hid.wink, cbor: hid.cbor, msg: hid.msg } };
  if (protocol === 'u2f' || (protocol === 'auto' && !hid.cbor)) {
    const version = await new Ctap1(device).getVersion();
    if (json) printJson(io, { ...base, u2fVersion: version });
    else printLine(io, `${spec}: U2F key (${version}), firmware ${base.ctaphid.deviceVersion}`);
    return 0;
  }
  const ctap2 = new Ctap2(device);
  const i = await ctap2.getInfo();
  const pin = new ClientPin(ctap2, { protocol: i.pinUvAuthProtocols.includes(2) ? 2 : 1 });
  const retries = i.options.clientPin === true ? (await pin.getRetries()).retries : null;
  // §6.5.5.3 getUVRetries, as fido2-token -I asks it ("uv retries"); a key that refuses it
  // (no UV retries to report while nothing is enrolled) shows none.
  const uvRetries = hasBuiltInUv(i) ? await pin.getUvRetries().catch(refusedAsNull) : null;
  if (json) {
    printJson(io, { ...base, ...infoDocument(i, retries, uvRetries) });
    return 0;
  }
  printLine(io, `${spec}: FIDO key (${i.versions.join(', ')})`);
  const rows = infoRows(i, retries, uvRetries, base.ctaphid.deviceVersion);
  const width = Math.max(23, ...rows.map(([k]) => k.length + 2));
  for (const [k, v] of rows) printLine(io, `  ${`${k}:`.padEnd(width)} ${v}`);
  return 0;
}
