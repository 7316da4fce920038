/**
 * The control API, one table: each route's method, path, what it does, its request body and
 * response schemas, and its handler. The server (server.ts) dispatches on it, and the OpenAPI
 * document (openapi.ts, checked in as docs/rig-openapi.json) is built from it.
 */
import { renderQrPng } from '../../seeds/qr.js';
import { badInput } from '../../errors.js';
import { snakeCaseKeys } from '../../sim/events.js';
import type { Rig } from '../rig.js';
import { parseTime } from '../rig-clock.js';
import type { DeviceEntry } from '../rig-file.js';
import type { RigInfo, TouchMode, UvMode } from '../rig-state.js';
import type { TokenFault } from '../../../firmware-sim/otp/index.js';
import { BODIES, ref } from './schemas.js';

export interface RouteContext {
  readonly rig: Rig;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI path template: `/api/devices/{id}/press`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly body?: object;
  /** The success status (default 200) and its body's schema. */
  readonly status?: number;
  readonly response: object;
  /** Query parameters (GET /api/devices). */
  readonly query?: readonly { name: string; schema: object; description: string }[];
  /** The error statuses it can answer besides 400 (bad body) and 401 (no token). */
  readonly errors?: readonly number[];
  handle(ctx: RouteContext): unknown;
}


/** The search of the device list: every word must occur in the id, serial, profile, model or kind. */
function matches(words: readonly string[], text: string): boolean {
  return words.every((w) => text.includes(w));
}

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/rig',
    operationId: 'getRig',
    summary: 'the rig: its clock and how many devices of each kind',
    response: { type: 'object', properties: { clock: ref('RigClock'), devices: { type: 'integer' }, kinds: { type: 'object', additionalProperties: { type: 'integer' } } } },
    handle: ({ rig }): RigInfo => {
      const kinds: RigInfo['kinds'] = {};
      for (const d of rig.devices()) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
      return { clock: { time_ms: rig.clock.now(), manual: rig.clock.manual }, devices: rig.size, kinds };
    },
  },
  {
    method: 'GET',
    path: '/api/devices',
    operationId: 'listDevices',
    summary: 'list devices: searched, filtered by kind, a page at a time',
    query: [
      { name: 'q', schema: { type: 'string' }, description: 'words that must all occur in the id, serial, profile, model or kind (case-insensitive)' },
      { name: 'kind', schema: { enum: ['otp', 'fido', 'key'] }, description: 'only devices of this kind' },
      { name: 'offset', schema: { type: 'integer', minimum: 0, default: 0 }, description: 'skip this many' },
      { name: 'limit', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 }, description: 'at most this many' },
    ],
    response: { type: 'object', properties: { total: { type: 'integer', description: 'how many match' }, offset: { type: 'integer' }, limit: { type: 'integer' }, devices: { type: 'array', items: ref('DeviceState') } } },
    handle: ({ rig, query }) => {
      const offset = intParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(query, 'limit', 100, 1, 10_000);
      const kind = query.get('kind');
      if (kind !== null && !['otp', 'fido', 'key'].includes(kind)) throw badInput('kind must be otp, fido or key');
      const words = (query.get('q') ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '');
      const found = rig.devices().filter((d) => (kind === null || d.kind === kind) && (words.length === 0 || matches(words, d.searchText)));
      return { total: found.length, offset, limit, devices: found.slice(offset, offset + limit).map((d) => d.state()) };
    },
  },
  {
    method: 'POST',
    path: '/api/devices',
    operationId: 'addDevices',
    summary: 'add devices at run time: one rig file entry (count for many)',
    body: ref('DeviceEntry'),
    status: 201,
    errors: [409],
    response: { type: 'object', properties: { devices: { type: 'array', items: ref('DeviceState') } } },
    handle: async ({ rig, body: entry }) => ({ devices: (await rig.add(entry as DeviceEntry, 'body')).map((d) => d.state()) }),
  },
  {
    method: 'GET',
    path: '/api/devices/{id}',
    operationId: 'getDevice',
    summary: 'one device',
    errors: [404],
    response: ref('DeviceState'),
    handle: ({ rig, params }) => rig.device(params.id!).state(),
  },
  {
    method: 'DELETE',
    path: '/api/devices/{id}',
    operationId: 'removeDevice',
    summary: 'remove a device: its endpoints close, a waiting touch is refused',
    errors: [404],
    response: { type: 'object', properties: { removed: { type: 'string' } } },
    handle: async ({ rig, params }) => {
      await rig.remove(params.id!);
      return { removed: params.id };
    },
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/press',
    operationId: 'press',
    summary: "press an OTP token's button: the code its LCD then shows",
    errors: [404, 409],
    response: { type: 'object', properties: { code: { type: 'string' }, state: ref('DeviceState') } },
    handle: ({ rig, params }) => {
      const d = rig.device(params.id!);
      const code = d.press();
      return { code, state: d.state() };
    },
  },
  {
    method: 'GET',
    path: '/api/devices/{id}/display',
    operationId: 'readDisplay',
    summary: "read an OTP token's LCD (null when blank)",
    errors: [404, 409],
    response: { type: 'object', properties: { code: { type: ['string', 'null'] }, remaining_ms: { type: 'number' }, seconds_to_next_step: { type: 'integer' } } },
    handle: ({ rig, params }) => {
      const otp = rig.device(params.id!).otpState();
      return { code: otp.display, remaining_ms: otp.display_remaining_ms, seconds_to_next_step: otp.seconds_to_next_step };
    },
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/clock',
    operationId: 'setDeviceClock',
    summary: "set or advance one device's clock, or set its drift",
    description: "Acts on the device's crystal: the rig clock and the other devices are not moved.",
    body: BODIES.clockDevice,
    errors: [404],
    response: ref('DeviceClock'),
    handle: ({ rig, params, body: b }) => {
      const d = rig.device(params.id!);
      const { set, advance, drift } = b as { set?: string | number; advance?: number; drift?: number };
      if (set !== undefined) d.setTime(parseTime(set, 'body.set'));
      if (advance !== undefined) d.advance(advance * 1000);
      if (drift !== undefined) d.setDrift(drift);
      rig.emit('device_clock', { device: d.id });
      return d.state().clock;
    },
  },
  {
    method: 'POST',
    path: '/api/clock',
    operationId: 'setRigClock',
    summary: 'set or advance every clock: the rig clock and each device clock of its own',
    body: BODIES.clockAll,
    response: ref('RigClock'),
    handle: ({ rig, body: b }) => {
      const { set, advance } = b as { set?: string | number; advance?: number };
      if (set !== undefined) rig.setAll(parseTime(set, 'body.set'));
      if (advance !== undefined) rig.advanceAll(advance * 1000);
      return { time_ms: rig.clock.now(), manual: rig.clock.manual };
    },
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/fault',
    operationId: 'injectFault',
    summary: "inject a fault into an OTP token (battery-low, battery-dead, end-of-life) or clear it (none)",
    body: BODIES.fault,
    errors: [404, 409],
    response: ref('DeviceState'),
    handle: ({ rig, params, body: b }) => {
      const d = rig.device(params.id!);
      d.setFault((b as { fault: TokenFault }).fault);
      return d.state();
    },
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/touch',
    operationId: 'answerTouch',
    summary: 'approve or deny the touch a FIDO key waits for',
    body: BODIES.answer,
    errors: [404, 409],
    response: { type: 'object', properties: { answered: { type: 'integer', description: 'how many requests were waiting' } } },
    handle: ({ rig, params, body: b }) => ({ answered: rig.device(params.id!).answerTouch((b as { action: string }).action === 'approve') }),
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/uv',
    operationId: 'answerUv',
    summary: "approve (a matching finger) or deny the user verification a FIDO key's sensor waits for",
    body: BODIES.answer,
    errors: [404, 409],
    response: { type: 'object', properties: { answered: { type: 'integer' } } },
    handle: ({ rig, params, body: b }) => ({ answered: rig.device(params.id!).answerUv((b as { action: string }).action === 'approve') }),
  },
  {
    method: 'PUT',
    path: '/api/devices/{id}/modes',
    operationId: 'setModes',
    summary: "set a FIDO key's touch mode and fingerprint mode (auto, manual, deny)",
    body: BODIES.modes,
    errors: [404, 409],
    response: ref('DeviceState'),
    handle: ({ rig, params, body: b }) => {
      const d = rig.device(params.id!);
      d.setModes(b as { touch?: TouchMode; uv?: UvMode });
      rig.emit('modes_set', { device: d.id });
      return d.state();
    },
  },
  {
    method: 'GET',
    path: '/api/devices/{id}/credentials',
    operationId: 'listCredentials',
    summary: 'the discoverable credentials a FIDO key holds (no private keys)',
    errors: [404, 409],
    response: { type: 'object', properties: { credentials: { type: 'array', items: ref('Credential') } } },
    handle: ({ rig, params }) => ({ credentials: snakeCaseKeys(rig.device(params.id!).credentials()) }),
  },
  {
    method: 'POST',
    path: '/api/devices/{id}/seed',
    operationId: 'exportSeed',
    summary: "export an OTP token's seed: its Base32 secret and otpauth:// URI (and QR code); needs reveal: true",
    body: BODIES.seed,
    errors: [404, 409],
    response: { type: 'object', properties: { serial: { type: 'string' }, secret: { type: 'string' }, uri: { type: 'string' }, qr_png: { type: 'string', description: 'data:image/png;base64,... (with qr: true)' } } },
    handle: async ({ rig, params, body: b }) => {
      const d = rig.device(params.id!);
      const seed = d.exportSeed();
      rig.emit('seed_revealed', { device: d.id });
      if ((b as { qr?: boolean }).qr !== true) return seed;
      return { ...seed, qr_png: `data:image/png;base64,${Buffer.from(await renderQrPng(seed.uri, 5)).toString('base64')}` };
    },
  },
];

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw badInput(`${name} must be an integer in ${min}..${max}`);
  return n;
}
