/**
 * The built-in key personalities (devices/fido-profile.ts FIDO_PROFILES) on the simulated key:
 * what each reports in getInfo (checked against the public sources their profiles cite), that
 * getInfo never claims an algorithm, extension or command family the simulator lacks, the
 * CTAP 2.0 pinToken (no permissions, good until power cycle), the U2F-only key, and solo1's
 * quirks (getPINRetries without a PIN, any channel while idle) against the strict default.
 */
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../firmware-sim/fido/algorithms/index.js';
import { CTAP2_COMMANDS } from '../../firmware-sim/fido/commands/index.js';
import { EXTENSIONS } from '../../firmware-sim/fido/extensions/index.js';
import { FIDO_PROFILES, fidoPersonality } from '../../firmware-sim/fido/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { type M, cdh, gaParams, mcParams, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_ONE } from '../support/pin-uv-auth-reference.js';

const MC = 0x01;
const GA = 0x02;
const INFO = 0x04;
const PIN = 0x06;

const personality = (name: string) => simulatedAuthenticator({ profile: fidoPersonality(name)! });

describe('key personalities', () => {
  it('every one is valid and honest: getInfo lists only registered algorithms and extensions, and options whose commands exist', async () => {
    const codes = new Set(CTAP2_COMMANDS.map((c) => c.code));
    for (const name of Object.keys(FIDO_PROFILES)) {
      const p = fidoPersonality(name)!;
      expect(p.algorithms.every((a) => ALGORITHMS.has(a))).toBe(true);
      expect(p.extensions.every((e) => EXTENSIONS.has(e))).toBe(true);
      expect(p.algorithms).toEqual(FIDO_PROFILES[name]!.algorithms.filter((a) => ALGORITHMS.has(a)));
      if (p.options.largeBlobs !== undefined) expect(codes.has(0x0c)).toBe(true);
      if (p.options.credMgmt !== undefined) expect(codes.has(0x0a)).toBe(true);
    }
    expect(fidoPersonality('nope')).toBeUndefined();
  });

  it('yubikey-5 reports what a YubiKey 5 NFC with firmware 5.7 reports', async () => {
    const sim = await personality('yubikey-5');
    const info = (await sim.cbor(INFO)).body!;
    expect(info.get(1)).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']);
    expect(info.get(2)).toEqual(['credProtect', 'hmac-secret', 'largeBlobKey', 'credBlob', 'minPinLength'].filter((e) => EXTENSIONS.has(e)));
    expect(Buffer.from(info.get(3) as Uint8Array).toString('hex')).toBe('a25342c03cdc44148e46f4807fca511c');
    const options = info.get(4) as M;
    for (const [k, v] of [['rk', true], ['up', true], ['plat', false], ['alwaysUv', false], ['credMgmt', true], ['authnrCfg', true], ['clientPin', false], ['pinUvAuthToken', true], ['setMinPINLength', true], ['makeCredUvNotRqd', true], ['credentialMgmtPreview', true], ['ep', false]] as const) {
      expect(options.get(k)).toBe(v);
    }
    expect(info.get(5)).toBe(1280);
    expect(info.get(6)).toEqual([2, 1]);
    expect(info.get(7)).toBe(8);
    expect(info.get(8)).toBe(176);
    expect(info.get(9)).toEqual(['nfc', 'usb']);
    expect((info.get(10) as M[]).map((a) => a.get('alg'))).toEqual([-7, -8, -35].filter((a) => ALGORITHMS.has(a)));
    expect(info.get(12)).toBe(false);
    expect(info.get(13)).toBe(4);
    expect(info.get(14)).toBe(329473);
    expect(info.get(16)).toBe(1);
    expect(info.get(20)).toBe(100);
    // makeCredUvNotRqd: with a PIN set, a non-discoverable credential needs no PIN.
    await pinClient(sim).setPin();
    expect(await sim.status(MC, mcParams())).toBe(0);
    expect(await sim.status(MC, mcParams([], true))).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
  });

  it('ctap20 is a CTAP 2.0 key: 2.0 getInfo members only, no 2.1 commands, protocol 1 only', async () => {
    const sim = await personality('ctap20');
    const info = (await sim.cbor(INFO)).body!;
    expect([...info.keys()].sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6].filter((k) => k !== 2 || EXTENSIONS.has('hmac-secret')));
    expect(info.get(1)).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.get(6)).toEqual([1]);
    for (const cmd of [0x0a, 0x0b, 0x0d, 0x41]) expect(await sim.status(cmd, cmd === 0x0b ? undefined : new Map([[1, 1]]))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect(await sim.status(PIN, new Map([[1, 2], [2, 2]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('ctap20: a pinToken has no permissions and stays good until the power cycle (no 10-minute lifetime, not spent by use)', async () => {
    const sim = await personality('ctap20');
    const pin = pinClient(sim, PIN_PROTOCOL_ONE);
    await pin.setPin();
    expect((await pin.token('1234', 0x01)).status).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND); // no getPinUvAuthTokenUsingPinWithPermissions
    const { token } = await pin.token('1234');
    const auth = (t: Uint8Array): [number, unknown][] => [[8, PIN_PROTOCOL_ONE.authenticate(t, cdh)], [9, 1]];
    expect(await sim.status(MC, mcParams(auth(token!), true))).toBe(0);
    expect(await sim.status(MC, mcParams([[2, new Map([['id', 'other.example']])], ...auth(token!)], true))).toBe(0);
    sim.clock.advance(60 * 60_000);
    expect(await sim.status(GA, gaParams([[6, PIN_PROTOCOL_ONE.authenticate(token!, cdh)], [7, 1]]))).toBe(0);
    expect((await pin.token('1234')).token).toEqual(token); // the same pinToken until power cycle
    sim.fido.powerCycle();
    sim.reconnect();
    expect(await sim.status(GA, gaParams([[6, PIN_PROTOCOL_ONE.authenticate(token!, cdh)], [7, 1]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
  });

  it('u2f-only has no CTAP2: INIT reports no CBOR capability; U2F VERSION answers U2F_V2', async () => {
    const sim = await personality('u2f-only');
    sim.host.send(0xffffffff, CTAPHID.INIT, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sim.host.last().data[16]! & 0x04).toBe(0);
    const version = await sim.u2f([0, 3, 0, 0, 0, 0, 0]);
    expect(Buffer.from(version.subarray(0, -2)).toString()).toBe('U2F_V2');
  });

  it('solo1 reports exactly what solo1 firmware reports (fido2/ctap.c ctap_get_info)', async () => {
    const sim = await personality('solo1');
    const info = (await sim.cbor(INFO)).body!;
    expect([...info.keys()].sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(info.get(1)).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE']);
    expect(info.get(2)).toEqual(['credProtect', 'hmac-secret'].filter((e) => EXTENSIONS.has(e)));
    expect(Buffer.from(info.get(3) as Uint8Array).toString('hex')).toBe('8876631bd4a0427f57730ec71c9e0279');
    expect(info.get(4)).toEqual(new Map<string, boolean>([['rk', true], ['up', true], ['plat', false], ['credMgmt', true], ['clientPin', false]]));
    expect([info.get(5), info.get(6), info.get(7), info.get(8)]).toEqual([1200, [1], 20, 128]);
  });

  it('solo1 quirks: getPINRetries without a PIN answers 8; a channel it never allocated is served while idle (strict: INVALID_CHANNEL)', async () => {
    const solo = await personality('solo1');
    const retries = await solo.cbor(PIN, new Map([[1, 1], [2, 1]]));
    expect(retries.body!.get(3)).toBe(8);
    solo.host.send(0x11223344, CTAPHID.CBOR, [INFO]);
    await solo.host.waitFor(CTAPHID.CBOR);
    expect(solo.host.last()).toMatchObject({ cid: 0x11223344, cmd: CTAPHID.CBOR });
    solo.host.send(0x55667788, CTAPHID.INIT, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(solo.host.last()).toMatchObject({ cid: 0x55667788, cmd: CTAPHID.INIT });
    const strict = await simulatedAuthenticator();
    expect(await strict.status(PIN, new Map([[1, 1], [2, 1]]))).toBe(S.CTAP2_ERR_PIN_NOT_SET);
    strict.host.send(0x11223344, CTAPHID.CBOR, [INFO]);
    expect(strict.host.last()).toMatchObject({ cmd: CTAPHID.ERROR, data: Uint8Array.of(0x0b) });
  });

  it('solo1 speaks credential management on both 0x0A and 0x41 with its pinToken (2.1-PRE: no permissions)', async () => {
    const sim = await personality('solo1');
    const pin = pinClient(sim, PIN_PROTOCOL_ONE);
    await pin.setPin();
    const { token } = await pin.token('1234');
    for (const cmd of [0x0a, 0x41]) {
      const r = await sim.cbor(cmd, new Map<number, unknown>([[1, 1], [3, 1], [4, PIN_PROTOCOL_ONE.authenticate(token!, Uint8Array.of(1))]]));
      expect(r.body).toEqual(new Map([[1, 0], [2, 50]]));
    }
  });
});
