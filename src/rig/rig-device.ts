/**
 * One device of a rig: a `tokenrig/sim` device (token, key or composite key) with the rig's
 * controls around it — its clock (the rig's or its own, with its crystal), a touch pad and a
 * fingerprint sensor whose modes switch at run time, the state the API and the dashboard show,
 * and the seed behind an explicit reveal.
 */
import { type Clock, type DriftingClock, ManualClock } from '../clock/index.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { base32Encode, formatOtpAuthUri } from '../otp/index.js';
import type { Device } from '../sim/device.js';
import { fidoControls } from '../sim/fido-key.js';
import type { SimCredential } from '../sim/index.js';
import { CtapHidDevice } from '../drivers/ctaphid-device.js';
import { openHidTransport } from '../transports/device-spec.js';
import type { HidTransport } from '../transports/hid-transport.js';
import { MemoryHidTransport } from '../transports/memory-hid-transport.js';
import type { BatteryState, DeviceKind, DeviceState, TouchMode, UvMode } from './rig-state.js';
import type { RigFingerprint, RigPresence } from './rig-presence.js';
import type { TokenFault } from '../../firmware-sim/otp/index.js';

export interface RigDeviceParts {
  id: string;
  kind: DeviceKind;
  device: Device;
  /** The clock the device runs on: the rig clock or a ManualClock of its own. */
  base: Clock;
  source: 'rig' | 'manual';
  /** FIDO keys without a token: their own crystal over `base` (a token has its own). */
  crystal: DriftingClock;
  presence: RigPresence | undefined;
  /** The rig's finger on the key's fingerprint sensor (`uv` other than none). */
  finger: RigFingerprint | undefined;
}

const BATTERY: Readonly<Record<TokenFault, BatteryState>> = { none: 'ok', 'battery-low': 'low', 'battery-dead': 'dead', 'end-of-life': 'dead' };

export class RigDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly #device: Device;
  readonly #base: Clock;
  readonly #source: 'rig' | 'manual';
  readonly #crystal: DriftingClock;
  readonly #presence: RigPresence | undefined;
  readonly #verifier: RigFingerprint | undefined;
  #closing: Promise<void> | undefined;

  constructor(parts: RigDeviceParts) {
    this.id = parts.id;
    this.kind = parts.kind;
    this.#device = parts.device;
    this.#base = parts.base;
    this.#source = parts.source;
    this.#crystal = parts.device.token?.crystal ?? parts.crystal;
    this.#presence = parts.presence;
    this.#verifier = parts.finger;
  }

  get endpoints(): Record<string, string> {
    return { ...(this.#device.endpoints as Record<string, string>) };
  }

  get hasOtp(): boolean {
    return this.#device.token !== undefined;
  }

  get hasFido(): boolean {
    return this.#device.authenticator !== undefined;
  }

  /** Its serial number: the token's, or the key's name in the rig. */
  get serial(): string {
    return this.#device.token?.serial ?? this.id;
  }

  /** Its own ManualClock, when its clock source is `manual` (the rig moves it with "all"). */
  get manualClock(): ManualClock | undefined {
    return this.#base instanceof ManualClock ? this.#base : undefined;
  }

  /** What the device list's search looks in (lower case). */
  get searchText(): string {
    const p = this.#device.profile;
    return `${this.id} ${this.serial} ${this.kind} ${p?.name ?? 'fido'} ${p?.model ?? this.#device.authenticator?.profile.product ?? ''}`.toLowerCase();
  }

  /** The OTP part of `state()`; UNSUPPORTED for a FIDO key. */
  otpState(): NonNullable<DeviceState['otp']> {
    this.#token();
    return this.state().otp!;
  }

  state(): DeviceState {
    const token = this.#device.token;
    const auth = this.#device.authenticator;
    const profile = this.#device.profile;
    const out: DeviceState = {
      id: this.id,
      kind: this.kind,
      serial: this.serial,
      profile: profile?.name ?? 'fido',
      model: profile?.model ?? auth?.profile.product ?? '',
      endpoints: this.endpoints,
      clock: { source: this.#source, time_ms: Math.round(this.#crystal.now()), offset_ms: Math.round(this.#crystal.offsetMs), drift_ppm: this.#crystal.ppm },
    };
    if (token !== undefined) {
      const otp = token.profile.otp;
      const display = token.display();
      const fault = token.fault;
      out.otp = {
        type: otp.kind,
        digits: otp.digits,
        period: otp.kind === 'totp' ? otp.period : 0,
        display: display?.code ?? null,
        display_remaining_ms: Math.round(display?.remainingMs ?? 0),
        seconds_to_next_step: token.secondsToNextStep(),
        counter: token.counter,
        battery: BATTERY[fault],
        fault,
      };
    }
    if (auth !== undefined) {
      out.fido = {
        aaguid: auth.profile.aaguid,
        product: auth.profile.product,
        touch: { mode: this.#presence?.mode ?? this.#device.touch, pending: this.#presence?.pending ?? 0 },
        uv: { mode: this.#verifier?.mode ?? 'none', pending: this.#verifier?.pending ?? 0 },
        credentials: auth.residentCount,
      };
    }
    return out;
  }

  #token() {
    const token = this.#device.token;
    if (token === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id} is a FIDO key: it has no OTP token`);
    return token;
  }

  #fido() {
    if (this.#device.authenticator === undefined || this.#presence === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id} is an OTP token: it has no FIDO key`);
    return { authenticator: this.#device.authenticator, presence: this.#presence };
  }

  /** Press the button: the code the LCD then shows. DEVICE when the battery is dead. */
  press(): string {
    try {
      return this.#token().press().code;
    } catch (e) {
      if (e instanceof TokenrigError) throw e;
      throw new TokenrigError(ErrorCode.DEVICE, `${this.id}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The code to type into a form: the button pressed, the LCD read (as a person would).
   *
   * @example
   * ```ts
   * await page.fill('#mfa-code', await rig.device('GAKT00000001').code());
   * ```
   */
  async code(): Promise<string> {
    return this.press();
  }

  /** Set the device's time (its crystal), ms since the epoch. */
  setTime(ms: number): void {
    if (this.#device.token !== undefined) this.#device.token.setTime(ms / 1000);
    else this.#crystal.setTo(ms);
  }

  /** Move the device's time by `ms`. */
  advance(ms: number): void {
    if (this.#device.token !== undefined) this.#device.token.advance(ms / 1000);
    else this.#crystal.shift(ms);
  }

  setDrift(ppm: number): void {
    if (!Number.isFinite(ppm) || Math.abs(ppm) >= 1e6) throw badInput('drift must be between -999999 and 999999 ppm');
    if (this.#device.token !== undefined) this.#device.token.setDrift(ppm);
    else this.#crystal.setPpm(ppm);
  }

  setFault(fault: TokenFault): void {
    this.#token().setFault(fault);
  }

  /** Approve (`true`) or deny every waiting touch; how many were waiting. */
  answerTouch(approve: boolean): number {
    const { presence } = this.#fido();
    return approve ? presence.approve() : presence.deny();
  }

  /** Approve (a matching finger) or deny every waiting verification; how many were waiting. */
  answerUv(approve: boolean): number {
    this.#fido();
    if (this.#verifier === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id} has no fingerprint sensor (uv: none)`);
    return approve ? this.#verifier.approve() : this.#verifier.deny();
  }

  setModes(modes: { touch?: TouchMode; uv?: UvMode }): void {
    const { presence } = this.#fido();
    if (modes.uv !== undefined) {
      if (this.#verifier === undefined || modes.uv === 'none') {
        if (modes.uv !== (this.#verifier?.mode ?? 'none')) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id}: a fingerprint sensor is fitted or not when the key starts (uv in the rig file), not at run time`);
      } else this.#verifier.setMode(modes.uv);
    }
    if (modes.touch !== undefined) presence.setMode(modes.touch);
  }

  credentials(): SimCredential[] {
    this.#fido();
    return fidoControls(this.#device).credentials();
  }

  /** The seed and its otpauth:// URI: only for a caller that asked to reveal it. */
  exportSeed(): { serial: string; secret: string; uri: string } {
    const token = this.#token();
    const otp = token.profile.otp;
    const secret = token.exportSecret();
    const uri = formatOtpAuthUri({
      type: otp.kind,
      secret,
      account: token.serial,
      issuer: 'tokenrig',
      algorithm: otp.algorithm,
      digits: otp.digits,
      period: otp.kind === 'totp' ? otp.period : 30,
      ...(otp.kind === 'hotp' ? { counter: BigInt(token.counter) } : {}),
    });
    return { serial: token.serial, secret: base32Encode(secret), uri };
  }

  /**
   * A HID transport to the key's FIDO interface: its endpoint when it has one, else memory
   * in this process (one memory host at a time: a new one replaces the last).
   */
  async openFidoTransport(): Promise<HidTransport> {
    const { authenticator } = this.#fido();
    const spec = this.#device.endpoints.fido ?? (this.kind === 'otp' ? undefined : this.#device.endpoints.hid);
    if (spec !== undefined) return openHidTransport(spec);
    return MemoryHidTransport.connect(authenticator.hid, `memory:${this.id}`);
  }

  /** A CTAPHID device on `openFidoTransport()`. */
  async openCtapHid(): Promise<CtapHidDevice> {
    return CtapHidDevice.open(await this.openFidoTransport());
  }

  /** Close its endpoints; a touch or verification still waiting is refused first. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const refused = (this.#presence?.deny() ?? 0) + (this.#verifier?.deny() ?? 0);
      if (refused > 0) await new Promise((resolve) => setImmediate(resolve));
      await this.#device.close();
    })();
    return this.#closing;
  }
}
