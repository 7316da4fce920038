/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7, and 0x40 of CTAP 2.1-PRE) on the simulated key
 * with a fingerprint sensor: enrollment sample by sample with every lastEnrollSampleStatus the
 * firmware and the sensor produce, enumerate, rename, remove, the sensor info, the be
 * permission, each refusal, the getInfo options it drives, and templates that persist.
 */
import { describe, expect, it } from 'vitest';
import { ManualFingerprint, MemoryStorage, ScriptedFingerprint } from '../../firmware-sim/env/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID, KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import { type M, bioKey, simulatedAuthenticator } from '../support/fido-sim.js';

const BEGIN = 1;
const NEXT = 2;
const CANCEL = 3;
const ENUMERATE = 4;
const RENAME = 5;
const REMOVE = 6;
const SENSOR = 7;
const id = (templateId: Uint8Array) => new Map<number, unknown>([[1, templateId]]);

describe('authenticatorBioEnrollment (CTAP 2.1 §6.7)', () => {
  it('getModality and getFingerprintSensorInfo need no token (§6.7.1, §6.7.2)', async () => {
    const { sim } = await bioKey();
    expect((await sim.cbor(0x09, new Map([[6, true]]))).body).toEqual(new Map([[1, 1]]));
    expect((await sim.cbor(0x09, new Map<number, unknown>([[1, 1], [2, SENSOR]]))).body).toEqual(new Map([[1, 1], [2, 1], [3, 5], [8, 64]]));
  });

  it('enrolls a finger sample by sample, then enumerates, renames and removes it', async () => {
    const { bio, login, sim } = await bioKey();
    await login();
    const begin = await bio(BEGIN);
    expect(begin.status).toBe(0);
    const templateId = begin.body!.get(4) as Uint8Array;
    expect(templateId.length).toBe(4);
    expect(begin.body!.get(5)).toBe(0x00); // CTAP2_ENROLL_FEEDBACK_FP_GOOD
    expect(begin.body!.get(6)).toBe(4);
    const remaining: number[] = [];
    for (let i = 0; i < 4; i++) remaining.push((await bio(NEXT, id(templateId))).body!.get(6) as number);
    expect(remaining).toEqual([3, 2, 1, 0]);
    expect((await bio(ENUMERATE)).body!.get(7)).toEqual([new Map([[1, templateId]])]);
    expect((await bio(RENAME, new Map<number, unknown>([[1, templateId], [2, 'right thumb']]))).status).toBe(0);
    expect((await bio(ENUMERATE)).body!.get(7)).toEqual([new Map<number, unknown>([[1, templateId], [2, 'right thumb']])]);
    expect((await bio(REMOVE, id(templateId))).status).toBe(0);
    // §6.7.5: nothing enrolled is INVALID_OPTION.
    expect((await bio(ENUMERATE)).status).toBe(S.CTAP2_ERR_INVALID_OPTION);
    // The enrollment is over: more samples for it are refused.
    expect((await bio(NEXT, id(templateId))).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect((await sim.cbor(0x04)).status).toBe(0);
  });

  it('reports each sample as lastEnrollSampleStatus: no touch, a bad sample, another finger, a finger already enrolled', async () => {
    const sensor = new ScriptedFingerprint([]);
    const { bio, login, enroll } = await bioKey({ fingerprint: sensor });
    await login();
    await enroll(); // finger-1, by the cooperative fallback
    sensor.push(null, 'finger-2', { finger: 'finger-2', quality: 'tooFast' }, { finger: 'finger-2', quality: 'poorQuality' }, 'finger-3', 'finger-1', { finger: 'finger-2', quality: 'noPresenceTransition' }, 'finger-2');
    const begin = await bio(BEGIN);
    expect([begin.body!.get(5), begin.body!.get(6)]).toEqual([0x0d, 5]); // NO_USER_ACTIVITY: nothing counted
    const templateId = begin.body!.get(4) as Uint8Array;
    const statuses: [unknown, unknown][] = [];
    for (let i = 0; i < 7; i++) {
      const r = await bio(NEXT, id(templateId));
      statuses.push([r.body!.get(5), r.body!.get(6)]);
    }
    expect(statuses).toEqual([
      [0x00, 4], // good: the enrollment is now of finger-2
      [0x05, 4], // TOO_FAST
      [0x07, 4], // POOR_QUALITY
      [0x0a, 4], // MERGE_FAILURE: another finger than the one being enrolled
      [0x0b, 4], // FP_EXISTS: finger-1 is enrolled already
      [0x0e, 4], // NO_USER_PRESENCE_TRANSITION
      [0x00, 3],
    ]);
    // The sensor was asked for enrollment samples of the finger being enrolled, knowing the enrolled one.
    const last = sensor.requests.at(-1)!;
    expect([last.purpose, last.enrolling, last.enrolled.map((f) => f.finger)]).toEqual(['enroll', 'finger-2', ['finger-1']]);
  });

  it('cancelCurrentEnrollment (no token) ends the enrollment; enrollBegin starts a new one', async () => {
    const { bio, login, sim } = await bioKey();
    await login();
    const first = (await bio(BEGIN)).body!.get(4) as Uint8Array;
    expect((await sim.cbor(0x09, new Map<number, unknown>([[1, 1], [2, CANCEL]]))).status).toBe(0);
    expect((await bio(NEXT, id(first))).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const second = (await bio(BEGIN)).body!.get(4) as Uint8Array;
    expect((await bio(BEGIN)).status).toBe(0); // and a third cancels the second
    expect((await bio(NEXT, id(second))).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('refuses, each with its status', async () => {
    const { bio, login, sim, pin, enroll } = await bioKey();
    const raw = (m: [number, unknown][]) => sim.status(0x09, new Map<number, unknown>(m));
    expect((await bio(ENUMERATE)).status).toBe(S.CTAP2_ERR_PUAT_REQUIRED); // no pinUvAuthParam
    await login();
    const templateId = await enroll();
    expect(await raw([[1, 1], [2, ENUMERATE], [5, new Uint8Array(32)]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // no pinUvAuthProtocol
    expect(await raw([[1, 1], [2, ENUMERATE], [4, 3], [5, new Uint8Array(32)]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // no such protocol
    expect(await raw([[1, 1], [2, ENUMERATE], [4, 2], [5, new Uint8Array(32)]])).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    // A token without be (mc and ga only) does not authorize bio enrollment.
    const mcGa = (await pin.token('1234', 0x03)).token!;
    expect((await bio(ENUMERATE, undefined, { token: mcGa })).status).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    // The parameters the token was computed over are the ones checked.
    const signed = await login();
    expect(await raw([[1, 1], [2, REMOVE], [3, id(templateId)], [4, 2], [5, pin.protocol.authenticate(signed, Uint8Array.of(1, REMOVE))]])).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await raw([[2, ENUMERATE]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // modality
    expect(await raw([[1, 1]])).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // subCommand
    expect(await raw([[1, 2], [2, SENSOR]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // a modality it lacks
    expect(await raw([[1, 1], [2, 9]])).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(await raw([[6, false]])).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect((await bio(NEXT)).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // templateId
    expect((await bio(NEXT, id(Uint8Array.of(1, 2, 3, 4)))).status).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // no enrollment in progress
    expect((await bio(RENAME, id(templateId))).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER); // templateFriendlyName
    expect((await bio(RENAME, new Map<number, unknown>([[1, Uint8Array.of(9)], [2, 'x']]))).status).toBe(S.CTAP2_ERR_INVALID_OPTION);
    expect((await bio(RENAME, new Map<number, unknown>([[1, templateId], [2, 'x'.repeat(65)]]))).status).toBe(S.CTAP1_ERR_INVALID_LENGTH);
    expect((await bio(RENAME, new Map<number, unknown>([[1, templateId], [2, 'é'.repeat(32)]]))).status).toBe(0); // 64 bytes of UTF-8
    expect((await bio(REMOVE)).status).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect((await bio(REMOVE, id(Uint8Array.of(9)))).status).toBe(S.CTAP2_ERR_INVALID_OPTION);
    // CBOR types of every member.
    const U = S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
    expect(await raw([[1, 'fingerprint'], [2, SENSOR]])).toBe(U);
    expect(await raw([[1, 1], [2, -1]])).toBe(U);
    expect(await raw([[1, 1], [2, SENSOR], [3, [1]]])).toBe(U);
    expect(await raw([[1, 1], [2, REMOVE], [3, new Map([[1, 'id']])]])).toBe(U);
    expect(await raw([[1, 1], [2, RENAME], [3, new Map<number, unknown>([[1, templateId], [2, Uint8Array.of(1)]])]])).toBe(U);
    expect(await raw([[1, 1], [2, BEGIN], [3, new Map([[3, 'soon']])]])).toBe(U);
    expect(await raw([[1, 1], [2, SENSOR], [4, 'two']])).toBe(U);
    expect(await raw([[1, 1], [2, SENSOR], [5, 'param']])).toBe(U);
    expect(await raw([[6, 1]])).toBe(U);
  });

  it('holds maxTemplates fingers, then CTAP2_ERR_FP_DATABASE_FULL', async () => {
    const { bio, login, enroll } = await bioKey();
    await login();
    for (let i = 0; i < 5; i++) await enroll();
    expect((await bio(BEGIN)).status).toBe(S.CTAP2_ERR_FP_DATABASE_FULL);
    expect(((await bio(ENUMERATE)).body!.get(7) as unknown[]).length).toBe(5);
  });

  it('drives the getInfo options uv, bioEnroll and userVerificationMgmtPreview (§6.4)', async () => {
    const { sim, login, enroll, bio } = await bioKey();
    const options = async () => (await sim.cbor(0x04)).body!.get(4) as M;
    const info = (await sim.cbor(0x04)).body!;
    expect(info.get(0x11)).toBe(3); // preferredPlatformUvAttempts
    expect(info.get(0x12)).toBe(2); // uvModality: USER_VERIFY_FINGERPRINT_INTERNAL
    expect(Object.fromEntries(await options())).toMatchObject({ uv: false, bioEnroll: false, userVerificationMgmtPreview: false, uvToken: true, pinUvAuthToken: true, clientPin: false });
    expect((await options()).has('uvBioEnroll')).toBe(false);
    await login();
    const templateId = await enroll();
    expect(Object.fromEntries(await options())).toMatchObject({ uv: true, bioEnroll: true, userVerificationMgmtPreview: true, clientPin: true });
    await bio(REMOVE, id(templateId));
    expect(Object.fromEntries(await options())).toMatchObject({ uv: false, bioEnroll: false });
  });

  it('keeps templates across power cycles and restarts; authenticatorReset erases them', async () => {
    const storage = new MemoryStorage();
    const first = await bioKey({ storage });
    await first.login();
    const templateId = await first.enroll();
    await first.bio(RENAME, new Map<number, unknown>([[1, templateId], [2, 'index']]));
    first.sim.fido.powerCycle();
    first.sim.reconnect();
    expect(((await first.sim.cbor(0x04)).body!.get(4) as M).get('bioEnroll')).toBe(true);
    const second = await bioKey({ storage });
    await second.login();
    expect((await second.bio(ENUMERATE)).body!.get(7)).toEqual([new Map<number, unknown>([[1, templateId], [2, 'index']])]);
    second.sim.fido.powerCycle();
    second.sim.reconnect();
    expect(await second.sim.status(0x07)).toBe(0);
    expect(((await second.sim.cbor(0x04)).body!.get(4) as M).get('bioEnroll')).toBe(false);
    expect(storage.keys('fido.bio')).toEqual([]);
  });

  it('0x40 answers the same on a key that reports userVerificationMgmtPreview; keys without a sensor answer neither', async () => {
    const { bio, login, enroll } = await bioKey();
    await login();
    const templateId = await enroll();
    expect((await bio(ENUMERATE, undefined, { cmd: 0x40 })).body!.get(7)).toEqual([new Map([[1, templateId]])]);
    const plain = await simulatedAuthenticator();
    expect(await plain.status(0x09, new Map([[6, true]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect(await plain.status(0x40, new Map([[6, true]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });

  it('a CTAP 2.1-PRE key (0x40 only, no permissions): its pinToken authorizes bio enrollment', async () => {
    const pre = await bioKey({
      profile: { versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE'], options: { rk: true, up: true, uv: false, clientPin: false, userVerificationMgmtPreview: false } },
    });
    expect(await pre.sim.status(0x09, new Map([[6, true]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    await pre.pin.setPin('1234');
    const token = (await pre.pin.token('1234')).token!; // getPinToken
    const begin = await pre.bio(BEGIN, undefined, { cmd: 0x40, token });
    expect(begin.status).toBe(0);
    expect((await pre.sim.cbor(0x04)).body!.get(4)).toEqual(new Map<string, boolean>([['rk', true], ['up', true], ['uv', false], ['clientPin', true], ['userVerificationMgmtPreview', false]]));
  });

  it('waits for the finger with keepalives UPNEEDED, gives up after timeoutMilliseconds, and honours CTAPHID_CANCEL', async () => {
    let sensor!: ManualFingerprint;
    const key = await bioKey({ fingerprint: (timers) => (sensor = new ManualFingerprint(timers)) });
    await key.login();
    const { host } = key.sim;
    const cid = key.sim.cid();
    const started = key.bio(BEGIN, new Map([[3, 2000]]));
    await host.settle();
    expect(sensor.pending?.purpose).toBe('enroll');
    key.sim.timers.advance(300);
    const keepalives = host.messages.filter((m) => m.cmd === CTAPHID.KEEPALIVE).map((m) => m.data[0]);
    expect(keepalives).toContain(KEEPALIVE_STATUS.UPNEEDED);
    key.sim.timers.advance(2000); // the platform's 2 s pass: nobody touched
    const timedOut = await started;
    expect([timedOut.body!.get(5), timedOut.body!.get(6)]).toEqual([0x0d, 5]);
    const templateId = timedOut.body!.get(4) as Uint8Array;
    const next = key.bio(NEXT, id(templateId));
    await host.settle();
    expect(sensor.pending).toBeDefined();
    host.send(cid, CTAPHID.CANCEL, []);
    expect((await next).status).toBe(S.CTAP2_ERR_KEEPALIVE_CANCEL);
    // The enrollment survives a cancelled capture; a touch now counts.
    const again = key.bio(NEXT, id(templateId));
    await host.settle();
    expect(sensor.touchEnrolled()).toBe(true);
    expect((await again).body!.get(6)).toBe(4);
  });
});
