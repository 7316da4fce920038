/**
 * `tokenrig fido info`: everything the key reports. A CTAP2 key: every getInfo member it sends
 * (CTAP 2.1 §6.4 and CTAP 2.2), members this version does not know by number, and the PIN
 * state with its retries; a U2F-only key: its U2F version. The text is laid out as
 * `fido2-token -I` and `ykman fido info` lay theirs out, one fact a line; `--json` gives the
 * same as one document (byte strings in base64url, the AAGUID in hex).
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap1 } from '../../ctap/ctap1.js';
import { Ctap2, type Ctap2Info } from '../../ctap/ctap2.js';
import type { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { COSE_ALG } from '../../protocol/cose.js';
import { GET_INFO } from '../../protocol/ctap2-parameters.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

/** COSE algorithm names, as fido2-token names them. */
const ALGORITHM_NAMES: Readonly<Record<number, string>> = { [COSE_ALG.ES256]: 'es256', [-8]: 'eddsa', [-35]: 'es384', [-36]: 'es512', [-257]: 'rs256', [-37]: 'ps256', [-47]: 'es256k' };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

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
export function infoDocument(i: Ctap2Info, retries: number | null): Record<string, unknown> {
  const { raw: _raw, aaguid, algorithms, ...members } = i;
  const unknown = unknownMembers(i);
  return {
    ...members,
    aaguid: hex(aaguid),
    algorithms: (algorithms ?? []).map((a) => ({ ...a, name: ALGORITHM_NAMES[a.alg] ?? String(a.alg) })),
    pin: { set: i.options.clientPin === true, retries },
    maxMsgSize: i.maxMsgSize ?? null,
    firmwareVersion: i.firmwareVersion ?? null,
    ...(Object.keys(unknown).length > 0 ? { unknownMembers: unknown } : {}),
  };
}

/** One fact a line; false options as "no…". */
function infoRows(i: Ctap2Info, retries: number | null, firmware: string): [string, string][] {
  const rows: [string, string][] = [
    ['versions', i.versions.join(', ')],
    ['extensions', i.extensions.join(', ') || 'none'],
    ['aaguid', hex(i.aaguid)],
    ['options', Object.entries(i.options).map(([k, v]) => (v ? k : `no${k}`)).join(', ')],
    ['algorithms', (i.algorithms ?? []).map((a) => `${ALGORITHM_NAMES[a.alg] ?? a.type} (${a.alg})`).join(', ') || 'not reported'],
    ['PIN', i.options.clientPin === true ? `set, ${retries} ${retries === 1 ? 'attempt' : 'attempts'} remaining` : 'not set'],
    ['PIN/UV auth protocols', i.pinUvAuthProtocols.join(', ') || 'none'],
    ['max message size', String(i.maxMsgSize ?? 'not reported')],
    ['firmware', i.firmwareVersion === undefined ? firmware : `${firmware} (getInfo 0x${i.firmwareVersion.toString(16).padStart(6, '0')})`],
  ];
  // Every other member the key sent, by the spec's name (minPINLength, forcePINChange, ...).
  for (const [k, v] of Object.entries(i)) if (!FIRST.has(k) && v !== undefined) rows.push([k, describe(v)]);
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
  const retries = i.options.clientPin === true ? (await new ClientPin(ctap2, { protocol: i.pinUvAuthProtocols.includes(2) ? 2 : 1 }).getRetries()).retries : null;
  if (json) {
    printJson(io, { ...base, ...infoDocument(i, retries) });
    return 0;
  }
  printLine(io, `${spec}: FIDO key (${i.versions.join(', ')})`);
  const rows = infoRows(i, retries, base.ctaphid.deviceVersion);
  const width = Math.max(23, ...rows.map(([k]) => k.length + 2));
  for (const [k, v] of rows) printLine(io, `  ${`${k}:`.padEnd(width)} ${v}`);
  return 0;
}
