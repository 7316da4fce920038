/** Device specs, the node-hid report-ID quirk, discovery, and real hardware when named. */
import { describe, expect, it } from 'vitest';
import { openOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { TokenrigError } from '../../src/errors.js';
import { openHidTransport, openSerialTransport, parseDeviceSpec } from '../../src/transports/device-spec.js';
import { discoverDevices } from '../../src/transports/discovery.js';
import { withReportId, withoutReportId } from '../../src/transports/node-hid-transport.js';

function badInputMessage(spec: string): string {
  try {
    parseDeviceSpec(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(TokenrigError);
    expect((e as TokenrigError).code).toBe('BAD_INPUT');
    return (e as Error).message;
  }
  throw new Error(`${spec} was accepted`);
}

describe('parseDeviceSpec', () => {
  it('parses every kind', () => {
    expect(parseDeviceSpec('serial:/dev/ttyACM0')).toEqual({ kind: 'serial', path: '/dev/ttyACM0' });
    expect(parseDeviceSpec('udp:127.0.0.1:8111')).toEqual({ kind: 'udp', host: '127.0.0.1', port: 8111 });
    expect(parseDeviceSpec('udp:8111')).toEqual({ kind: 'udp', host: '127.0.0.1', port: 8111 });
    expect(parseDeviceSpec('tcp:localhost:4000')).toEqual({ kind: 'tcp', host: 'localhost', port: 4000 });
    expect(parseDeviceSpec('tcp:[::1]:4000')).toEqual({ kind: 'tcp', host: '::1', port: 4000 });
    expect(parseDeviceSpec('hid:/dev/hidraw3')).toEqual({ kind: 'hid', path: '/dev/hidraw3' });
    expect(parseDeviceSpec('hid:1050:0407')).toEqual({ kind: 'hid', vendorId: 0x1050, productId: 0x0407 });
    expect(parseDeviceSpec('HID:1050:0407')).toEqual({ kind: 'hid', vendorId: 0x1050, productId: 0x0407 });
    expect(parseDeviceSpec('usb:1050:0407')).toEqual({ kind: 'usb', vendorId: 0x1050, productId: 0x0407 });
  });

  it('refuses bad specs with one clear BAD_INPUT line', () => {
    expect(badInputMessage('bogus')).toMatch(/has no kind: use one of serial:/);
    expect(badInputMessage('ftp:x')).toMatch(/unknown kind "ftp"/);
    expect(badInputMessage('serial:')).toMatch(/names no device/);
    expect(badInputMessage('udp:127.0.0.1:99999')).toMatch(/port must be 1\.\.65535/);
    expect(badInputMessage('udp:127.0.0.1:http')).toMatch(/port must be a number/);
    expect(badInputMessage('usb:/dev/bus/usb/001/002')).toMatch(/usb: takes VID:PID/);
    expect(badInputMessage('tcp::4000')).toMatch(/bad host/);
    for (const m of ['bogus', 'ftp:x', 'udp:1:2:http']) expect(badInputMessage(m)).not.toContain('\n');
  });

  it('opens the right family and refuses the wrong one', async () => {
    await expect(openHidTransport('serial:/dev/null')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(openSerialTransport('udp:8111')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(openSerialTransport('serial:/dev/tokenrig-none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(openSerialTransport('tcp:127.0.0.1:1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('node-hid report-ID quirk', () => {
  it('prefixes report ID 0 on write and strips it from input when present', () => {
    const report = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    const wire = withReportId(report);
    expect(wire.length).toBe(65);
    expect(wire[0]).toBe(0);
    expect([...wire.subarray(1)]).toEqual([...report]);
    expect([...withoutReportId(report)!]).toEqual([...report]);
    expect([...withoutReportId(wire)!]).toEqual([...report]);
    // A 65-byte input that does not start with report ID 0, or a short one, is not a report.
    expect(withoutReportId(Uint8Array.of(1, ...report))).toBeUndefined();
    expect(withoutReportId(new Uint8Array(10))).toBeUndefined();
  });
});

describe('discovery', () => {
  it('lists HID devices and serial ports, or says why a source gave nothing, never throws', async () => {
    const d = await discoverDevices();
    expect(Array.isArray(d.devices)).toBe(true);
    for (const dev of d.devices) expect(dev.spec).toMatch(/^(hid|serial):/);
    for (const n of d.notes) expect(n).toMatch(/^(HID devices|serial ports): /);
  });
});

describe('a real OTP token (TOKENRIG_OTP_DEVICE names its spec, e.g. hid:1209:7f01 or serial:/dev/ttyACM0)', () => {
  it('identifies and gives a code', async (ctx) => {
    const spec = process.env.TOKENRIG_OTP_DEVICE;
    if (spec === undefined || spec === '') {
      console.warn('skipped: set TOKENRIG_OTP_DEVICE=<device spec> to run against a real token (node-hid, usb or serial)');
      ctx.skip();
      return;
    }
    const driver = await openOtpTokenDriver(spec);
    try {
      expect((await driver.identify()).serial.length).toBeGreaterThan(0);
      expect(await driver.press()).toMatch(/^\d{6,10}$/);
    } finally {
      await driver.close();
    }
  });
});
