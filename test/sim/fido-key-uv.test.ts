/**
 * `startFidoKey` with a key personality that has a fingerprint sensor (`yubikey-bio`) and
 * `uv: 'manual'`: a test answers the sensor itself with `placeFinger` when the key's events
 * say it waits (`enroll_sample_requested`, `uv_requested`), over a real UDP endpoint, through
 * the host's FingerprintEnrollment and obtainPinUvAuthToken; and a finger still awaited when
 * the key closes does not leave the request hanging.
 */
import { describe, expect, it } from 'vitest';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { FingerprintEnrollment } from '../../src/ctap/fingerprint-enrollment.js';
import { obtainPinUvAuthToken } from '../../src/ctap/user-verification.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { type SimEvent, startFidoKey } from '../../src/sim/index.js';
import { openHidTransport } from '../../src/transports/device-spec.js';

describe('startFidoKey with a fingerprint sensor', () => {
  it("profile 'yubikey-bio', uv 'manual': placeFinger answers enrollment samples and matches", async () => {
    const events: SimEvent[] = [];
    const answers: (number | 'wrong')[] = [];
    // The key asks; the test (a person's stand-in) answers once the sensor waits.
    const key = await startFidoKey({
      profile: 'yubikey-bio',
      uv: 'manual',
      hid: 'udp:0',
      onEvent: (e) => {
        events.push(e);
        if (e.event === 'enroll_sample_requested' || e.event === 'uv_requested') setImmediate(() => key.placeFinger(answers.shift() ?? 1));
      },
    });
    expect([key.uvMode, key.fidoProfile.product, key.fingerRequest()]).toEqual(['manual', 'YubiKey FIDO', undefined]);
    const device = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!));
    const ctap2 = new Ctap2(device);
    await (await ClientPin.forAuthenticator(ctap2)).setPin('1234');
    let info = await ctap2.getInfo();
    const be = await obtainPinUvAuthToken(ctap2, info, { permissions: ['be'], pin: '1234' });
    const fingers = new FingerprintEnrollment(ctap2, info, { protocol: be.clientPin.protocol, token: be.token });
    await fingers.enroll();
    expect(events.filter((e) => e.event === 'enroll_sample_requested').length).toBe(5);
    info = await ctap2.getInfo();
    answers.push('wrong', 1);
    const failed: string[] = [];
    const got = await obtainPinUvAuthToken(ctap2, info, { permissions: ['mc'], rpId: 'rp.example', onUvFailed: (s) => failed.push(s) });
    expect([got.via, failed]).toEqual(['uv', ['UV_INVALID']]);
    expect(events.find((e) => e.event === 'uv_failed')).toMatchObject({ reason: 'pinUvAuthToken', uv_retries: 2 });
    expect(events.find((e) => e.event === 'uv_verified')).toMatchObject({ finger: expect.stringMatching(/^[0-9a-f]{8}$/) });
    await device.close();
    await key.close();
  });

  it('closing the key while it waits for a finger ends the wait', async () => {
    let asked!: () => void;
    const waiting = new Promise<void>((r) => (asked = r));
    const key = await startFidoKey({ profile: 'yubikey-bio', uv: 'manual', hid: 'udp:0', onEvent: (e) => e.event === 'enroll_sample_requested' && asked() });
    const device = await CtapHidDevice.open(await openHidTransport(key.endpoints.hid!), { timeoutMs: 5000 });
    const ctap2 = new Ctap2(device);
    await (await ClientPin.forAuthenticator(ctap2)).setPin('1234');
    const info = await ctap2.getInfo();
    const be = await obtainPinUvAuthToken(ctap2, info, { permissions: ['be'], pin: '1234' });
    const sample = new FingerprintEnrollment(ctap2, info, { protocol: be.clientPin.protocol, token: be.token }).begin();
    await waiting;
    expect(key.fingerRequest()?.purpose).toBe('enroll');
    const started = Date.now();
    await key.close();
    // Nobody touched: the key answered NO_USER_ACTIVITY before its endpoint closed.
    expect((await sample).statusName).toBe('NO_USER_ACTIVITY');
    expect(Date.now() - started).toBeLessThan(4000);
    await device.close();
  });

  it('a bad uv mode is BAD_INPUT', async () => {
    await expect(startFidoKey({ uv: 'sometimes' as never })).rejects.toThrow(/uv must be auto, manual or deny/);
  });
});
