/**
 * The rig: many simulated devices in one process, started from a rig file, on one shared
 * clock, with the controls the API and the dashboard call and one stream of events.
 *
 * @example
 * ```ts
 * import { Rig } from 'tokenrig/rig';
 *
 * await using rig = await Rig.start({ clock: { start: '2026-01-01T00:00:00Z', manual: true }, devices: [{ kind: 'otp', count: 3 }, { kind: 'fido', touch: 'manual' }] });
 * const [token] = rig.list();
 * rig.device(token.id).press();
 * rig.advanceAll(30_000);
 * ```
 */
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { DEVICE_PROFILES, type DeviceProfile, deviceProfile, validateDeviceProfile } from '../../devices/index.js';
import { CryptoRandom } from '../../firmware-sim/env/index.js';
import { FIDO_PROFILES, type FidoProfile, type UserVerifierSource, fingerprintVerifier } from '../../firmware-sim/fido/index.js';
import { type Clock, DriftingClock, ManualClock } from '../clock/index.js';
import { ClientPin } from '../ctap/client-pin.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { parseBase32Secret, hexDecode } from '../otp/index.js';
import type { TokenSeed } from '../seeds/index.js';
import { hasFido, hasOtp, startDevice } from '../sim/device.js';
import { ENDPOINT_KINDS, type EndpointOptions } from '../sim/endpoints.js';
import { type SimUsbIpServer, startUsbIpServer } from '../sim/usbip-server.js';
import { type SimEvent, snakeCaseKeys } from '../sim/events.js';
import { RigClock, parseTime } from './rig-clock.js';
import { RigDevice } from './rig-device.js';
import type { DeviceState } from './rig-state.js';
import type { DeviceEntry, FidoEntry, KeyEntry, OtpEntry, RigFile } from './rig-file.js';
import { validateRigFile } from './rig-file.js';
import { RIG_FINGER, RigFingerprint, RigPresence, RigUserVerifier } from './rig-presence.js';

/** An event of the rig: a device's (with `device`, its id) or the rig's own. */
export interface RigEvent {
  readonly event: string;
  readonly device?: string;
  readonly [field: string]: unknown;
}

export interface RigOptions {
  /** Where relative paths in the rig file (seed files, stateDir) start; default the working directory. */
  baseDir?: string;
  /** The clock the rig clock runs over (default the system clock); tests pass a ManualClock. */
  baseClock?: Clock;
}

/** The most devices one rig holds: bounded memory for any rig file. */
export const MAX_RIG_DEVICES = 100_000;

/** A Base32 secret, serial or other value of an entry, checked, with the entry's path in the error. */
function at(path: string, e: unknown): TokenrigError {
  if (e instanceof TokenrigError) return new TokenrigError(e.code, `${path}: ${e.message}`, { cause: e.cause ?? e });
  return badInput(`${path}: ${(e as Error).message}`);
}

/** The next serial after `serial`: its trailing digits counted up, width kept (GAKT00000009 → GAKT00000010). */
export function nextSerial(serial: string): string {
  const m = /^(.*?)(\d+)$/.exec(serial);
  if (m === null) throw badInput(`serial ${JSON.stringify(serial)} ends in no digits to count up`);
  const n = (BigInt(m[2]!) + 1n).toString().padStart(m[2]!.length, '0');
  if (n.length > m[2]!.length) throw badInput(`serials run out after ${serial}`);
  return m[1]! + n;
}

/** A device profile for a seed from a file: the base profile with the seed's OTP parameters and serial format. */
function profileForSeed(base: DeviceProfile, seed: TokenSeed): DeviceProfile {
  const m = /^(.*?)(\d+)$/.exec(seed.serial);
  const otp =
    seed.type === 'hotp'
      ? { kind: 'hotp' as const, algorithm: seed.algorithm, digits: seed.digits, initialCounter: Number(seed.counter ?? 0n) }
      : { kind: 'totp' as const, algorithm: seed.algorithm, digits: seed.digits, period: seed.period ?? 30 };
  return validateDeviceProfile({
    ...base,
    ...(seed.model === undefined ? {} : { model: seed.model }),
    serialFormat: m === null ? base.serialFormat : { prefix: m[1]!, digits: m[2]!.length },
    otp,
  });
}

export class Rig implements AsyncDisposable {
  readonly clock: RigClock;
  readonly #devices = new Map<string, RigDevice>();
  readonly #listeners = new Set<(e: RigEvent) => void>();
  readonly #baseDir: string;
  readonly #host: string;
  readonly #stateDir: string | undefined;
  /** The rig's one USB/IP server (rig file `usbip`), which `usbip: rig` devices are exported on. */
  #usbip: SimUsbIpServer | undefined;
  /** One CSPRNG source for every device of the rig. */
  readonly #random = new CryptoRandom();
  #entries = 0;
  #fidoCount = 0;
  #closed = false;

  private constructor(file: RigFile, options: RigOptions) {
    this.#baseDir = options.baseDir ?? process.cwd();
    this.#host = file.host ?? '127.0.0.1';
    this.#stateDir = file.stateDir === undefined ? undefined : resolve(this.#baseDir, file.stateDir);
    const start = file.clock?.start === undefined ? undefined : parseTime(file.clock.start, 'clock.start');
    this.clock = new RigClock({ ...(start === undefined ? {} : { start }), manual: file.clock?.manual === true }, options.baseClock);
  }

  /**
   * Start every device of a rig file (validated here too). On a failure the devices already
   * started are closed and the error names the entry (`devices[3].endpoints.hid: ...`).
   */
  static async start(file: RigFile, options: RigOptions = {}): Promise<Rig> {
    const checked = validateRigFile(file);
    const rig = new Rig(checked, options);
    try {
      if (checked.usbip !== undefined) rig.#usbip = await startUsbIpServer({ host: rig.#host, port: checked.usbip, onEvent: ({ event, ...fields }) => rig.emit(event, fields) }).catch((e: unknown) => Promise.reject(at('usbip', e)));
      for (const [i, entry] of checked.devices.entries()) await rig.#addEntry(entry, `devices[${i}]`);
    } catch (e) {
      await rig.close();
      throw e;
    }
    return rig;
  }

  get size(): number {
    return this.#devices.size;
  }

  /** The devices, in the order they were added. */
  devices(): RigDevice[] {
    return [...this.#devices.values()];
  }

  /** The device with this id (its serial, or a key's name); NOT_FOUND otherwise. */
  device(id: string): RigDevice {
    const d = this.#devices.get(id);
    if (d === undefined) throw new TokenrigError(ErrorCode.NOT_FOUND, `no device ${JSON.stringify(id)} in the rig`);
    return d;
  }

  list(): DeviceState[] {
    return this.devices().map((d) => d.state());
  }

  /** Listen to every event; returns the function that stops listening. */
  subscribe(listener: (e: RigEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: string, fields: Record<string, unknown> = {}): void {
    if (this.#listeners.size === 0) return;
    const e = { event, ...(snakeCaseKeys(fields) as Record<string, unknown>) };
    for (const l of this.#listeners) l(e);
  }

  /** Add the devices of one entry (the API's "add devices"); `path` names it in errors. */
  async add(entry: DeviceEntry, path = 'device'): Promise<RigDevice[]> {
    const added = await this.#addEntry(entry, path);
    for (const d of added) this.emit('device_added', { device: d.id, state: d.state() });
    return added;
  }

  /** Remove a device: its endpoints close, a waiting touch is refused. */
  async remove(id: string): Promise<void> {
    const d = this.device(id);
    this.#devices.delete(id);
    await d.close();
    this.emit('device_removed', { device: id });
  }

  /** Set every clock: the rig clock and every device's own manual clock. */
  setAll(ms: number): void {
    const delta = ms - this.clock.now();
    this.clock.set(ms);
    for (const d of this.#devices.values()) d.manualClock?.advance(delta);
    this.emit('clock_set', { time_ms: this.clock.now() });
  }

  /** Advance every clock by `ms`. */
  advanceAll(ms: number): void {
    if (!Number.isFinite(ms)) throw badInput('advance must be a number of ms');
    this.setAll(this.clock.now() + ms);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#devices.values()];
    this.#devices.clear();
    await Promise.all(all.map((d) => d.close()));
    await this.#usbip?.close();
  }

  /** The rig's USB/IP server as a spec (`usbip:HOST:PORT`), when the rig file asked for one. */
  get usbipServer(): string | undefined {
    return this.#usbip === undefined ? undefined : `usbip:${this.#usbip.host}:${this.#usbip.port}`;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #addEntry(entry: DeviceEntry, path: string): Promise<RigDevice[]> {
    if (this.#closed) throw new TokenrigError(ErrorCode.CLOSED, 'the rig is closed');
    const count = entry.count ?? 1;
    if (this.#devices.size + count > MAX_RIG_DEVICES) throw badInput(`${path}.count: a rig holds at most ${MAX_RIG_DEVICES} devices`);
    const endpoints = checkEndpoints(entry.endpoints ?? {}, `${path}.endpoints`, this.#usbip);
    const index = this.#entries++;
    if (entry.kind === 'otp' && entry.seedFile !== undefined) return this.#addSeedFile(entry, path, endpoints, index);
    if (entry.kind !== 'fido' && entry.secret !== undefined && count > 1) throw badInput(`${path}.secret: one secret cannot seed ${count} tokens (leave it out, or use a seedFile)`);
    const added: RigDevice[] = [];
    let serial = entry.kind === 'fido' ? undefined : entry.serial;
    for (let n = 0; n < count; n++) {
      if (n > 0 && serial !== undefined) serial = nextSerial(serial);
      added.push(await this.#startOne(entry, path, endpoints, `${index}-${n}`, { serial, n, count }));
    }
    return added;
  }

  async #addSeedFile(entry: OtpEntry, path: string, endpoints: EndpointOptions, index: number): Promise<RigDevice[]> {
    if (entry.serial !== undefined || entry.secret !== undefined || entry.count !== undefined) throw badInput(`${path}: a seedFile gives the serials and secrets: leave out serial, secret and count`);
    const { loadSeedFile } = await import('../seeds/index.js');
    let password = entry.password;
    if (entry.passwordFile !== undefined) {
      if (password !== undefined) throw badInput(`${path}: give password or passwordFile, not both`);
      password = (await readFile(resolve(this.#baseDir, entry.passwordFile), 'utf8').catch((e: unknown) => Promise.reject(at(`${path}.passwordFile`, e)))).replace(/\r?\n$/, '');
    }
    const seeds = await loadSeedFile(resolve(this.#baseDir, entry.seedFile!), {
      ...(password === undefined ? {} : { password }),
      ...(entry.key === undefined ? {} : { key: hexDecode(entry.key) }),
    }).catch((e: unknown) => Promise.reject(at(`${path}.seedFile`, e)));
    if (this.#devices.size + seeds.length > MAX_RIG_DEVICES) throw badInput(`${path}.seedFile: a rig holds at most ${MAX_RIG_DEVICES} devices`);
    const base = resolveOtpProfile(entry.profile, `${path}.profile`);
    const added: RigDevice[] = [];
    for (const [n, seed] of seeds.entries()) {
      let profile: DeviceProfile;
      try {
        profile = profileForSeed(base, seed);
      } catch (e) {
        throw at(`${path}.seedFile: token ${seed.serial}`, e);
      }
      added.push(await this.#startOne({ ...entry, seedFile: undefined }, path, endpoints, `${index}-${n}`, { serial: seed.serial, secret: seed.secret, profile, n, count: seeds.length }));
    }
    return added;
  }

  async #startOne(
    entry: DeviceEntry,
    path: string,
    endpoints: EndpointOptions,
    stateName: string,
    one: { serial: string | undefined; secret?: Uint8Array; profile?: DeviceProfile; n: number; count: number },
  ): Promise<RigDevice> {
    const clockEntry = entry.clock ?? {};
    const source = clockEntry.source ?? 'rig';
    if (source === 'rig' && clockEntry.start !== undefined) throw badInput(`${path}.clock.start: only a manual clock has a start of its own (source: manual)`);
    const base: Clock = source === 'manual' ? new ManualClock(clockEntry.start === undefined ? this.clock.now() : parseTime(clockEntry.start, `${path}.clock.start`)) : this.clock;
    const offsetMs = (clockEntry.offset ?? 0) * 1000;
    const ppm = clockEntry.drift ?? 0;
    const profile = one.profile ?? (entry.kind === 'otp' ? resolveOtpProfile(entry.profile, `${path}.profile`) : resolveFidoProfile(entry, `${path}.profile`));
    const fido = entry.kind === 'otp' ? undefined : fidoIdentity(entry, path);

    // A FIDO key's name in the rig (a composite key's when given); a token's id is its serial, known once it is made.
    let name: string | undefined;
    if (entry.kind === 'fido' || (entry.kind === 'key' && entry.name !== undefined)) {
      if (entry.kind === 'fido') this.#fidoCount++;
      name = entry.name === undefined ? `fido-${this.#fidoCount}` : one.count > 1 ? `${entry.name}-${one.n + 1}` : entry.name;
      if (this.#devices.has(name)) throw badInput(`${path}.name: a device ${JSON.stringify(name)} is already in the rig`);
    }
    let serial = one.serial;
    if (profile !== undefined && hasOtp(profile) && serial === undefined) serial = this.#freshSerial(profile);

    let id = name ?? serial ?? '';
    const emit = (e: SimEvent): void => this.emit(e.event, { ...e, device: id });
    const fidoEntry = entry.kind === 'otp' ? undefined : entry;
    const presence = fidoEntry === undefined ? undefined : new RigPresence(fidoEntry.touch ?? 'auto', (pending) => this.#pendingChanged(id, 'touch', pending));
    const uv = fidoEntry?.uv ?? 'none';
    const finger = fidoEntry === undefined || uv === 'none' ? undefined : new RigFingerprint(uv, (pending) => this.#pendingChanged(id, 'uv', pending));
    // The rig's finger goes on the key's own sensor when its personality has one (the key's
    // firmware matches it and getInfo says uv and bioEnroll), else behind a verifier of the rig's.
    const userVerifier: UserVerifierSource | undefined = finger === undefined ? undefined : (d) => fingerprintVerifier(d.profile)?.(d) ?? new RigUserVerifier(finger);
    const crystal = new DriftingClock(base, { offsetMs, ppm });
    let secret = one.secret;
    if (secret === undefined && entry.kind !== 'fido' && entry.secret !== undefined) {
      try {
        secret = parseBase32Secret(entry.secret);
      } catch (e) {
        throw at(`${path}.secret`, e);
      }
    }
    let device;
    try {
      device = await startDevice(
        entry.kind === 'otp' ? 'otp' : 'fido',
        profile,
        {
          ...endpoints,
          host: this.#host,
          // A FIDO key without a token runs on its own crystal; a token's crystal is the firmware's.
          clock: profile !== undefined && hasOtp(profile) ? base : crystal,
          ...(this.#stateDir === undefined ? {} : { stateDir: join(this.#stateDir, `entry-${stateName}`) }),
          onEvent: emit,
          ...(secret === undefined ? {} : { secret }),
          ...(serial === undefined ? {} : { serial }),
          offsetSeconds: offsetMs / 1000,
          driftPpm: ppm,
          ...(fido === undefined ? {} : { fido }),
          touch: fidoEntry?.touch ?? 'auto',
          ...(finger === undefined ? {} : { uv: finger }),
        },
        { random: this.#random, ...(presence === undefined ? {} : { presence }), ...(userVerifier === undefined ? {} : { userVerifier }) },
      );
    } catch (e) {
      throw at(path, e);
    }
    id = name ?? device.token?.serial ?? id;
    // A key with a sensor of its own comes with the rig's finger enrolled (one kept in stateDir keeps its fingers).
    if (finger !== undefined && device.authenticator?.profile.fingerprintSensor !== undefined && device.authenticator.enrolledFingers === 0) device.authenticator.enrollFinger(RIG_FINGER, 'rig');
    const rigDevice = new RigDevice({ id, kind: entry.kind, device, base, source, crystal, presence, finger });
    if (this.#devices.has(id)) {
      await rigDevice.close();
      throw badInput(`${path}: a device ${JSON.stringify(id)} is already in the rig`);
    }
    try {
      this.#devices.set(id, rigDevice);
      const battery = 'battery' in entry ? entry.battery : undefined;
      if (battery === 'low') device.token!.setFault('battery-low');
      if (battery === 'dead') device.token!.setFault('battery-dead');
      if (fidoEntry?.pin !== undefined) await setPinOnce(rigDevice, fidoEntry.pin, `${path}.pin`);
    } catch (e) {
      this.#devices.delete(id);
      await rigDevice.close();
      throw e instanceof TokenrigError && e.message.startsWith(path) ? e : at(path, e);
    }
    return rigDevice;
  }

  /** A random serial in the profile's format that no device of the rig has. */
  #freshSerial(profile: DeviceProfile): string {
    const { prefix, digits } = profile.serialFormat;
    for (;;) {
      const bytes = this.#random.bytes(digits);
      let s = prefix;
      // A byte mod 10 is biased by <1%: fine for a serial number, which is not a secret.
      for (const b of bytes) s += String(b % 10);
      if (!this.#devices.has(s)) return s;
    }
  }

  #pendingChanged(id: string, what: 'touch' | 'uv', pending: boolean): void {
    this.emit(pending ? `${what}_pending` : `${what}_settled`, { device: id });
  }
}

/** The endpoint options of an entry, each name one of ENDPOINT_KINDS and each value checked there. */
function checkEndpoints(endpoints: Readonly<Record<string, string | number | boolean>>, path: string, usbip: SimUsbIpServer | undefined): EndpointOptions {
  const kinds = ENDPOINT_KINDS as Readonly<Record<string, { check(v: unknown): void }>>;
  const out: Record<string, string | number | boolean | SimUsbIpServer> = {};
  for (const [name, value] of Object.entries(endpoints)) {
    if (name === '$comment') continue;
    if (name === 'usbip' && value === 'rig') {
      if (usbip === undefined) throw badInput(`${path}.usbip: rig needs the rig's USB/IP server: set usbip (a TCP port) at the top of the rig file`);
      out[name] = usbip;
      continue;
    }
    const kind = Object.hasOwn(kinds, name) ? kinds[name] : undefined;
    if (kind === undefined) throw badInput(`${path}: unknown endpoint ${JSON.stringify(name)} (this build has ${Object.keys(kinds).join(', ')})`);
    try {
      kind.check(value);
    } catch (e) {
      throw at(`${path}.${name}`, e);
    }
    out[name] = value;
  }
  return out as unknown as EndpointOptions;
}

function resolveOtpProfile(name: string | undefined, path: string): DeviceProfile {
  const profile = namedProfile(name ?? 'aws-totp', path);
  if (!hasOtp(profile)) throw badInput(`${path}: ${profile.name} has no OTP interface (${otpProfileNames().join(', ')} do)`);
  return profile;
}

function otpProfileNames(): string[] {
  return Object.values(DEVICE_PROFILES).filter(hasOtp).map((p) => p.name);
}

function namedProfile(name: string, path: string): DeviceProfile {
  try {
    return deviceProfile(name);
  } catch {
    throw badInput(`${path}: no device profile ${JSON.stringify(name)} (built in: ${Object.keys(DEVICE_PROFILES).join(', ')})`);
  }
}

function resolveFidoProfile(entry: FidoEntry | KeyEntry, path: string): DeviceProfile | undefined {
  if (entry.kind === 'fido' && entry.profile === undefined) return undefined;
  const profile = namedProfile(entry.profile ?? 'composite-key', path);
  if (!hasFido(profile)) throw badInput(`${path}: ${profile.name} has no FIDO interface`);
  if (entry.kind === 'key' && !hasOtp(profile)) throw badInput(`${path}: ${profile.name} has no OTP interface (a composite key needs both; use kind fido)`);
  return profile;
}

/** The FIDO identity an entry asks for: a personality by name, and an AAGUID of its own. */
function fidoIdentity(entry: FidoEntry | KeyEntry, path: string): Partial<FidoProfile> | undefined {
  let identity: Partial<FidoProfile> | undefined;
  if (entry.personality !== undefined) {
    const p = Object.hasOwn(FIDO_PROFILES, entry.personality) ? FIDO_PROFILES[entry.personality] : undefined;
    if (p === undefined) throw badInput(`${path}.personality: no FIDO personality ${JSON.stringify(entry.personality)} (this build has ${Object.keys(FIDO_PROFILES).join(', ')})`);
    identity = { ...p };
  }
  if (entry.aaguid !== undefined) identity = { ...identity, aaguid: entry.aaguid.toLowerCase() };
  return identity;
}

/** Set the key's PIN unless it has one (a key kept in a state directory keeps its own). */
async function setPinOnce(device: RigDevice, pin: string, path: string): Promise<void> {
  const hid = await device.openCtapHid();
  try {
    const ctap2 = new Ctap2(hid);
    const info = await ctap2.getInfo();
    if (info.options.clientPin === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${path}: this key has no PIN (clientPin)`);
    if (info.options.clientPin === true) return;
    await (await ClientPin.forAuthenticator(ctap2)).setPin(pin);
  } finally {
    await hid.close();
  }
}
