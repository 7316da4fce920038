/**
 * Reading two consecutive codes through the host driver (what enroll-token and resync-token
 * do): from a simulator over the serial protocol, whose clock is moved and moved back, for
 * every position in the step; from a real token (no SIM: commands), by waiting for its code
 * to change; and a token whose code never changes is a TIMEOUT, not a hang.
 */
import { describe, expect, it } from 'vitest';
import { deviceProfile } from '../../devices/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { readConsecutiveCodes, type CodeProgress } from '../../src/drivers/consecutive-codes.js';
import { type OtpTokenDriver, SerialOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { base32Decode, totp } from '../../src/otp/index.js';
import { MemorySerialTransport } from '../../src/transports/memory-serial-transport.js';

const SECRET = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');

describe('readConsecutiveCodes from a simulator', () => {
  it.each([0, 0.4, 1, 14.5, 27, 29, 29.9])('at %s s into a step: the codes of the previous and the current step; the clock ends where it was', async (into) => {
    const start = 1_700_000_010_000 - (1_700_000_010_000 % 30_000) + into * 1000;
    const { env, clock } = createTestEnvironment({ startMs: start });
    const token = OtpTokenFirmware.open(env, deviceProfile('aws-totp'), { secret: SECRET, serial: 'GAKT00000042' });
    const driver = new SerialOtpTokenDriver(MemorySerialTransport.connect(new OtpSerialInterface(token)));
    const progress: CodeProgress[] = [];
    const r = await readConsecutiveCodes(driver, { onProgress: (p) => progress.push(p) });
    const step = Math.floor(start / 30_000);
    expect(r).toEqual({ codes: [totp(SECRET, (step - 1) * 30), totp(SECRET, step * 30)], simulator: true });
    expect(progress).toEqual([
      { stage: 'code', index: 1 },
      { stage: 'code', index: 2 },
    ]);
    expect(Number(await driver.command('SIM:TIME?'))).toBe(Math.floor(clock.now() / 1000));
    await driver.close();
  });
});

/** A token reached without SIM: commands (as over HID), on a clock the injected sleep moves. */
function realToken(codeAt: (ms: number) => string): { driver: OtpTokenDriver; sleep: (ms: number) => Promise<void>; presses: () => number } {
  let now = 1_700_000_020_000;
  let presses = 0;
  const driver: OtpTokenDriver = {
    spec: 'udp:127.0.0.1:1',
    via: 'vendor-hid',
    identify: () => Promise.resolve({ manufacturer: 'Acme', model: 'T1', serial: 'GAKT00000001', firmware: '1' }),
    press: () => {
      presses++;
      return Promise.resolve(codeAt(now));
    },
    readDisplay: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
  };
  return {
    driver,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    presses: () => presses,
  };
}

describe('readConsecutiveCodes from a real token', () => {
  it('presses again every second until the code changes: the next step', async () => {
    const t = realToken((ms) => totp(SECRET, Math.floor(ms / 1000)));
    const waits: number[] = [];
    const r = await readConsecutiveCodes(t.driver, { sleep: t.sleep, onProgress: (p) => p.stage === 'waiting' && waits.push(p.elapsedSeconds) });
    const step = Math.floor(1_700_000_020 / 30);
    expect(r).toEqual({ codes: [totp(SECRET, step * 30), totp(SECRET, (step + 1) * 30)], simulator: false });
    // 1_700_000_020 is 10 s into its step: the code changes after 20 s.
    expect(waits).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(t.presses()).toBe(21);
  });

  it('gives up with TIMEOUT when the code never changes', async () => {
    const t = realToken(() => '123456');
    await expect(readConsecutiveCodes(t.driver, { sleep: t.sleep, maxWaitSeconds: 5 })).rejects.toMatchObject({ code: 'TIMEOUT', message: 'udp:127.0.0.1:1: the code did not change within 5 s: is it a TOTP token?' });
  });
});
