/**
 * `startOtpToken`: a simulated hardware OTP token in this process, reachable the way hardware
 * is (a pty or TCP serial port, the vendor HID interface over UDP), and driven directly too.
 */
import type { DeviceProfile } from '../../devices/index.js';
import type { TokenFault } from '../../firmware-sim/otp/index.js';
import type { Clock } from '../clock/index.js';
import type { Identity } from '../protocol/otp/index.js';
import { type Device, type DeviceStartOptions, type OtpStartOptions, hasOtp, resolveProfile, startDevice, wrongProfile } from './device.js';
import type { SimEndpoints } from './endpoints.js';

/** What every running simulated device has. */
export interface SimulatedDevice {
  /** Device specs of its endpoints by name (`serial: 'serial:/dev/pts/7'`, `hid: 'udp:127.0.0.1:41234'`). */
  readonly endpoints: SimEndpoints;
  /** Close its endpoints (a pending manual touch is refused). Idempotent. */
  close(): Promise<void>;
  /** `await using token = await startOtpToken(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What the token shows and how its time stands, for a live view. */
export interface OtpTokenStatus {
  /** The code on the display and how many more milliseconds it shows; undefined when blank. */
  readonly display: { readonly code: string; readonly remainingMs: number } | undefined;
  /** TOTP: seconds until the code changes (0 for HOTP tokens). */
  readonly secondsToNextStep: number;
  /** HOTP: the counter the next press uses. */
  readonly counter: number;
  /** The token's time (its crystal, offset and drift applied), Unix seconds. */
  readonly timeSeconds: number;
  readonly fault: TokenFault;
}

/** A running simulated OTP token. */
export interface OtpToken<C extends Clock = Clock> extends SimulatedDevice {
  readonly profile: DeviceProfile;
  /** Its serial number (what IAM's EnableMFADevice takes as SerialNumber). */
  readonly serial: string;
  /** `*IDN?`'s answer: manufacturer, model, serial, firmware. */
  readonly identity: Identity;
  /** The clock it was started on (its crystal runs offset and drift over it). */
  readonly clock: C;
  /** Press the button: the code it then shows. Throws when the battery is dead. */
  press(): string;
  /** What the display shows now; undefined when it is blank. */
  display(): string | undefined;
  status(): OtpTokenStatus;
  /** Inject a fault (`battery-low`, `battery-dead`, `end-of-life`) or clear it (`none`). */
  setFault(fault: TokenFault): void;
  /** Call `listener` with the code after every press, from any interface. */
  onPress(listener: (code: string) => void): void;
  /** The seed (for a test that plays the service); never printed or logged by tokenrig. */
  exportSecret(): Uint8Array;
}

/** The OTP controls of a device that has a token. */
export function otpControls<C extends Clock>(device: Device, clock: C): Omit<OtpToken<C>, keyof SimulatedDevice> {
  const token = device.token!;
  return {
    profile: token.profile,
    serial: token.serial,
    identity: token.identity,
    clock,
    press: () => token.press().code,
    display: () => token.display()?.code,
    status: () => ({ display: token.display(), secondsToNextStep: token.secondsToNextStep(), counter: token.counter, timeSeconds: token.timeSeconds(), fault: token.fault }),
    setFault: (fault) => token.setFault(fault),
    onPress: (listener) => token.onPress((r) => listener(r.code)),
    exportSecret: () => token.exportSecret(),
  };
}

/** The close and dispose every handle has. */
export function deviceControls(device: Device): SimulatedDevice {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= device.close());
  return { endpoints: device.endpoints, close, [Symbol.asyncDispose]: close };
}

/**
 * Start a simulated OTP token in this process. Every interface its profile has is served by
 * the endpoints asked for; with none, it is driven through the returned handle alone.
 *
 * @example
 * ```ts
 * import { ManualClock } from 'tokenrig';
 * import { startOtpToken } from 'tokenrig/sim';
 * import { openOtpTokenDriver } from 'tokenrig';
 *
 * const clock = new ManualClock(Date.UTC(2026, 0, 1));
 * await using token = await startOtpToken({ profile: 'aws-totp', clock, serialPort: 'pty', hid: 'udp:0' });
 * const driver = await openOtpTokenDriver(token.endpoints.hid!); // or token.endpoints.serial
 * const first = await driver.press();
 * clock.advance(30_000);
 * const second = await driver.press(); // two consecutive codes for EnableMFADevice
 * await driver.close();
 * ```
 */
export async function startOtpToken<C extends Clock = Clock>(options: DeviceStartOptions<C> & OtpStartOptions = {}): Promise<OtpToken<C>> {
  const profile = resolveProfile(options.profile ?? 'aws-totp')!;
  if (!hasOtp(profile)) throw wrongProfile(profile, 'OTP interface', hasOtp);
  const device = await startDevice('otp', profile, options);
  return { ...deviceControls(device), ...otpControls(device, (options.clock ?? device.env.clock) as C) };
}
