/** The OTP token firmware and its serial and vendor HID interfaces, in process (manual clock). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_TOTP_PROFILE, COMPOSITE_KEY_PROFILE, DEVICE_PROFILES, HOTP_PROFILE, TOTP60_PROFILE, deviceProfile, validateDeviceProfile } from '../../devices/index.js';
import { MemoryStorage, createTestEnvironment, readJson } from '../../firmware-sim/env/index.js';
import { OTP_TOKEN_STATE_KEY, OtpKeyboardInterface, OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid, keyboardReportsFor } from '../../firmware-sim/otp/index.js';
import { HidOtpTokenDriver, KeyboardCodeReader, SerialOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { TokenrigError } from '../../src/errors.js';
import { base32Decode } from '../../src/otp/base32.js';
import { hotp } from '../../src/otp/hotp.js';
import { totp } from '../../src/otp/totp.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { MemorySerialTransport } from '../../src/transports/memory-serial-transport.js';

const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
const T0 = 1_700_000_000_000;

function serialSession(token: OtpTokenFirmware): { send(text: string | Uint8Array): string[] } {
  const serial = new OtpSerialInterface(token);
  let out = '';
  serial.attach((b) => (out += Buffer.from(b).toString('latin1')));
  return {
    send(text) {
      out = '';
      serial.receive(typeof text === 'string' ? new TextEncoder().encode(text) : text);
      return out.split('\r\n').filter((l) => l !== '');
    },
  };
}

describe('device profiles', () => {
  it('every built-in profile passes the validator unchanged', () => {
    for (const p of Object.values(DEVICE_PROFILES)) expect(validateDeviceProfile(JSON.parse(JSON.stringify(p)))).toEqual(p);
    expect(AWS_TOTP_PROFILE.otp).toEqual({ kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30 });
    expect(TOTP60_PROFILE.otp).toMatchObject({ period: 60 });
    expect(COMPOSITE_KEY_PROFILE.usb).toMatchObject({ vendorId: 0x1050, productId: 0x0407 });
  });

  it('devices/profiles/*.json are the built-in profiles, and validate', () => {
    for (const p of Object.values(DEVICE_PROFILES)) {
      const file = JSON.parse(readFileSync(resolve(import.meta.dirname, `../../devices/profiles/${p.name}.json`), 'utf8')) as unknown;
      expect(validateDeviceProfile(file)).toEqual(p);
    }
  });

  it('names the offending field', () => {
    const bad = (patch: object): string => {
      try {
        validateDeviceProfile({ ...JSON.parse(JSON.stringify(AWS_TOTP_PROFILE)), ...patch });
        return 'accepted';
      } catch (e) {
        expect(e).toBeInstanceOf(TokenrigError);
        return (e as Error).message;
      }
    };
    expect(bad({ displayTimeMs: -1 })).toMatch(/displayTimeMs/);
    expect(bad({ otp: { kind: 'totp', algorithm: 'MD5', digits: 6, period: 30 } })).toMatch(/otp\.algorithm/);
    expect(bad({ otp: { kind: 'totp', algorithm: 'SHA1', digits: 5, period: 30 } })).toMatch(/otp\.digits/);
    expect(bad({ usb: { vendorId: 70000, productId: 1, manufacturer: 'a', product: 'b' } })).toMatch(/usb\.vendorId/);
    expect(bad({ interfaces: [{ kind: 'modem' }] })).toMatch(/interfaces\[0\]\.kind/);
    expect(bad({ model: 'a,b' })).toMatch(/model/);
    expect(() => deviceProfile('nope')).toThrow(/aws-totp/);
  });
});

describe('OtpTokenFirmware', () => {
  it('shows the RFC 6238 code on press for the display time, blank otherwise', () => {
    const { env, clock } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT00000001' });
    expect(token.display()).toBeUndefined();
    const r = token.press();
    expect(r.code).toBe(totp(SECRET, T0 / 1000));
    expect(token.display()?.code).toBe(r.code);
    clock.advance(AWS_TOTP_PROFILE.displayTimeMs - 1);
    expect(token.display()?.code).toBe(r.code);
    clock.advance(1);
    expect(token.display()).toBeUndefined();
  });

  it('a 60-second token changes its code every 60 s', () => {
    const { env, clock } = createTestEnvironment({ startMs: 1_700_000_080_000 });
    const token = OtpTokenFirmware.open(env, TOTP60_PROFILE, { secret: SECRET, serial: 'FT0000000001' });
    const first = token.press().code;
    expect(first).toBe(totp(SECRET, 1_700_000_080, { period: 60 }));
    expect(token.secondsToNextStep()).toBe(20);
    clock.advance(19_000);
    expect(token.press().code).toBe(first);
    clock.advance(1_000);
    expect(token.press().code).toBe(totp(SECRET, 1_700_000_100, { period: 60 }));
  });

  it('keeps its own crystal: offset and ppm', () => {
    const { env, clock } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT00000001', offsetMs: 120_000 });
    expect(token.press().code).toBe(totp(SECRET, T0 / 1000 + 120));
    token.setDrift(100); // 100 ppm: 8.64 s a day
    clock.advance(86_400_000);
    expect(token.timeSeconds()).toBe(Math.floor(T0 / 1000 + 120 + 86_400 + 8.64));
  });

  it('HOTP: persists the counter before showing the code; a reopened token continues', () => {
    const storage = new MemoryStorage();
    const { env } = createTestEnvironment({ startMs: T0, storage });
    const token = OtpTokenFirmware.open(env, HOTP_PROFILE, { secret: SECRET, serial: 'EVT000000001' });
    const codes = [token.press().code, token.press().code];
    expect(codes).toEqual([hotp(SECRET, 0), hotp(SECRET, 1)]);
    expect(readJson<{ counter: number }>(storage, OTP_TOKEN_STATE_KEY)?.counter).toBe(2);
    const again = OtpTokenFirmware.open(env, HOTP_PROFILE);
    expect(again.serial).toBe('EVT000000001');
    expect(again.press().code).toBe(hotp(SECRET, 2));
    expect(() => OtpTokenFirmware.open(env, HOTP_PROFILE, { serial: 'EVT000000002' })).toThrow(/EVT000000001/);
    expect(() => OtpTokenFirmware.open(env, AWS_TOTP_PROFILE)).toThrow(/hotp token/);
  });

  it('faults: a dead battery and end of life refuse presses; battery life runs out by itself', () => {
    const { env, clock } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT00000001' });
    token.setFault('battery-low');
    expect(token.press().code).toMatch(/^\d{6}$/);
    token.setFault('end-of-life');
    expect(() => token.press()).toThrow(/end of life/);
    token.setFault('none');
    clock.advance((AWS_TOTP_PROFILE.batteryLifeDays + 1) * 86_400_000);
    expect(token.fault).toBe('battery-dead');
    expect(() => token.press()).toThrow(/battery/);
  });

  it('makes a serial number in the profile format when none is given', () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    expect(OtpTokenFirmware.open(env, AWS_TOTP_PROFILE).serial).toMatch(/^GAKT\d{8}$/);
    const { env: env2 } = createTestEnvironment({ startMs: T0 });
    expect(() => OtpTokenFirmware.open(env2, AWS_TOTP_PROFILE, { serial: 'XX1' })).toThrow(/does not match/);
  });
});

describe('serial interface', () => {
  const open = (): { s: ReturnType<typeof serialSession>; token: OtpTokenFirmware } => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    return { s: serialSession(token), token };
  };

  it('answers the commands, with LF, CR or CRLF, in any fragmentation', () => {
    const { s } = open();
    expect(s.send('*IDN?\n')).toEqual(['Tokenrig,OTP 110 (sim),GAKT12345678,1.0.0']);
    expect(s.send('DISPLAY?\r')).toEqual(['BLANK']);
    expect(s.send('press\r\n')).toEqual([totp(SECRET, T0 / 1000)]);
    expect(s.send('DISPLAY?\r\n')).toEqual([totp(SECRET, T0 / 1000)]);
    expect(s.send('SIM:ADV 30\nPRESS\n')).toEqual(['OK', totp(SECRET, T0 / 1000 + 30)]);
    expect(s.send('SIM:TIME 59\nSIM:TIME?\n')).toEqual(['OK', '59']);
    expect(s.send('SIM:DRIFT 20\nSIM:DRIFT?\n')).toEqual(['OK', '20']);
    const parts = ['*I', 'DN', '?\r', '\nPR', 'ESS', '\r', '\n'];
    const got = parts.flatMap((p) => s.send(p));
    expect(got).toEqual(['Tokenrig,OTP 110 (sim),GAKT12345678,1.0.0', expect.stringMatching(/^\d{6}$/)]);
  });

  it('answers errors and carries on: unknown, bad argument, too long, binary noise, faults', () => {
    const { s } = open();
    expect(s.send('FLY\n')).toEqual(['ERR 100 unknown command']);
    expect(s.send('PRESS now\n')).toEqual(['ERR 103 PRESS takes no argument']);
    expect(s.send('SIM:ADV x\n')).toEqual(['ERR 103 SIM:ADV needs a number']);
    expect(s.send('SIM:DRIFT 5000000\n')).toEqual(['ERR 103 SIM:DRIFT argument out of range']);
    expect(s.send('SIM:FAULT meteor\n')).toEqual([expect.stringMatching(/^ERR 103 SIM:FAULT takes one of/)]);
    expect(s.send(`${'A'.repeat(5000)}\n`)).toEqual(['ERR 102 line longer than 128 bytes']);
    expect(s.send(Uint8Array.from([0x00, 0xff, 0x1b, 0x50, 0x0a]))).toEqual(['ERR 101 line holds bytes that are not printable ASCII']);
    expect(s.send('SIM:FAULT battery-dead\nPRESS\n')).toEqual(['OK', 'ERR 200 the battery is dead']);
    expect(s.send('SIM:FAULT none\n*IDN?\n')).toEqual(['OK', expect.stringContaining('GAKT12345678')]);
    expect(s.send('\n\r\n\r\r')).toEqual([]);
  });
});

describe('vendor HID and keyboard interfaces', () => {
  it('the host driver identifies, presses and reads the display over CTAPHID', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const driver = new HidOtpTokenDriver(MemoryHidTransport.connect(createOtpVendorHid(env, token)));
    expect(await driver.identify()).toEqual({ manufacturer: 'Tokenrig', model: 'OTP 110 (sim)', serial: 'GAKT12345678', firmware: '1.0.0' });
    expect(await driver.readDisplay()).toBeUndefined();
    const code = await driver.press();
    expect(code).toBe(totp(SECRET, T0 / 1000));
    expect(await driver.readDisplay()).toBe(code);
    token.setFault('end-of-life');
    await expect(driver.press()).rejects.toMatchObject({ code: 'DEVICE', wireCode: 0x11 });
    await driver.close();
  });

  it('the serial driver maps ERR answers to DEVICE errors with the wire code', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, HOTP_PROFILE, { secret: SECRET, serial: 'EVT000000001' });
    const driver = new SerialOtpTokenDriver(MemorySerialTransport.connect(new OtpSerialInterface(token)));
    expect((await driver.identify()).serial).toBe('EVT000000001');
    expect(await driver.press()).toBe(hotp(SECRET, 0));
    expect(await driver.readDisplay()).toBe(hotp(SECRET, 0));
    await expect(driver.command('BOGUS')).rejects.toMatchObject({ code: 'DEVICE', wireCode: 100 });
    await driver.close();
  });

  it('the keyboard interface types the code and Enter; the reader decodes it', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: SECRET, serial: '00000042' });
    const kbd = new OtpKeyboardInterface(token);
    const reports: Uint8Array[] = [];
    kbd.attach((r) => reports.push(r));
    const reader = new KeyboardCodeReader({ read: async () => reports.shift() ?? new Uint8Array(8) });
    const { code } = token.press();
    expect(reports).toHaveLength(2 * (code.length + 1));
    expect(await reader.readCode(1000)).toBe(code);
    expect(keyboardReportsFor('1230')[0]![2]).toBe(0x1e);
    expect(keyboardReportsFor('1230')[6]![2]).toBe(0x27);
  });
});

describe('the host driver against a misbehaving device', () => {
  it('skips junk reports (short, stray continuations, other channels) and finds its answer', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const real = createOtpVendorHid(env, token);
    // A device that sends noise before every real answer.
    const noisy = {
      attach(send: (r: Uint8Array) => void): void {
        real.attach((r) => {
          send(new Uint8Array(10));
          send(Uint8Array.from({ length: 64 }, (_, i) => (i === 4 ? 0x05 : 0xab)));
          const other = r.slice();
          other[0] = other[0]! ^ 0xff;
          send(other);
          send(r);
        });
      },
      receive: (r: Uint8Array) => real.receive(r),
    };
    const driver = new HidOtpTokenDriver(MemoryHidTransport.connect(noisy));
    expect(await driver.press()).toBe(totp(SECRET, T0 / 1000));
    await driver.close();
  });

  it('a silent device times out; a transport closed mid-command rejects with CLOSED', async () => {
    const silent = { attach: (): void => {}, receive: (): void => {} };
    const hid = new HidOtpTokenDriver(MemoryHidTransport.connect(silent), { timeoutMs: 50 });
    await expect(hid.press()).rejects.toMatchObject({ code: 'TIMEOUT' });
    const serial = new SerialOtpTokenDriver(MemorySerialTransport.connect(silent), { timeoutMs: 5000 });
    const pending = serial.press().catch((e: TokenrigError) => e.code);
    await new Promise((r) => setImmediate(r));
    await serial.close();
    expect(await pending).toBe('CLOSED');
  });

  it('a keyboard that types a non-digit or a half report is a PROTOCOL error', async () => {
    const letters = [Uint8Array.of(0, 0, 0x04, 0, 0, 0, 0, 0)];
    await expect(new KeyboardCodeReader({ read: async () => letters.shift()! }).readCode(100)).rejects.toMatchObject({ code: 'PROTOCOL' });
    const half = [Uint8Array.of(0, 0, 0x1e)];
    await expect(new KeyboardCodeReader({ read: async () => half.shift()! }).readCode(100)).rejects.toMatchObject({ code: 'PROTOCOL' });
  });
});
