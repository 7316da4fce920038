/**
 * Host CTAP layers (CtapHidDevice, Ctap2, ClientPin, Ctap1) against the simulated
 * authenticator in firmware-sim, in process over the memory transport.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { ManualPresence, ScriptedPresence, type UserPresence, createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { Ctap1 } from '../../src/ctap/ctap1.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { ClientPin, PERMISSION } from '../../src/ctap/client-pin.js';
import { TokenrigError } from '../../src/errors.js';
import { failure } from './failure.js';
import { CTAP2_STATUS } from '../../src/protocol/ctap-status.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';

const utf8 = new TextEncoder();
let seedCounter = 0;

async function connect(presence?: UserPresence) {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: `host-${seedCounter++}`, ...(presence ? { presence } : {}) });
  const fido = await FidoAuthenticator.create(env);
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid), { randomBytes: (n) => new Uint8Array(n).fill(0x5a) });
  return { fido, device, ctap2: new Ctap2(device), ctap1: new Ctap1(device) };
}

const cdh = sha256(utf8.encode('client data'));
const mcParams = { clientDataHash: cdh, rp: { id: 'example.com', name: 'Example' }, user: { id: Uint8Array.of(1, 2, 3), name: 'alice' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] };

describe('CtapHidDevice + Ctap2 against the simulated authenticator', () => {
  it('INIT allocates a channel; PING echoes the largest message', async () => {
    const { device } = await connect();
    expect(device.info.cid).not.toBe(0xffffffff);
    expect(device.info.cbor).toBe(true);
    const big = new Uint8Array(7609).map((_, i) => i & 0xff);
    expect(await device.ping(big)).toEqual(big);
  });

  it('getInfo, makeCredential, getAssertion: the assertion verifies with the credential key', async () => {
    const { ctap2 } = await connect();
    const info = await ctap2.getInfo();
    expect(info.versions).toContain('FIDO_2_0');
    expect(info.aaguid.length).toBe(16);
    const made = await ctap2.makeCredential(mcParams);
    expect(made.fmt).toBe('packed');
    const a = made.authData;
    expect(Buffer.from(a.subarray(0, 32))).toEqual(Buffer.from(sha256(utf8.encode('example.com'))));
    const idLen = (a[53]! << 8) | a[54]!;
    const credId = a.slice(55, 55 + idLen);
    const got = await ctap2.getAssertion({ rpId: 'example.com', clientDataHash: cdh, allowList: [{ type: 'public-key', id: credId }] });
    expect(got.credential?.id).toEqual(credId);
    // Credential public key x,y from the COSE key after the credential id.
    const cose = a.subarray(55 + idLen);
    const x = cose.subarray(cose.indexOf(0x21) + 3, cose.indexOf(0x21) + 35);
    const y = cose.subarray(cose.indexOf(0x22) + 3, cose.indexOf(0x22) + 35);
    const pub = Uint8Array.from([4, ...x, ...y]);
    const msg = Uint8Array.from([...got.authData, ...cdh]);
    expect(p256.verify(got.signature, sha256(msg), pub, { prehash: false, format: 'der' })).toBe(true);
  });

  it('a CTAP2 error keeps its status byte and spec name', async () => {
    const { ctap2 } = await connect();
    const e = await failure(ctap2.getAssertion({ rpId: 'nobody.example', clientDataHash: cdh }));
    expect(e).toBeInstanceOf(TokenrigError);
    expect(e.wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_NO_CREDENTIALS);
    expect(e.message).toMatch(/CTAP2_ERR_NO_CREDENTIALS/);
  });

  for (const protocol of [1, 2] as const) {
    it(`ClientPin protocol ${protocol}: set, wrong PIN counted, change, token makes a UV credential`, async () => {
      const { ctap2 } = await connect();
      const pin = new ClientPin(ctap2, { protocol });
      // No PIN yet: getPINRetries is PIN_NOT_SET, as YubiKeys answer.
      expect((await failure(pin.getRetries())).wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_PIN_NOT_SET);
      await pin.setPin('1234');
      expect((await pin.getRetries()).retries).toBe(8);
      const wrong = await failure(pin.getPinToken('9999'));
      expect(wrong.wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_PIN_INVALID);
      expect((await pin.getRetries()).retries).toBe(7);
      await pin.changePin('1234', 'correct horse');
      const token = await pin.getPinUvAuthTokenUsingPinWithPermissions('correct horse', PERMISSION.mc, 'example.com');
      const made = await ctap2.makeCredential({ ...mcParams, pinUvAuthParam: pin.authenticate(token, cdh), pinUvAuthProtocol: protocol });
      expect(made.authData[32]! & 0x04).toBe(0x04); // UV flag
      expect((await pin.getRetries()).retries).toBe(8);
      // §6.5.1 PIN policy is checked before anything is sent.
      expect((await failure(pin.changePin('correct horse', 'abc'))).message).toMatch(/at least 4/);
      expect((await failure(pin.changePin('correct horse', 'x'.repeat(64)))).message).toMatch(/at most 63 bytes/);
    });
  }
});

describe('Ctap2 resident credentials, selection, reset, cancel', () => {
  it('getAssertion without allowList finds resident credentials; getNextAssertion walks them', async () => {
    const { ctap2 } = await connect();
    for (const id of [1, 2]) await ctap2.makeCredential({ ...mcParams, user: { id: Uint8Array.of(id), name: `u${id}` }, options: { rk: true } });
    const first = await ctap2.getAssertion({ rpId: 'example.com', clientDataHash: cdh });
    expect(first.numberOfCredentials).toBe(2);
    const second = await ctap2.getNextAssertion();
    expect(new Set([first.user?.id[0], second.user?.id[0]])).toEqual(new Set([1, 2]));
    expect((await failure(ctap2.getNextAssertion())).wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_NOT_ALLOWED);
  });

  it('selection succeeds on touch; reset erases credentials', async () => {
    const { ctap2 } = await connect();
    await ctap2.selection();
    await ctap2.makeCredential({ ...mcParams, options: { rk: true } });
    await ctap2.reset();
    expect((await failure(ctap2.getAssertion({ rpId: 'example.com', clientDataHash: cdh }))).wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_NO_CREDENTIALS);
  });

  it('aborting while the key waits for a touch sends CANCEL; the key answers KEEPALIVE_CANCEL', async () => {
    const presence = new ManualPresence();
    const { ctap2 } = await connect(presence);
    const ac = new AbortController();
    presence.onWaiting = () => ac.abort();
    const e = await failure(ctap2.makeCredential(mcParams, { signal: ac.signal }));
    expect(e.wireCode).toBe(CTAP2_STATUS.CTAP2_ERR_KEEPALIVE_CANCEL);
    expect(e.message).toMatch(/CTAP2_ERR_KEEPALIVE_CANCEL/);
  });
});

describe('Ctap1 (U2F) against the simulated authenticator', () => {
  it('version, register, authenticate with a verifying signature', async () => {
    const { ctap1 } = await connect();
    expect(await ctap1.getVersion()).toBe('U2F_V2');
    const app = sha256(utf8.encode('https://example.com'));
    const chal = sha256(utf8.encode('challenge'));
    const reg = await ctap1.register(chal, app);
    expect(reg.publicKey[0]).toBe(4);
    expect(reg.certificate[0]).toBe(0x30);
    expect(await ctap1.knowsKeyHandle(app, reg.keyHandle)).toBe(true);
    expect(await ctap1.knowsKeyHandle(sha256(utf8.encode('other')), reg.keyHandle)).toBe(false);
    const sig = await ctap1.authenticate(chal, app, reg.keyHandle);
    expect(sig.userPresence & 1).toBe(1);
    const signed = Uint8Array.from([...app, ...sig.raw.subarray(0, 5), ...chal]);
    expect(p256.verify(sig.signature, sha256(signed), reg.publicKey, { prehash: false, format: 'der' })).toBe(true);
  });

  it('register polls while the key answers CONDITIONS_NOT_SATISFIED (not touched yet)', async () => {
    const { device } = await connect(new ScriptedPresence([false, false], true));
    const pauses: number[] = [];
    const ctap1 = new Ctap1(device, { pollMs: 5, sleep: async (ms) => void pauses.push(ms) });
    const reg = await ctap1.register(sha256(utf8.encode('c')), sha256(utf8.encode('a')));
    expect(reg.keyHandle.length).toBeGreaterThan(0);
    expect(pauses).toEqual([5, 5]);
  });

  it('gives up with TIMEOUT when nobody touches the key', async () => {
    const { device } = await connect(new ScriptedPresence([], false));
    let t = 0;
    const ctap1 = new Ctap1(device, { touchTimeoutMs: 50, pollMs: 10, now: () => t, sleep: async (ms) => void (t += ms) });
    const e = await failure(ctap1.register(sha256(utf8.encode('c')), sha256(utf8.encode('a'))));
    expect(e.code).toBe('TIMEOUT');
  });
});
