/**
 * One simulated device, put together from its profile: the injected environment, the OTP
 * token firmware and/or the FIDO authenticator the profile's interfaces need, and the
 * endpoints asked for. A composite profile (`composite-key`) is one device whose FIDO, OTP
 * vendor, keyboard and serial interfaces share one button, one clock and one state directory.
 * The public start functions (otp-token.ts, fido-key.ts) are thin fronts on this.
 */
import { DEVICE_PROFILES, type DeviceProfile, deviceProfile, validateDeviceProfile } from '../../devices/index.js';
import {
  AutoFingerprint,
  AutoPresence,
  DenyPresence,
  type DeviceEnvironment,
  type FingerprintSensor,
  ManualFingerprint,
  ManualPresence,
  type RandomSource,
  type UserPresence,
  WrongFingerprint,
  createNodeEnvironment,
} from '../../firmware-sim/env/index.js';
import { FidoAuthenticator, type FidoProfile, type UserVerifierSource, fidoProfile, fidoProfileFromDevice } from '../../firmware-sim/fido/index.js';
import type { SimulatedHidInterface } from '../../firmware-sim/hid-interface.js';
import { OtpKeyboardInterface, OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../../firmware-sim/otp/index.js';
import { type Clock, systemClock } from '../clock/index.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { parseBase32Secret } from '../otp/index.js';
import { type DeviceInterfaces, type EndpointOptions, type EndpointSettings, type HidInterfaceKind, type SimEndpoints, checkEndpointOptions, openEndpoints } from './endpoints.js';
import { type SimEvent, eventLogger } from './events.js';

/** What every start function takes: the device, its environment, and its endpoints. */
export interface DeviceStartOptions<C extends Clock = Clock> extends EndpointOptions, EndpointSettings {
  /**
   * A built-in profile by name (`aws-totp`, `totp60`, `hotp`, `composite-key`; for a FIDO key
   * also a key personality: `yubikey-5`, `ctap20`, `u2f-only`, `solo1`) or one as data (validated).
   */
  profile?: string | DeviceProfile;
  /** The clock the device runs on (default: the system clock); a `ManualClock` makes time a test's to move. */
  clock?: C;
  /** Keep the device's state (seed, serial, counters, credentials, PIN) here, files mode 0600; default in memory. */
  stateDir?: string;
  /** Called for every device event (press, fault, credential made, touch requested, ...). */
  onEvent?: (event: SimEvent) => void;
}

/** The OTP token's own options. */
export interface OtpStartOptions {
  /** The seed of a new token, as bytes or Base32; default random (20 bytes). */
  secret?: Uint8Array | string;
  /** The serial number of a new token; default random in the profile's format (GAKT12345678). */
  serial?: string;
  /** The token's crystal runs this many seconds ahead (negative: behind) of the clock. */
  offsetSeconds?: number;
  /** The token's crystal gains this many parts per million (negative: loses). */
  driftPpm?: number;
}

/** How the FIDO key's user presence (the touch) is answered. */
export type TouchMode = 'auto' | 'manual' | 'deny';

/** How the finger on a key's fingerprint sensor is answered (keys with one, e.g. the `yubikey-bio` personality). */
export type UvMode = 'auto' | 'manual' | 'deny';

/** The FIDO key's own options. */
export interface FidoStartOptions {
  /** `auto` (default): every touch granted; `manual`: granted by `touch()`; `deny`: always refused. */
  touch?: TouchMode;
  /**
   * The finger on the fingerprint sensor: `auto` (default) an enrolled finger, good enrollment
   * samples; `manual` the one `placeFinger()` puts there; `deny` always a finger the key does
   * not know (enrollment still works); or a sensor of the caller's own (firmware-sim/env's
   * ScriptedFingerprint).
   */
  uv?: UvMode | FingerprintSensor;
  /** The authenticator's identity over the profile's (e.g. `{ aaguid: '...' }`). */
  fido?: Partial<FidoProfile>;
}

/** A running device (internal): its parts and its endpoints. */
export interface Device {
  readonly profile: DeviceProfile | undefined;
  readonly env: DeviceEnvironment;
  readonly token: OtpTokenFirmware | undefined;
  readonly authenticator: FidoAuthenticator | undefined;
  readonly presence: UserPresence;
  readonly touch: TouchMode;
  readonly fingerprint: FingerprintSensor;
  readonly uv: UvMode | 'custom';
  readonly endpoints: SimEndpoints;
  close(): Promise<void>;
}

/** The profile named or given, checked; undefined stays undefined. */
export function resolveProfile(profile: string | DeviceProfile | undefined): DeviceProfile | undefined {
  if (profile === undefined) return undefined;
  return typeof profile === 'string' ? deviceProfile(profile) : validateDeviceProfile(profile);
}

const OTP_KINDS = new Set(['otp-vendor', 'keyboard', 'serial']);

/** True when the profile has an interface of the OTP token (vendor HID, keyboard or serial). */
export function hasOtp(profile: DeviceProfile): boolean {
  return profile.interfaces.some((i) => OTP_KINDS.has(i.kind));
}

/** True when the profile has a FIDO interface. */
export function hasFido(profile: DeviceProfile): boolean {
  return profile.interfaces.some((i) => i.kind === 'fido');
}

/** BAD_INPUT for a profile that lacks what a start function needs, naming the built-in ones that have it. */
export function wrongProfile(profile: DeviceProfile, needs: string, fits: (p: DeviceProfile) => boolean): TokenrigError {
  const names = Object.values(DEVICE_PROFILES).filter(fits).map((p) => p.name);
  return badInput(`profile ${JSON.stringify(profile.name)} has no ${needs}: use ${names.length === 1 ? '' : 'one of '}${names.join(', ')}`);
}

function presenceFor(touch: TouchMode): UserPresence {
  return touch === 'manual' ? new ManualPresence() : touch === 'deny' ? new DenyPresence() : new AutoPresence();
}

function fingerprintFor(uv: UvMode): FingerprintSensor {
  return uv === 'manual' ? new ManualFingerprint() : uv === 'deny' ? new WrongFingerprint() : new AutoFingerprint();
}

/** Parts a composition root supplies itself (the rig: a touch mode it switches, a fingerprint sensor it drives). */
export interface DeviceParts {
  /** User presence instead of the one `touch` names. */
  presence?: UserPresence;
  /**
   * Built-in user verification for the FIDO authenticator instead of the fingerprint sensor
   * `uv` drives, or made for the key once its personality is known (the rig's: approved or
   * denied from its dashboard, on a key whose personality has no sensor).
   */
  userVerifier?: UserVerifierSource;
  /** The random source (default: one CSPRNG source of its own). */
  random?: RandomSource;
}

/**
 * Start a device. `profile` undefined is the plain FIDO key (the tokenrig FIDO2 simulator
 * identity); `primary` is the interface the caller started it for, whose spec is `hid`.
 */
export async function startDevice<C extends Clock>(
  primary: HidInterfaceKind,
  profile: DeviceProfile | undefined,
  options: DeviceStartOptions<C> & OtpStartOptions & FidoStartOptions,
  supplied: DeviceParts = {},
): Promise<Device> {
  checkEndpointOptions(options);
  const touch = options.touch ?? 'auto';
  if (!['auto', 'manual', 'deny'].includes(touch)) throw badInput(`touch must be auto, manual or deny, got ${JSON.stringify(touch)}`);
  const uv = options.uv ?? 'auto';
  if (typeof uv === 'string' && !['auto', 'manual', 'deny'].includes(uv)) throw badInput(`uv must be auto, manual or deny, got ${JSON.stringify(uv)}`);
  const fingerprint = typeof uv === 'string' ? fingerprintFor(uv) : uv;
  const secret = typeof options.secret === 'string' ? parseBase32Secret(options.secret) : options.secret;
  const interfaces = profile?.interfaces ?? [{ kind: 'fido' as const, usagePage: 0xf1d0 as const, usage: 0x01 as const }];
  const presence = supplied.presence ?? presenceFor(touch);
  let env: DeviceEnvironment;
  try {
    env = createNodeEnvironment({
      presence,
      fingerprint,
      clock: options.clock ?? systemClock,
      log: eventLogger(options.onEvent),
      ...(supplied.random === undefined ? {} : { random: supplied.random }),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
  } catch (e) {
    // A state directory refused for a reason (another user's) already says so.
    if (e instanceof TokenrigError) throw e;
    throw new TokenrigError(ErrorCode.BAD_INPUT, `cannot use the state directory ${options.stateDir}: ${(e as Error).message}`, { cause: e });
  }

  const token =
    profile !== undefined && hasOtp(profile)
      ? OtpTokenFirmware.open(env, profile, {
          ...(secret === undefined ? {} : { secret }),
          ...(options.serial === undefined ? {} : { serial: options.serial }),
          offsetMs: (options.offsetSeconds ?? 0) * 1000,
          ppm: options.driftPpm ?? 0,
        })
      : undefined;
  let authenticator: FidoAuthenticator | undefined;
  if (profile === undefined || hasFido(profile)) {
    const identity = profile === undefined ? fidoProfile(options.fido) : fidoProfileFromDevice(profile, options.fido);
    try {
      authenticator = await FidoAuthenticator.create(env, identity, supplied.userVerifier === undefined ? {} : { userVerifier: supplied.userVerifier });
    } catch (e) {
      // A damaged state file already says which file, and how to recover.
      if (e instanceof TokenrigError) throw e;
      throw new TokenrigError(ErrorCode.BAD_FILE, `the FIDO state in ${options.stateDir ?? 'memory'} is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  const hid: { kind: HidInterfaceKind; name: string; iface: SimulatedHidInterface }[] = [];
  for (const i of interfaces) {
    const kind: HidInterfaceKind | undefined = i.kind === 'otp-vendor' ? 'otp' : i.kind === 'serial' ? undefined : i.kind;
    if (kind === undefined) continue;
    const iface = kind === 'fido' ? authenticator!.hid : kind === 'otp' ? createOtpVendorHid(env, token!) : new OtpKeyboardInterface(token!);
    hid.push({ kind, name: kind === primary ? 'hid' : kind, iface });
  }
  const parts: DeviceInterfaces = {
    usb: profile?.usb ?? (({ vendorId, productId, manufacturer, product }) => ({ vendorId, productId, manufacturer, product }))(authenticator!.profile),
    hid,
    serial: token !== undefined && interfaces.some((i) => i.kind === 'serial') ? new OtpSerialInterface(token) : undefined,
    ...(token === undefined ? {} : { serialNumber: token.serial }),
    firmwareVersion: profile?.firmwareVersion ?? authenticator!.profile.firmwareVersion,
    emit: (e) => options.onEvent?.(e),
  };
  const opened = await openEndpoints(parts, options, options);
  return { profile, env, token, authenticator, presence, touch, fingerprint, uv: typeof uv === 'string' ? uv : 'custom', endpoints: opened.endpoints, close: opened.close };
}
