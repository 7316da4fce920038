/**
 * The `usbip` endpoint of `tokenrig/sim` in this process: a composite key started with
 * `usbip: 0` is one USB device on a USB/IP server on 127.0.0.1, whose FIDO and OTP vendor
 * interfaces the host side reaches through the `usbip:` device spec the handle names; one
 * server from `startUsbIpServer` exporting many devices as they come and go; and the options a
 * script can get wrong are refused before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/index.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { openOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { ErrorCode, TokenrigError } from '../../src/errors.js';
import { Totp } from '../../src/otp/index.js';
import { startFidoKey, startOtpToken, startSecurityKey, startUsbIpServer } from '../../src/sim/index.js';
import { discoverUsbIpDevices } from '../../src/transports/discovery.js';
import { openHidTransport, parseDeviceSpec } from '../../src/transports/device-spec.js';

// RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890".
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

async function refusal(p: Promise<unknown>): Promise<TokenrigError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TokenrigError);
  return e as TokenrigError;
}

describe('usbip: an endpoint of tokenrig/sim', () => {
  it('exports the whole composite key as one USB device; FIDO and the OTP interface answer over its usbip: spec', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await using key = await startSecurityKey({ clock, secret: SECRET, serial: '12345678', usbip: 0 });
    expect(Object.keys(key.endpoints)).toEqual(['usbip']);
    const spec = key.endpoints.usbip!;
    expect(spec).toMatch(/^usbip:127\.0\.0\.1:\d+\/1-1$/);

    const target = parseDeviceSpec(spec);
    if (target.kind !== 'usbip') throw new Error(`not a usbip: spec: ${spec}`);
    const { host, port } = target;
    const [listed, ...more] = await discoverUsbIpDevices(host, port);
    expect(more).toEqual([]);
    expect(listed).toMatchObject({ spec, vendorId: 0x1050, productId: 0x0407, interfaces: ['HID', 'HID', 'HID boot keyboard', 'CDC-ACM', 'CDC data'] });

    const fido = await CtapHidDevice.open(await openHidTransport(spec, { role: 'fido' }));
    try {
      expect((await new Ctap2(fido).getInfo()).aaguid).toEqual(Uint8Array.from(Buffer.from(key.fidoProfile.aaguid.replace(/-/g, ''), 'hex')));
    } finally {
      await fido.close();
    }
    // One importer at a time: the FIDO session above is closed, so the OTP interface imports now.
    const driver = await openOtpTokenDriver(spec);
    try {
      expect((await driver.identify()).serial).toBe('12345678');
      expect(await driver.press()).toBe(new Totp(Buffer.from('12345678901234567890')).generate(clock.now() / 1000));
    } finally {
      await driver.close();
    }
  });

  it('refuses a bad port, two hosts for the HID interfaces, and a serial port beside USB/IP, before starting', async () => {
    const bad = await refusal(startFidoKey({ usbip: 70000 }));
    expect([bad.code, bad.message]).toEqual([ErrorCode.BAD_INPUT, 'usbip takes a TCP port 0..65535 (3240 is the USB/IP port) or a server from startUsbIpServer, got 70000']);
    const both = await refusal(startFidoKey({ usbip: 0, hid: 'udp:0' }));
    expect(both.code).toBe(ErrorCode.BAD_INPUT);
    expect(both.message).toMatch(/^give one of hid, usbip, uhid: .* \(got hid and usbip\)$/);
    const serial = await refusal(startOtpToken({ usbip: 0, serialPort: 'tcp:0' }));
    expect(serial.code).toBe(ErrorCode.BAD_INPUT);
    expect(serial.message).toMatch(/USB\/IP device carries the serial port/);
  });

  it('one server from startUsbIpServer exports each device under its own bus id while it runs', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await using server = await startUsbIpServer({ port: 0 });
    expect(server.specs).toEqual([]);
    const secrets = ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'];
    const [a, b] = await Promise.all(secrets.map((secret, i) => startOtpToken({ clock, secret, serial: `GAKT0000000${i}`, usbip: server })));
    await using key = await startFidoKey({ usbip: server });
    const base = `usbip:127.0.0.1:${server.port}`;
    expect([a!.endpoints.usbip, b!.endpoints.usbip, key.endpoints.usbip].sort()).toEqual([`${base}/1-1`, `${base}/1-2`, `${base}/1-3`]);
    expect(server.specs).toEqual([`${base}/1-1`, `${base}/1-2`, `${base}/1-3`]);
    const listed = await discoverUsbIpDevices('127.0.0.1', server.port);
    const ids = new Map([a!, b!].map((t) => [t.endpoints.usbip, t.profile.usb.productId]));
    ids.set(key.endpoints.usbip, key.fidoProfile.productId);
    expect(listed.map((d) => [d.spec, d.productId])).toEqual(server.specs.map((spec) => [spec, ids.get(spec)]));
    expect(new Set(ids.values()).size).toBe(2);

    // Each token answers on its own bus id with its own seed.
    const driver = await openOtpTokenDriver(b!.endpoints.usbip!);
    expect((await driver.identify()).serial).toBe('GAKT00000001');
    expect(await driver.press()).toBe(new Totp(b!.exportSecret()).generate(clock.now() / 1000));
    // The token stops while a client has it: the client sees its device go, the server lists the rest.
    await b!.close();
    const gone = await refusal(driver.press());
    expect(gone.code).toBe(ErrorCode.CLOSED);
    await driver.close();
    expect(server.specs).toEqual([a!.endpoints.usbip, key.endpoints.usbip].sort());
    // A new device takes the free bus id.
    await using c = await startOtpToken({ clock, usbip: server });
    expect(c.endpoints.usbip).toBe(b!.endpoints.usbip);
    await a!.close();
  });
});
