/**
 * The rig file (`rig.json`, or `rig.yaml`): read, parsed and checked against RIG_FILE_SCHEMA.
 * A mistake is one line naming the path of the bad field (`devices[2].clock.drift must be
 * <= 999999`), as a user fixing a file needs it.
 *
 * @example
 * ```ts
 * const rig = await readRigFile('rig.json');
 * rig.devices[0]; // { kind: 'otp', profile: 'aws-totp', count: 100 }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { DEVICE_ENTRY_SCHEMA, RIG_FILE_SCHEMA } from './rig-schema.js';
import type { BatteryState, DeviceKind, TouchMode, UvMode } from './rig-state.js';

export type { BatteryState, DeviceKind, TouchMode, UvMode };
export type Time = string | number;

export interface DeviceClockEntry {
  source?: 'rig' | 'manual';
  start?: Time;
  offset?: number;
  drift?: number;
}

/** Endpoints by `tokenrig/sim` option name (`serialPort`, `hid`, ...). */
/** Endpoint options by name: a string for most (`udp:0`, `tcp:0`, `pty`), a port or a flag for some (usbip, uhid). */
export type EndpointsEntry = Readonly<Record<string, string | number | boolean>>;

interface CommonEntry {
  count?: number;
  endpoints?: EndpointsEntry;
  clock?: DeviceClockEntry;
}

export interface OtpEntry extends CommonEntry {
  kind: 'otp';
  profile?: string;
  serial?: string;
  secret?: string;
  seedFile?: string;
  password?: string;
  passwordFile?: string;
  key?: string;
  battery?: BatteryState;
}

export interface FidoOptionsEntry {
  name?: string;
  personality?: string;
  aaguid?: string;
  touch?: TouchMode;
  uv?: UvMode;
  pin?: string;
}

export interface FidoEntry extends CommonEntry, FidoOptionsEntry {
  kind: 'fido';
  profile?: string;
}

export interface KeyEntry extends CommonEntry, FidoOptionsEntry {
  kind: 'key';
  profile?: string;
  serial?: string;
  secret?: string;
  battery?: BatteryState;
}

export type DeviceEntry = OtpEntry | FidoEntry | KeyEntry;

export interface RigFile {
  version?: 1;
  clock?: { start?: Time; manual?: boolean };
  host?: string;
  /** The rig's one USB/IP server: its TCP port (0: any free one); devices with `usbip: rig` are exported on it. */
  usbip?: number;
  stateDir?: string;
  devices: DeviceEntry[];
}

const ajv = new Ajv2020({ allErrors: false, discriminator: true, allowUnionTypes: true, strict: true, strictRequired: false });
const checkRig = ajv.compile<RigFile>(RIG_FILE_SCHEMA);
const checkEntry = ajv.compile<DeviceEntry>(DEVICE_ENTRY_SCHEMA);

/** `/devices/2/clock/drift` → `devices[2].clock.drift` (the path as a person writes it). */
export function jsonPath(pointer: string, root = ''): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

/** One line for ajv's first error, naming the field's path. */
function describe(error: ErrorObject, root: string): string {
  const path = jsonPath(error.instancePath, root);
  const at = path === '' ? 'the rig file' : path;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${path === '' ? '' : `${path}: `}unknown field ${JSON.stringify(p.additionalProperty)}`;
    case 'required':
      return `${path === '' ? '' : `${path}: `}missing field ${JSON.stringify(p.missingProperty)}`;
    case 'enum':
      return `${at} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at} must be ${JSON.stringify(p.allowedValue)}`;
    case 'discriminator':
      return p.error === 'mapping' ? `${jsonPath(`${error.instancePath}/kind`, root)} must be one of "otp", "fido", "key"` : `${at}: missing field "kind" (otp, fido or key)`;
    default:
      return `${at} ${error.message ?? 'is not valid'}`;
  }
}

/**
 * Check a parsed rig file; returns it typed or throws BAD_INPUT naming the bad field's path.
 *
 * @example
 * ```ts
 * validateRigFile({ devices: [{ kind: 'otp', count: 0 }] });
 * // TokenrigError: devices[0].count must be >= 1
 * ```
 */
export function validateRigFile(value: unknown, where = ''): RigFile {
  if (!checkRig(value)) throw badInput(`${where === '' ? '' : `${where}: `}${describe(checkRig.errors![0]!, '')}`);
  return value;
}

/** Check one device entry (the API's "add devices" body); `root` prefixes the path in errors. */
export function validateDeviceEntry(value: unknown, root = 'device'): DeviceEntry {
  if (!checkEntry(value)) throw badInput(describe(checkEntry.errors![0]!, root));
  return value;
}

/** A checker for any schema of ours, with the same one-line errors (`body.action must be one of ...`). */
export function schemaChecker<T>(schema: object, root: string): (value: unknown) => T {
  const check = ajv.compile<T>(schema);
  return (value) => {
    if (!check(value)) throw badInput(describe(check.errors![0]!, root));
    return value;
  };
}

/** Parse rig file text: YAML for .yaml/.yml names, JSON otherwise. Throws BAD_FILE when it does not parse. */
export function parseRigText(text: string, name: string): unknown {
  const yaml = /\.ya?ml$/i.test(name);
  try {
    return yaml ? parseYaml(text, { prettyErrors: false, uniqueKeys: true }) : JSON.parse(text);
  } catch (e) {
    const first = ((e as Error).message ?? '').split('\n')[0];
    throw new TokenrigError(ErrorCode.BAD_FILE, `${name} is not ${yaml ? 'YAML' : 'JSON'}: ${first}`, { cause: e });
  }
}

/** Read, parse and check a rig file. NOT_FOUND when it is missing, BAD_FILE when it does not parse, BAD_INPUT for a bad field. */
export async function readRigFile(path: string): Promise<RigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TokenrigError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_FILE, `${path}: ${code === 'ENOENT' ? 'no such file' : 'cannot read it'}`, { cause: e });
  }
  return validateRigFile(parseRigText(text, path), path);
}
