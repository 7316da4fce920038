/**
 * Two consecutive codes from a TOTP token (what AWS's EnableMFADevice and ResyncMFADevice
 * take), read through the host driver. A simulator (it answers the serial protocol's
 * `SIM:TIME?`) has its clock moved with `SIM:ADV` so that the two presses fall mid-way through
 * the previous step and the current one; the clock is then moved back by the same amount, so
 * the token ends where it was and no drift is left behind. A real token is pressed, then
 * pressed again every second until its code changes, the next step (up to 65 s: a 60 s token
 * included).
 *
 * @example
 * ```ts
 * const token = await openOtpTokenDriver('serial:/dev/pts/7');
 * const { codes, simulator } = await readConsecutiveCodes(token, { onProgress: (p) => console.error(p) });
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { SERIAL_ERR } from '../protocol/otp/index.js';
import { type OtpTokenDriver, SerialOtpTokenDriver } from './otp-token-driver.js';

export type CodeProgress =
  | { stage: 'code'; index: 1 | 2 }
  | { stage: 'waiting'; elapsedSeconds: number; maxSeconds: number };

export interface ConsecutiveCodesOptions {
  onProgress?: (p: CodeProgress) => void;
  /** The TOTP step of the token, seconds (default 30). */
  period?: number;
  /** Waits between presses of a real token (injected by tests). */
  sleep?: (ms: number) => Promise<void>;
  /** How long to wait for a real token's code to change; default 65 s. */
  maxWaitSeconds?: number;
}

export interface ConsecutiveCodes {
  codes: [string, string];
  /** True when the token is a simulator whose clock was moved (and moved back). */
  simulator: boolean;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The simulator's clock in whole seconds, or undefined when the token is not a simulator. */
async function simulatorTime(driver: OtpTokenDriver): Promise<number | undefined> {
  if (!(driver instanceof SerialOtpTokenDriver)) return undefined;
  try {
    const answer = await driver.command('SIM:TIME?');
    const t = Number(answer);
    return Number.isFinite(t) ? t : undefined;
  } catch (e) {
    // A real device answers ERR 100 (unknown command): the SIM: commands are the simulator's only.
    if (e instanceof TokenrigError && e.wireCode === SERIAL_ERR.UNKNOWN_COMMAND) return undefined;
    throw e;
  }
}

export async function readConsecutiveCodes(driver: OtpTokenDriver, options: ConsecutiveCodesOptions = {}): Promise<ConsecutiveCodes> {
  const period = options.period ?? 30;
  const progress = options.onProgress ?? (() => undefined);
  const t = await simulatorTime(driver);
  if (t !== undefined && driver instanceof SerialOtpTokenDriver) {
    // The token's time T is in [t, t+1). Moving it back by (t mod period) + period/2 puts it
    // half a step into the previous step, far from either boundary whatever the fraction.
    const back = (t % period) + period / 2;
    await driver.command(`SIM:ADV ${-back}`);
    try {
      progress({ stage: 'code', index: 1 });
      const code1 = await driver.press();
      await driver.command(`SIM:ADV ${period}`);
      progress({ stage: 'code', index: 2 });
      const code2 = await driver.press();
      return { codes: [code1, code2], simulator: true };
    } finally {
      // Net movement zero: -back + period + (back - period).
      await driver.command(`SIM:ADV ${back - period}`).catch(() => undefined);
    }
  }
  const sleep = options.sleep ?? defaultSleep;
  const maxWait = options.maxWaitSeconds ?? 65;
  progress({ stage: 'code', index: 1 });
  const code1 = await driver.press();
  for (let waited = 1; waited <= maxWait; waited++) {
    await sleep(1000);
    progress({ stage: 'waiting', elapsedSeconds: waited, maxSeconds: maxWait });
    const code = await driver.press();
    if (code !== code1) {
      progress({ stage: 'code', index: 2 });
      return { codes: [code1, code], simulator: false };
    }
  }
  throw new TokenrigError(ErrorCode.TIMEOUT, `${driver.spec}: the code did not change within ${maxWait} s: is it a TOTP token?`);
}
