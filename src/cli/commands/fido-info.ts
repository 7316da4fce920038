/**
 * `tokenrig fido info`: everything the key reports. A CTAP2 key: every getInfo member it
 * sends (CTAP 2.1 §6.4 and CTAP 2.2), members this version does not know by number, and the
 * PIN retries when a PIN is set; a U2F-only key: its U2F version. `--json` prints the same as
 * one document (byte strings in base64url, the AAGUID in hex).
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap1 } from '../../ctap/ctap1.js';
import { Ctap2, type Ctap2Info } from '../../ctap/ctap2.js';
import type { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { GET_INFO } from '../../protocol/ctap2-parameters.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

/** COSE algorithm names for the listing (RFC 9053, RFC 8812, draft-ietf-cose-dilithium aside). */
const ALGORITHM_NAMES: Readonly<Record<number, string>> = { [-7]: 'ES256', [-8]: 'EdDSA', [-35]: 'ES384', [-36]: 'ES512', [-257]: 'RS256', [-37]: 'PS256', [-47]: 'ES256K' };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** getInfo as a JSON-able object: the typed members, then any member the spec does not define, by number. */
export function infoDocument(i: Ctap2Info): Record<string, unknown> {
  const { raw, aaguid, ...members } = i;
  const known = new Set<unknown>(Object.values(GET_INFO));
  const unknown = Object.fromEntries([...raw].filter(([k]) => !known.has(k)).map(([k, v]) => [String(k), v]));
  return { ...members, aaguid: hex(aaguid), ...(Object.keys(unknown).length > 0 ? { unknownMembers: unknown } : {}) };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.map(describe).join(', ');
  if (value instanceof Uint8Array) return hex(value);
  if (typeof value === 'object' && value !== null) return Object.entries(value).map(([k, v]) => `${k}=${describe(v)}`).join(' ');
  return String(value);
}

/** One line per member, named as the spec names it. */
function infoLines(i: Ctap2Info, retries: number | undefined): string[] {
  const lines = [`  aaguid ${hex(i.aaguid)}`];
  if (i.extensions.length > 0) lines.push(`  extensions ${i.extensions.join(', ')}`);
  lines.push(`  options ${describe(i.options)}`);
  lines.push(`  PIN/UV auth protocols ${i.pinUvAuthProtocols.join(', ') || 'none'}${i.options.clientPin === true ? `, PIN set${retries === undefined ? '' : ` (${retries} retries left)`}` : ''}`);
  if (i.algorithms !== undefined) lines.push(`  algorithms ${i.algorithms.map((a) => `${ALGORITHM_NAMES[a.alg] ?? a.type} (${a.alg})`).join(', ')}`);
  if (i.firmwareVersion !== undefined) lines.push(`  firmwareVersion 0x${i.firmwareVersion.toString(16).padStart(6, '0')}`);
  const skip = new Set(['versions', 'extensions', 'aaguid', 'options', 'pinUvAuthProtocols', 'algorithms', 'firmwareVersion', 'raw']);
  for (const [k, v] of Object.entries(i)) if (!skip.has(k) && v !== undefined) lines.push(`  ${k} ${describe(v)}`);
  const known = new Set<unknown>(Object.values(GET_INFO));
  for (const [k, v] of i.raw) if (!known.has(k)) lines.push(`  member 0x${Number(k).toString(16)} ${describe(v)}`);
  return lines;
}

/** Run `fido info` on an opened device. */
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
  const retries = i.options.clientPin === true ? (await new ClientPin(ctap2, { protocol: i.pinUvAuthProtocols.includes(2) ? 2 : 1 }).getRetries()).retries : undefined;
  if (json) printJson(io, { ...base, ...infoDocument(i), ...(retries === undefined ? {} : { pinRetries: retries }) });
  else {
    printLine(io, `${spec}: FIDO key, ${i.versions.join(', ')}, firmware ${base.ctaphid.deviceVersion}`);
    for (const line of infoLines(i, retries)) printLine(io, line);
  }
  return 0;
}
