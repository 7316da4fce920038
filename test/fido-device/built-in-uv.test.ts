/**
 * Built-in user verification on the simulated key with a fingerprint sensor (CTAP 2.1
 * §6.5.2.2 uvRetries and performBuiltInUv): getUVRetries (§6.5.5.3),
 * getPinUvAuthTokenUsingUvWithPermissions step by step (§6.5.5.7.3), `uv: true` in
 * makeCredential and getAssertion with the UV flag (§6.1.2 step 11.2, §6.2.2 step 6.2), the
 * retries counting down and coming back, and the way back to the PIN when they run out.
 */
import { describe, expect, it } from 'vitest';
import { DenyPresence, ManualFingerprint, ScriptedFingerprint, WrongFingerprint } from '../../firmware-sim/env/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID, KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import { type M, bioKey, cdh, gaParams, mcParams, parseAuthData, simulatedAuthenticator } from '../support/fido-sim.js';

const PIN = 0x06;
const uvRetries = async (sim: Awaited<ReturnType<typeof bioKey>>['sim'], protocol?: number) =>
  (await sim.cbor(PIN, new Map<number, unknown>([...(protocol === undefined ? [] : ([[1, protocol]] as [number, unknown][])), [2, 7]]))).body?.get(5);
const uvOn = new Map([['uv', true]]);

/** A bio key with a PIN and one finger (finger-1) enrolled; then the script's touches. */
async function enrolledKey(touches: (string | null)[] = [], profile = {}) {
  const sensor = new ScriptedFingerprint([]);
  const key = await bioKey({ fingerprint: sensor, presence: new DenyPresence(), profile });
  await key.login(0x08);
  await key.enroll();
  sensor.push(...touches);
  sensor.requests.length = 0;
  return { ...key, sensor };
}

describe('getUVRetries (CTAP 2.1 §6.5.5.3)', () => {
  it('answers uvRetries, with or without a pinUvAuthProtocol; keys without built-in UV do not know it', async () => {
    const { sim } = await bioKey();
    expect(await uvRetries(sim)).toBe(3);
    expect(await uvRetries(sim, 1)).toBe(3);
    expect(await sim.status(PIN, new Map([[1, 3], [2, 7]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const plain = await simulatedAuthenticator();
    expect(await plain.status(PIN, new Map([[2, 7]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await plain.status(PIN, new Map([[1, 2], [2, 6], [9, 1]]))).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
  });
});

describe('getPinUvAuthTokenUsingUvWithPermissions (CTAP 2.1 §6.5.5.7.3)', () => {
  it('is there with pinUvAuthToken, or uvToken (its CTAP 2.1-PRE name), and not without either', async () => {
    const pre = { rk: true, up: true, uv: false, clientPin: false, bioEnroll: false };
    const withUvToken = await enrolledKey(['finger-1'], { options: { ...pre, uvToken: true } });
    expect((await withUvToken.pin.uvToken(0x01)).status).toBe(0);
    const neither = await enrolledKey([], { options: pre });
    expect((await neither.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
  });

  it('issues a token after a match; the token makes a credential without a touch (UP and UV set)', async () => {
    const key = await enrolledKey(['finger-1']);
    const { token, status } = await key.pin.uvToken(0x03, 'example.com');
    expect(status).toBe(0);
    expect(key.sensor.requests.map((r) => r.purpose)).toEqual(['verify']);
    const made = await key.sim.cbor(0x01, mcParams([[8, key.pin.protocol.authenticate(token!, cdh)], [9, 2]]));
    expect(made.status).toBe(0); // presence is denied: the finger on the sensor was the touch (step 13)
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x05).toBe(0x05);
    // Bound to example.com (step 15).
    const other = (await key.pin.uvToken(0x03, 'other.example')).token!;
    expect(await key.sim.status(0x02, gaParams([[6, key.pin.protocol.authenticate(other, cdh)], [7, 2]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('refuses at each step: 1 missing parameters, 2 protocol, 3 no permissions, 4 unauthorized, 5 no finger, 7 blocked, 10 timeout / no match', async () => {
    const { sim, pin, login, enroll } = await bioKey({ fingerprint: new ScriptedFingerprint([]) });
    const req = (m: [number, unknown][]) => sim.status(PIN, new Map<number, unknown>([[2, 6], ...m]));
    expect(await req([[1, 2], [9, 1]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // keyAgreement
    expect(await req([[1, 2], [3, pin.hostCose]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // permissions
    expect(await req([[3, pin.hostCose], [9, 1]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // pinUvAuthProtocol
    expect(await req([[1, 3], [3, pin.hostCose], [9, 1]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await req([[1, 2], [3, pin.hostCose], [9, 0]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    // From the finger, be needs uvBioEnroll and acfg needs uvAcfg: neither here (the YubiKey Bio has neither).
    expect((await pin.uvToken(0x08)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    expect((await pin.uvToken(0x20)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    expect((await pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_NOT_ALLOWED); // step 5: no finger enrolled
    await login();
    await enroll();
    // A bad platform key is refused before the finger is asked for.
    expect(await req([[1, 2], [3, new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(32)], [-3, new Uint8Array(32)]])], [9, 1]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await uvRetries(sim)).toBe(3);
  });

  it('one attempt per request when the platform retries itself (preferredPlatformUvAttempts 3): UV_INVALID, then UV_BLOCKED; the PIN brings UV back', async () => {
    const key = await enrolledKey(['wrong', null, 'wrong', 'wrong']);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_INVALID);
    expect(await uvRetries(key.sim)).toBe(2);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_USER_ACTION_TIMEOUT); // nobody touched: nothing spent
    expect(await uvRetries(key.sim)).toBe(2);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_INVALID);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_BLOCKED); // step 10.2: that was the last
    expect(key.sensor.requests.length).toBe(4);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_BLOCKED); // step 7: without asking the sensor
    expect(key.sensor.requests.length).toBe(4);
    expect(await uvRetries(key.sim)).toBe(0);
    // The way back: a correct PIN restores uvRetries (§6.5.2.2).
    expect((await key.pin.token('1234', 0x01)).status).toBe(0);
    expect(await uvRetries(key.sim)).toBe(3);
    expect((await key.pin.uvToken(0x01)).status).toBe(0); // finger-1 (the script's fallback)
  });

  it('retries internally when the platform does not (preferredPlatformUvAttempts 1 or absent), and a match restores the count', async () => {
    const key = await enrolledKey(['wrong', 'finger-1', 'wrong', 'wrong', 'wrong'], { limits: { maxMsgSize: 1200, maxDiscoverableCredentials: 25 } });
    expect((await key.pin.uvToken(0x01)).status).toBe(0);
    expect(key.sensor.requests.length).toBe(2);
    expect(await uvRetries(key.sim)).toBe(3);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_BLOCKED); // three wrong in one request
    expect(key.sensor.requests.length).toBe(5);
  });

  it('a blocked PIN disables built-in UV too', async () => {
    const key = await enrolledKey();
    for (let i = 0; i < 8; i++) {
      if (i % 3 === 0) {
        key.sim.fido.powerCycle();
        key.sim.reconnect();
      }
      await key.pin.token('0000', 0x01);
    }
    expect(await uvRetries(key.sim)).toBe(0);
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_BLOCKED);
  });

  it('waits for the finger with keepalives UPNEEDED, and CTAPHID_CANCEL ends the wait without spending a retry', async () => {
    let sensor!: ManualFingerprint;
    const key = await bioKey({ fingerprint: (timers) => (sensor = new ManualFingerprint(timers)) });
    await key.login();
    const enrolling = key.enroll();
    for (let i = 0; i < 5; i++) {
      await key.sim.host.settle();
      sensor.touchEnrolled();
    }
    await enrolling;
    const events: string[] = [];
    key.sim.fido.onEvent = (e) => events.push(e.event);
    const asked = key.pin.uvToken(0x01);
    await key.sim.host.settle();
    expect(sensor.pending?.purpose).toBe('verify');
    expect(sensor.pending?.enrolled).toEqual([{ finger: 'finger-1' }]);
    key.sim.timers.advance(250);
    expect(key.sim.host.messages.filter((m) => m.cmd === CTAPHID.KEEPALIVE).map((m) => m.data[0])).toContain(KEEPALIVE_STATUS.UPNEEDED);
    key.sim.host.send(key.sim.cid(), CTAPHID.CANCEL, []);
    expect((await asked).status).toBe(S.CTAP2_ERR_KEEPALIVE_CANCEL);
    expect(await uvRetries(key.sim)).toBe(3);
    const again = key.pin.uvToken(0x01);
    await key.sim.host.settle();
    sensor.touchWrong();
    expect((await again).status).toBe(S.CTAP2_ERR_UV_INVALID);
    expect(events).toEqual(['uv_requested', 'uv_requested', 'uv_failed']);
  });
});

describe('uv=true in makeCredential and getAssertion (CTAP 2.1 §6.1.2 step 11.2, §6.2.2 step 6.2)', () => {
  it('a match sets UP and UV, returns the user name, and needs no touch', async () => {
    const key = await enrolledKey(['finger-1', 'finger-1']);
    const made = await key.sim.cbor(0x01, mcParams([[7, new Map([['uv', true], ['rk', true]])]]));
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags).toBe(0x45);
    const got = await key.sim.cbor(0x02, gaParams([[5, uvOn]]));
    expect(parseAuthData(got.body!.get(2) as Uint8Array).flags).toBe(0x05);
    expect((got.body!.get(4) as M).get('displayName')).toBe('Alice');
  });

  it('falls back as each step says: PUAT_REQUIRED with a PIN, PIN_BLOCKED once uvRetries ran out, OPERATION_DENIED, USER_ACTION_TIMEOUT', async () => {
    // maxUvAttemptsForInternalRetries is 3: one uv=true request spends all three retries.
    const key = await enrolledKey([null, 'wrong', 'wrong', 'wrong']);
    expect(await key.sim.status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_USER_ACTION_TIMEOUT);
    expect(await key.sim.status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await uvRetries(key.sim)).toBe(0);
    expect(await key.sim.status(0x02, gaParams([[5, uvOn]]))).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(key.sensor.requests.length).toBe(4); // blocked: the sensor is not asked
    // Without the PIN route (noMcGaPermissionsWithClientPin), the counter decides.
    const noPin = { options: { rk: true, up: true, uv: false, clientPin: false, pinUvAuthToken: true, bioEnroll: false, noMcGaPermissionsWithClientPin: true } };
    const strict = await enrolledKey(['wrong', 'wrong', 'wrong', 'wrong'], noPin);
    expect(await strict.sim.status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_PIN_BLOCKED);
    const once = await enrolledKey(['wrong'], { ...noPin, fingerprintSensor: { fingerprintKind: 1, maxCaptureSamplesRequiredForEnroll: 2, maxTemplateFriendlyName: 16, maxTemplates: 2, maxUvRetries: 5, maxUvAttemptsForInternalRetries: 1 } });
    expect(await once.sim.status(0x02, gaParams([[5, uvOn]]))).toBe(S.CTAP2_ERR_OPERATION_DENIED);
    expect(await uvRetries(once.sim)).toBe(4);
  });

  it('uv=true before any finger is enrolled is INVALID_OPTION (step 5.3); a protected key without UV is PUAT_REQUIRED (step 8)', async () => {
    const { sim, login } = await bioKey();
    expect(await sim.status(0x01, mcParams([[7, uvOn]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect(await sim.status(0x02, gaParams([[5, uvOn]]))).toBe(S.CTAP2_ERR_INVALID_OPTION);
    await login();
    expect(await sim.status(0x01, mcParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
  });

  it('WrongFingerprint (sim fido --uv deny) fails every match', async () => {
    const key = await bioKey({ fingerprint: new WrongFingerprint() });
    await key.login();
    await key.enroll();
    expect((await key.pin.uvToken(0x01)).status).toBe(S.CTAP2_ERR_UV_INVALID);
  });
});

describe('alwaysUv with built-in UV (CTAP 2.1 §6.1.2 step 6, §6.2.2 step 5, §6.11.2)', () => {
  /** toggleAlwaysUv through authenticatorConfig, with a token that has acfg. */
  async function toggleAlwaysUv(key: Awaited<ReturnType<typeof enrolledKey>>): Promise<void> {
    const acfg = (await key.pin.token('1234', 0x20)).token!;
    const message = Uint8Array.from([...new Uint8Array(32).fill(0xff), 0x0d, 0x02]);
    expect(await key.sim.status(0x0d, new Map<number, unknown>([[1, 0x02], [3, key.pin.protocol.version], [4, key.pin.protocol.authenticate(acfg, message)]]))).toBe(0);
    expect(((await key.sim.cbor(0x04)).body!.get(4) as M).get('alwaysUv')).toBe(true);
  }

  it('a request with neither uv nor a pinUvAuthParam is served with the finger: UP and UV set, no touch', async () => {
    const key = await enrolledKey(['finger-1', 'finger-1']);
    await toggleAlwaysUv(key);
    const made = await key.sim.cbor(0x01, mcParams([], true)); // presence is denied: the finger is the touch
    expect(made.status).toBe(0);
    expect(parseAuthData(made.body!.get(2) as Uint8Array).flags & 0x05).toBe(0x05);
    const got = await key.sim.cbor(0x02, gaParams());
    expect(got.status).toBe(0);
    expect(parseAuthData(got.body!.get(2) as Uint8Array).flags & 0x05).toBe(0x05);
    expect(key.sensor.requests.map((r) => r.purpose)).toEqual(['verify', 'verify']);
    // A silent check (up: false) is spared (step 5 applies to requests with a touch).
    const silent = await key.sim.cbor(0x02, gaParams([[5, new Map([['up', false]])]]));
    expect(silent.status).toBe(0);
    expect(key.sensor.requests).toHaveLength(2);
  });

  it('a finger that does not match falls back to the PIN (PUAT_REQUIRED) and spends uvRetries', async () => {
    const key = await enrolledKey(['finger-9', 'finger-9', 'finger-9']);
    await toggleAlwaysUv(key);
    expect(await key.sim.status(0x01, mcParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await uvRetries(key.sim)).toBe(0);
    // The PIN's token still works, and a correct PIN restored uvRetries.
    const t = (await key.pin.token('1234', 0x01)).token!;
    expect(await uvRetries(key.sim)).toBe(3);
    expect(await key.sim.status(0x01, mcParams([[8, key.pin.protocol.authenticate(t, cdh)], [9, key.pin.protocol.version]]))).toBe(S.CTAP2_ERR_OPERATION_DENIED); // presence denied: a PIN token needs a touch
  });

  it('without a finger enrolled, alwaysUv asks for the PIN (PUAT_REQUIRED)', async () => {
    const sensor = new ScriptedFingerprint([]);
    const key = { ...(await bioKey({ fingerprint: sensor })), sensor };
    await key.login(0x08);
    await toggleAlwaysUv(key);
    expect(await key.sim.status(0x01, mcParams())).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(sensor.requests).toHaveLength(0);
  });
});
