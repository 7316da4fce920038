/**
 * `startSecurityKey`: a composite key (YubiKey-like) in this process, FIDO, the OTP vendor
 * interface, the boot keyboard and the serial port of one device, driven as both a token and
 * a FIDO key.
 */
import type { Clock } from '../clock/index.js';
import { type DeviceStartOptions, type FidoStartOptions, type OtpStartOptions, hasFido, hasOtp, resolveProfile, startDevice, wrongProfile } from './device.js';
import { type FidoKey, fidoControls, fidoDeviceControls } from './fido-key.js';
import { type OtpToken, otpControls } from './otp-token.js';

/** A running composite key: an OTP token and a FIDO key in one device. */
export type SecurityKey<C extends Clock = Clock> = OtpToken<C> & FidoKey;

/**
 * Start a composite security key (default profile `composite-key`): `endpoints.hid` is its
 * FIDO interface, `endpoints.otp` the OTP vendor interface, `endpoints.keyboard` the keyboard
 * that types the code on a press, `endpoints.serial` its serial port.
 *
 * @example
 * ```ts
 * import { startSecurityKey } from 'tokenrig/sim';
 *
 * await using key = await startSecurityKey({ hid: 'udp:0', serialPort: 'tcp:0' });
 * key.endpoints; // { hid: 'udp:127.0.0.1:…' (FIDO), otp: 'udp:…', keyboard: 'udp:…', serial: 'tcp:…' }
 * key.press();   // the OTP button: the code, also typed on the keyboard interface
 * ```
 */
export async function startSecurityKey<C extends Clock = Clock>(options: DeviceStartOptions<C> & OtpStartOptions & FidoStartOptions = {}): Promise<SecurityKey<C>> {
  const profile = resolveProfile(options.profile ?? 'composite-key')!;
  if (!hasOtp(profile) || !hasFido(profile)) throw wrongProfile(profile, 'FIDO and OTP interfaces', (p) => hasOtp(p) && hasFido(p));
  const device = await startDevice('fido', profile, options);
  return { ...fidoDeviceControls(device), ...otpControls(device, (options.clock ?? device.env.clock) as C), ...fidoControls(device) };
}
