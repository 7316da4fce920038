/**
 * `tokenrig/sim` in this process over real endpoints: a token read by the host driver over UDP
 * HID, TCP serial and a pty (socat), on a manual clock; a FIDO key registered through the
 * WebAuthn client with manual touch; a composite key serving FIDO, the OTP vendor interface,
 * the keyboard and the serial port from one device; and the errors a script can act on.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { KeyboardCodeReader, openOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { TokenrigError } from '../../src/errors.js';
import { Totp } from '../../src/otp/index.js';
import { COMPOSITE_KEY_PROFILE, type SimEvent, startFidoKey, startOtpToken, startSecurityKey } from '../../src/sim/index.js';
import { openHidTransport } from '../../src/transports/device-spec.js';
import { WebAuthnClient } from '../../src/webauthn/index.js';
import { peers } from '../support/peer.js';

// RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890".
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

function errorOf(p: Promise<unknown>): Promise<TokenrigError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(TokenrigError);
      return e as TokenrigError;
    },
  );
}

const creationOptions = (user: string) => ({
  rp: { id: 'rp.example', name: 'Example' },
  user: { id: Buffer.from(user).toString('base64url'), name: user, displayName: user.toUpperCase() },
  challenge: Buffer.from('challenge-challenge-challenge-32').toString('base64url'),
  pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
  authenticatorSelection: { residentKey: 'required' as const, userVerification: 'discouraged' as const },
});

describe('startOtpToken', () => {
  it('serves the token over UDP HID and TCP serial; the host driver reads the codes of the manual clock', async () => {
    const clock = new ManualClock(T0);
    const events: SimEvent[] = [];
    const token = await startOtpToken({ clock, secret: SECRET, serial: 'GAKT00001234', hid: 'udp:0', serialPort: 'tcp:0', onEvent: (e) => events.push(e) });
    try {
      expect(token.serial).toBe('GAKT00001234');
      expect(token.endpoints.hid).toMatch(/^udp:127\.0\.0\.1:\d+$/);
      expect(token.endpoints.serial).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
      expect(Object.keys(token.endpoints).sort()).toEqual(['hid', 'serial']);
      const totp = new Totp(token.exportSecret());
      const hid = await openOtpTokenDriver(token.endpoints.hid!);
      const serial = await openOtpTokenDriver(token.endpoints.serial!);
      try {
        expect(await hid.identify()).toEqual(token.identity);
        const first = await hid.press();
        expect(first).toBe(totp.generate(T0 / 1000));
        clock.advance(30_000);
        const second = await serial.press();
        expect(second).toBe(totp.generate(T0 / 1000 + 30));
        expect(token.display()).toBe(second);
        expect(token.status()).toMatchObject({ display: { code: second }, fault: 'none', secondsToNextStep: 30 });
      } finally {
        await hid.close();
        await serial.close();
      }
      // Events in the house style: snake_case names, the serial, never the seed.
      expect(events.map((e) => e.event)).toEqual(['token_created', 'press', 'press']);
      expect(JSON.stringify(events)).not.toContain(SECRET);
    } finally {
      await token.close();
    }
    // Closed: the TCP port refuses connections.
    const port = Number(token.endpoints.serial!.split(':').at(-1));
    await expect(new Promise((resolve, reject) => createConnection(port, '127.0.0.1').once('connect', resolve).once('error', reject))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('presses, faults and the crystal through the handle alone; await using closes it', async () => {
    const clock = new ManualClock(T0);
    const pressed: string[] = [];
    {
      await using token = await startOtpToken({ clock, secret: SECRET, profile: 'totp60', offsetSeconds: 120 });
      token.onPress((code) => pressed.push(code));
      // The token runs 2 minutes fast: its code is the service's code of 120 s later.
      expect(token.press()).toBe(new Totp(token.exportSecret(), { period: 60 }).generate(T0 / 1000 + 120));
      token.setFault('battery-dead');
      expect(() => token.press()).toThrow(/battery/);
      expect(token.endpoints).toEqual({});
    }
    expect(pressed).toHaveLength(1);
  });

  it('keeps the token in a state directory: the same serial and seed next time, files 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-sim-state-'));
    try {
      const a = await startOtpToken({ stateDir: dir, profile: 'hotp' });
      const first = a.press();
      await a.close();
      const b = await startOtpToken({ stateDir: dir, profile: 'hotp' });
      expect(b.serial).toBe(a.serial);
      expect(b.press()).not.toBe(first); // the HOTP counter moved on and was kept
      expect(b.status().counter).toBe(2);
      await b.close();
      expect(statSync(join(dir, 'otp-token.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves a real pty that the host driver opens through serialport', async (ctx) => {
    peers.socat.require(ctx);
    await using token = await startOtpToken({ serialPort: 'pty', secret: SECRET });
    expect(token.endpoints.serial).toMatch(/^serial:\/dev\/pts\/\d+$/);
    const driver = await openOtpTokenDriver(token.endpoints.serial!);
    try {
      expect((await driver.identify()).serial).toBe(token.serial);
      expect(await driver.press()).toBe(token.display());
    } finally {
      await driver.close();
    }
  });

  it('says what is wrong before starting anything: bad options BAD_INPUT, a port in use BUSY', async () => {
    expect((await errorOf(startOtpToken({ hid: 'tcp:0' as never }))).code).toBe('BAD_INPUT');
    expect((await errorOf(startOtpToken({ serialPort: 'tcp' as never }))).message).toMatch(/the serial port must be pty or tcp:PORT/);
    expect((await errorOf(startOtpToken({ profile: 'nope' }))).message).toMatch(/aws-totp/);
    expect((await errorOf(startOtpToken({ secret: 'AAAA' }))).code).toBe('BAD_INPUT');
    expect((await errorOf(startFidoKey({ serialPort: 'tcp:0' }))).message).toMatch(/no serial interface/);
    await using first = await startOtpToken({ hid: 'udp:0' });
    const port = Number(first.endpoints.hid!.split(':').at(-1));
    const busy = await errorOf(startOtpToken({ hid: `udp:${port}` }));
    expect(busy.code).toBe('BUSY');
    expect(busy.message).toContain(`udp:127.0.0.1:${port} is in use`);
  });
});

describe('startFidoKey', () => {
  it('registers a resident credential over UDP with a manual touch, and lists it', async () => {
    const events: SimEvent[] = [];
    await using key = await startFidoKey({ touch: 'manual', hid: 'udp:0', onEvent: (e) => events.push(e) });
    expect(key.endpoints.hid).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    expect(key.touchMode).toBe('manual');
    const device = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!));
    try {
      const client = new WebAuthnClient(device);
      // Touch the key when it asks, as a person would.
      const touched = new Promise<number>((resolve) => {
        const poll = setInterval(() => {
          if (!events.some((e) => e.event === 'touch_requested')) return;
          clearInterval(poll);
          resolve(key.touch());
        }, 5);
      });
      const reg = await client.create(creationOptions('alice'), 'https://rp.example');
      expect(await touched).toBe(1);
      expect(key.credentials()).toEqual([
        { id: reg.id, rpId: 'rp.example', userId: Buffer.from('alice').toString('base64url'), userName: 'alice', displayName: 'ALICE', created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      ]);
      expect(events.find((e) => e.event === 'credential_created')).toMatchObject({ rp_id: 'rp.example', resident: true });
    } finally {
      await device.close();
    }
  });

  it('a touch still waiting when the key closes is refused, not left hanging', async () => {
    const key = await startFidoKey({ touch: 'manual', hid: 'udp:0' });
    const device = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!), { timeoutMs: 5000 });
    try {
      const pending = new WebAuthnClient(device).create(creationOptions('bob'), 'https://rp.example');
      const outcome = pending.then(
        () => 'registered',
        (e: unknown) => (e as Error).message,
      );
      await new Promise((r) => setTimeout(r, 100));
      await key.close();
      // The host hears the refusal at once (its own timeout is 5 s).
      expect(await outcome).toMatch(/OPERATION_DENIED/);
      expect(key.credentials()).toEqual([]);
    } finally {
      await device.close();
    }
  });
});

describe('startSecurityKey (composite-key): one device, every interface of the profile', () => {
  it('serves FIDO, the OTP vendor interface, the keyboard and the serial port from one button and one seed', async () => {
    const clock = new ManualClock(T0);
    await using key = await startSecurityKey({ clock, secret: SECRET, hid: 'udp:0', serialPort: 'tcp:0' });
    expect(Object.keys(key.endpoints).sort()).toEqual(['hid', 'keyboard', 'otp', 'serial']);
    expect(new Set(Object.values(key.endpoints)).size).toBe(4);
    // The keyboard interface types each press: subscribe with one datagram, then read reports.
    const kbd = createSocket('udp4');
    const reports: Uint8Array[] = [];
    const waiting: ((r: Uint8Array) => void)[] = [];
    kbd.on('message', (m) => (waiting.length > 0 ? waiting.shift()!(new Uint8Array(m)) : reports.push(new Uint8Array(m))));
    await new Promise<void>((r) => kbd.bind(0, '127.0.0.1', r));
    const [, host, port] = key.endpoints.keyboard!.split(':');
    await new Promise<void>((r) => kbd.send(new Uint8Array(1), Number(port), host, () => r()));
    await new Promise((r) => setTimeout(r, 50));
    const typed = new KeyboardCodeReader({ read: () => (reports.length > 0 ? Promise.resolve(reports.shift()!) : new Promise((r) => waiting.push(r))) });

    const otp = await openOtpTokenDriver(key.endpoints.otp!);
    const serial = await openOtpTokenDriver(key.endpoints.serial!);
    const fido = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!));
    try {
      const expected = new Totp(key.exportSecret()).generate(T0 / 1000);
      const typing = typed.readCode(5000);
      expect(await serial.press()).toBe(expected);
      expect(await typing).toBe(expected);
      expect(await otp.readDisplay()).toBe(expected);
      // The FIDO interface of the same device, with the profile's USB identity.
      expect(key.fidoProfile).toMatchObject({ vendorId: 0x1050, productId: 0x0407 });
      const reg = await new WebAuthnClient(fido).create(creationOptions('carol'), 'https://rp.example');
      expect(key.credentials().map((c) => c.id)).toEqual([reg.id]);
    } finally {
      kbd.close();
      await otp.close();
      await serial.close();
      await fido.close();
    }
  });

  it('serves the interfaces the profile lists, no more: a key without a keyboard has none', async () => {
    const profile = { ...COMPOSITE_KEY_PROFILE, name: 'no-keyboard', interfaces: COMPOSITE_KEY_PROFILE.interfaces.filter((i) => i.kind !== 'keyboard' && i.kind !== 'serial') };
    await using key = await startSecurityKey({ profile, hid: 'udp:0' });
    expect(Object.keys(key.endpoints).sort()).toEqual(['hid', 'otp']);
    expect((await errorOf(startSecurityKey({ profile, serialPort: 'tcp:0' }))).message).toMatch(/no serial interface/);
    expect((await errorOf(startSecurityKey({ profile: 'aws-totp' }))).message).toMatch(/has no FIDO and OTP interfaces: use composite-key/);
  });

  it('startOtpToken and startFidoKey with the composite profile serve the same interfaces; hid names the one asked for', async () => {
    await using token = await startOtpToken({ profile: 'composite-key', hid: 'udp:0' });
    await using key = await startFidoKey({ profile: 'composite-key', hid: 'udp:0' });
    expect(Object.keys(token.endpoints).sort()).toEqual(['fido', 'hid', 'keyboard']);
    expect(Object.keys(key.endpoints).sort()).toEqual(['hid', 'keyboard', 'otp']);
    const driver = await openOtpTokenDriver(token.endpoints.hid!);
    try {
      expect((await driver.identify()).serial).toBe(token.serial);
    } finally {
      await driver.close();
    }
    // A state directory that cannot be one (under a file) is the caller's mistake.
    const bad = await errorOf(startOtpToken({ profile: 'composite-key', hid: 'udp:0', stateDir: '/etc/passwd/state' }));
    expect(bad.code).toBe('BAD_INPUT');
    expect(bad.message).toMatch(/cannot use the state directory \/etc\/passwd\/state/);
  });
});
