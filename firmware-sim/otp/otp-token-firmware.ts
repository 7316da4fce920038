/**
 * The OTP token's firmware: a seed, a serial number, a button and a display, as a pure state
 * machine over the injected DeviceEnvironment.
 *
 * - The token keeps its own time: a crystal (`DriftingClock`) with an offset and a rate error
 *   over the environment's clock, so "runs 2 minutes fast" is one call. TOTP steps and how
 *   long the display stays lit run on that crystal.
 * - A press shows the code for the profile's display time; otherwise the display is blank.
 * - HOTP: the counter is persisted *before* the code is shown, so a crash never shows a code
 *   twice and the counter never goes back (RFC 4226 §7.2 relies on a monotonic counter).
 * - Identity (serial, seed) and counter persist in `env.storage` (atomic, 0600 files).
 * - Faults: a dead battery (by injection or when the profile's battery life is over, counted
 *   on the environment's clock, since setting the token's clock does not age it) and end of
 *   life refuse presses; a low battery still works.
 *
 * @example
 * ```ts
 * const { env, clock } = createTestEnvironment({ startMs: 59_000 });
 * const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret, serial: 'GAKT00000001' });
 * token.press().code; // the TOTP code at the crystal's time
 * ```
 */
import type { DeviceProfile } from '../../devices/profile.js';
import { serialMatchesProfile } from '../../devices/profile.js';
import { DriftingClock } from '../../src/clock/index.js';
import { badInput, badFile } from '../../src/errors.js';
import { base32Decode, base32Encode } from '../../src/otp/base32.js';
import { OtpKey } from '../../src/otp/hotp.js';
import { totpCounter } from '../../src/otp/totp.js';
import type { Identity } from '../../src/protocol/otp/index.js';
import { type DeviceEnvironment, describeKey, readJson, writeJson } from '../env/index.js';

/** Storage key of the token's state; retired keys are listed here and never reused. */
export const OTP_TOKEN_STATE_KEY = 'otp-token.json';

/** The persisted state, schema version 1. */
export interface OtpTokenState {
  version: 1;
  profile: string;
  serial: string;
  /** Base32 seed. The state file is 0600; the seed is never logged. */
  secret: string;
  /** HOTP: the counter the next press uses. TOTP: unused (0). */
  counter: number;
  /** Environment time when the token was made; battery life counts from here (setting the token's clock does not age it). */
  manufacturedMs: number;
  presses: number;
}

export type TokenFault = 'none' | 'battery-low' | 'battery-dead' | 'end-of-life';
export const TOKEN_FAULTS: readonly TokenFault[] = ['none', 'battery-low', 'battery-dead', 'end-of-life'];

/** A press the token refused; `reason` maps to the wire's error codes in one place per wire. */
export class OtpTokenError extends Error {
  override readonly name = 'OtpTokenError';
  readonly reason: 'battery-dead' | 'end-of-life' | 'storage';
  constructor(reason: OtpTokenError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface OtpTokenOptions {
  /** The seed for a new token (ignored if the state already holds one; must then match). */
  secret?: Uint8Array;
  /** The serial for a new token; default: random in the profile's format. */
  serial?: string;
  /** Crystal offset in ms over the environment clock. */
  offsetMs?: number;
  /** Crystal rate error in ppm. */
  ppm?: number;
}

export interface PressResult {
  code: string;
  /** TOTP time step or HOTP counter the code belongs to. */
  counter: number;
  /** Crystal time (ms) until which the display shows it. */
  shownUntilMs: number;
}

export interface DisplayReading {
  code: string;
  /** Milliseconds (crystal) the code stays on the display. */
  remainingMs: number;
}

export class OtpTokenFirmware {
  readonly profile: DeviceProfile;
  readonly crystal: DriftingClock;
  readonly #env: DeviceEnvironment;
  #state: OtpTokenState;
  readonly #key: OtpKey;
  #display: { code: string; fromMs: number; untilMs: number } | undefined;
  #fault: TokenFault = 'none';
  /** Called after each press with the code (the keyboard interface types it). */
  readonly #pressListeners: ((result: PressResult) => void)[] = [];

  private constructor(env: DeviceEnvironment, profile: DeviceProfile, state: OtpTokenState, crystal: DriftingClock) {
    this.#env = env;
    this.profile = profile;
    this.#state = state;
    this.crystal = crystal;
    this.#key = new OtpKey(base32Decode(state.secret), profile.otp.algorithm);
  }

  /**
   * Load the token from `env.storage`, or make a new one (persisting it) when there is none.
   * Throws BAD_INPUT when the stored token contradicts `options` and BAD_FILE when the state
   * is unreadable.
   */
  static open(env: DeviceEnvironment, profile: DeviceProfile, options: OtpTokenOptions = {}): OtpTokenFirmware {
    const crystal = new DriftingClock(env.clock, { offsetMs: options.offsetMs ?? 0, ppm: options.ppm ?? 0 });
    let state: OtpTokenState | undefined;
    const file = describeKey(env.storage, OTP_TOKEN_STATE_KEY);
    try {
      state = readJson<OtpTokenState>(env.storage, OTP_TOKEN_STATE_KEY);
    } catch (e) {
      throw badFile(`token state ${file} is damaged: not JSON (${(e as Error).message.split('\n')[0]}); the token will not start on it (recovery: docs/limits.md#damaged-state-files)`, e);
    }
    if (state !== undefined) {
      checkState(state, profile, file);
      if (options.secret !== undefined && base32Encode(options.secret) !== state.secret) throw badInput('the state directory holds a token with another secret');
      if (options.serial !== undefined && options.serial !== state.serial) throw badInput(`the state directory holds token ${state.serial}, not ${options.serial}`);
    } else {
      const secret = options.secret ?? env.random.bytes(20);
      if (secret.length < 10) throw badInput('the secret must be at least 10 bytes (80 bits, RFC 4226 §4)');
      const serial = options.serial ?? randomSerial(profile, env);
      if (!serialMatchesProfile(profile, serial)) throw badInput(`serial ${JSON.stringify(serial)} does not match profile ${profile.name} (${profile.serialFormat.prefix} + ${profile.serialFormat.digits} digits)`);
      state = {
        version: 1,
        profile: profile.name,
        serial,
        secret: base32Encode(secret),
        counter: profile.otp.kind === 'hotp' ? profile.otp.initialCounter : 0,
        manufacturedMs: env.clock.now(),
        presses: 0,
      };
      writeJson(env.storage, OTP_TOKEN_STATE_KEY, state);
      env.log.log('info', 'token-created', { serial, profile: profile.name });
    }
    return new OtpTokenFirmware(env, profile, state, crystal);
  }

  get serial(): string {
    return this.#state.serial;
  }

  /** HOTP: the counter the next press uses. */
  get counter(): number {
    return this.#state.counter;
  }

  get presses(): number {
    return this.#state.presses;
  }

  /** The seed, for a simulator asked to reveal it (`--reveal`); a real token has no such call. */
  exportSecret(): Uint8Array {
    return base32Decode(this.#state.secret);
  }

  get identity(): Identity {
    return { manufacturer: this.profile.manufacturer, model: this.profile.model, serial: this.#state.serial, firmware: this.profile.firmwareVersion };
  }

  /** The fault in effect: injected, or a battery past the profile's life. */
  get fault(): TokenFault {
    if (this.#fault !== 'none') return this.#fault;
    const ageDays = (this.#env.clock.now() - this.#state.manufacturedMs) / 86_400_000;
    return ageDays > this.profile.batteryLifeDays ? 'battery-dead' : 'none';
  }

  setFault(fault: TokenFault): void {
    this.#fault = fault;
    if (fault === 'battery-dead' || fault === 'end-of-life') this.#display = undefined;
    this.#env.log.log('warn', 'fault', { serial: this.serial, fault });
  }

  /** The token's time in whole Unix seconds. */
  timeSeconds(): number {
    return Math.floor(this.crystal.now() / 1000);
  }

  /** Seconds until the TOTP code changes (period for HOTP tokens: nothing changes). */
  secondsToNextStep(): number {
    if (this.profile.otp.kind !== 'totp') return 0;
    const p = this.profile.otp.period;
    return p - (((this.timeSeconds() % p) + p) % p);
  }

  /** Press the button: compute, persist (HOTP), show and return the code. */
  press(): PressResult {
    const fault = this.fault;
    if (fault === 'battery-dead') throw new OtpTokenError('battery-dead', 'the battery is dead');
    if (fault === 'end-of-life') throw new OtpTokenError('end-of-life', 'the token is past its end of life');
    const otp = this.profile.otp;
    const now = this.crystal.now();
    let counter: number;
    if (otp.kind === 'hotp') {
      counter = this.#state.counter;
      const next = { ...this.#state, counter: counter + 1, presses: this.#state.presses + 1 };
      try {
        // Persist first: a code is never shown for a counter the token could use again.
        writeJson(this.#env.storage, OTP_TOKEN_STATE_KEY, next);
      } catch (e) {
        throw new OtpTokenError('storage', `cannot persist the counter: ${(e as Error).message}`);
      }
      this.#state = next;
    } else {
      counter = totpCounter(Math.floor(now / 1000), otp.period);
      this.#state = { ...this.#state, presses: this.#state.presses + 1 };
    }
    const code = this.#key.hotp(counter, otp.digits);
    const shownUntilMs = now + this.profile.displayTimeMs;
    this.#display = { code, fromMs: now, untilMs: shownUntilMs };
    const result = { code, counter, shownUntilMs };
    this.#env.log.log('info', 'press', { serial: this.serial, counter, ...(fault === 'battery-low' ? { fault } : {}) });
    for (const listener of this.#pressListeners) listener(result);
    return result;
  }

  /** What the display shows now, or undefined when it is blank. */
  display(): DisplayReading | undefined {
    const d = this.#display;
    if (d === undefined) return undefined;
    const now = this.crystal.now();
    if (now < d.fromMs || now >= d.untilMs) {
      this.#display = undefined;
      return undefined;
    }
    return { code: d.code, remainingMs: d.untilMs - now };
  }

  /** Run `listener` after every press (the keyboard interface, the CLI's view). */
  onPress(listener: (result: PressResult) => void): void {
    this.#pressListeners.push(listener);
  }

  // Simulator controls (the `SIM:` commands): the token's crystal.

  /** Set the token's clock to `unixSeconds`. */
  setTime(unixSeconds: number): void {
    this.crystal.setTo(unixSeconds * 1000);
    this.#env.log.log('info', 'time-set', { serial: this.serial, time: unixSeconds });
  }

  /** Move the token's clock by `seconds` (negative: back). */
  advance(seconds: number): void {
    this.crystal.shift(seconds * 1000);
    this.#env.log.log('info', 'time-advanced', { serial: this.serial, seconds });
  }

  /** Set the crystal's rate error. */
  setDrift(ppm: number): void {
    this.crystal.setPpm(ppm);
    this.#env.log.log('info', 'drift-set', { serial: this.serial, ppm });
  }

  /** Forget the display (power cycle); persistent state stays. */
  powerCycle(): void {
    this.#display = undefined;
  }
}

/**
 * The stored token against its schema (version 1): a damaged file stops the start with one
 * line naming it, so a counter never restarts below what a verifier already accepted.
 */
function checkState(s: OtpTokenState, profile: DeviceProfile, file: string): void {
  const wrong = stateProblem(s);
  if (wrong !== undefined) throw badFile(`token state ${file} is damaged: ${wrong}; the token will not start on it (recovery: docs/limits.md#damaged-state-files)`);
  if (s.profile !== profile.name) throw badInput(`the state directory holds a ${s.profile} token, not ${profile.name}`);
}

function stateProblem(s: OtpTokenState): string | undefined {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'not a JSON object';
  if (s.version !== 1) return `unknown version ${JSON.stringify(s.version)}`;
  if (typeof s.profile !== 'string' || s.profile === '') return 'profile is not valid';
  if (typeof s.serial !== 'string' || s.serial === '') return 'serial is not valid';
  let secretBytes = 0;
  try {
    secretBytes = typeof s.secret === 'string' ? base32Decode(s.secret).length : 0;
  } catch {
    return 'secret is not base32';
  }
  if (secretBytes < 10) return 'secret is missing or shorter than 10 bytes';
  if (!Number.isSafeInteger(s.counter) || s.counter < 0) return 'counter must be a whole number, 0 or more';
  if (!Number.isFinite(s.manufacturedMs)) return 'manufacturedMs is not a time';
  if (!Number.isSafeInteger(s.presses) || s.presses < 0) return 'presses must be a whole number, 0 or more';
  return undefined;
}

function randomSerial(profile: DeviceProfile, env: DeviceEnvironment): string {
  const bytes = env.random.bytes(profile.serialFormat.digits);
  let digits = '';
  // A byte mod 10 is biased by <1%: fine for a serial number, which is not a secret.
  for (const b of bytes) digits += String(b % 10);
  return profile.serialFormat.prefix + digits;
}
