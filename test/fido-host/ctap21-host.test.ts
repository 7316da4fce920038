/**
 * The host side of CTAP 2.1/2.2: the requests Ctap2 sends for credentialManagement,
 * authenticatorConfig, largeBlobs and bioEnrollment are byte-equal to what python-fido2
 * (Debian's python3-fido2, an independent implementation) sends for the same operations,
 * pinUvAuthParam included; getInfo is read member by member, strictly; response members of
 * the wrong type are PROTOCOL errors; permissions by name; and against the simulator, what a
 * key without these commands answers.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { BIO_MODALITY, bioEnrollmentAuthMessage } from '../../src/ctap/bio-enrollment.js';
import { CONFIG_SUBCOMMAND, configAuthMessage } from '../../src/ctap/authenticator-config.js';
import { ClientPin, PERMISSION, permissionBits } from '../../src/ctap/client-pin.js';
import { CREDENTIAL_MANAGEMENT_SUBCOMMAND as CM, credentialManagementAuthMessage, parseCredentialManagementResponse } from '../../src/ctap/credential-management.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { parseGetInfo } from '../../src/ctap/get-info.js';
import { largeBlobsAuthMessage } from '../../src/ctap/large-blobs.js';
import type { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { CtapHidDevice as Device } from '../../src/drivers/ctaphid-device.js';
import { TokenrigError } from '../../src/errors.js';
import { type CborValue, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { pinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { DEBIAN_PYTHON, peers } from '../support/peer.js';
import { failure } from './failure.js';

const SCRIPT = join(import.meta.dirname, 'peers/ctap21_requests.py');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A CtapHidDevice stand-in that records every CBOR request and answers CTAP2_OK. */
function recorder(): { device: CtapHidDevice; requests: string[] } {
  const requests: string[] = [];
  const device = {
    call: async (_cmd: number, data: Uint8Array) => {
      requests.push(hex(data));
      return Uint8Array.of(0);
    },
  } as unknown as CtapHidDevice;
  return { device, requests };
}

describe('CTAP 2.1 requests byte-equal to python-fido2', () => {
  for (const version of [1, 2] as const) {
    it(`credentialManagement, config, largeBlobs and bioEnrollment (PIN/UV auth protocol ${version})`, async (ctx) => {
      peers.pythonFido2.require(ctx);
      const token = new Uint8Array(32).map((_, i) => 0xa0 + i);
      const run = spawnSync(DEBIAN_PYTHON, [SCRIPT], { input: JSON.stringify({ protocol: version, token: hex(token) }), encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const theirs = JSON.parse(run.stdout) as { name: string; request: string }[];

      const protocol = pinUvAuthProtocol(version);
      const auth = (message: Uint8Array) => ({ pinUvAuthProtocol: version, pinUvAuthParam: protocol.authenticate(token, message) });
      const { device, requests } = recorder();
      const ctap2 = new Ctap2(device);
      const cred = { id: Uint8Array.from({ length: 16 }, (_, i) => i), type: 'public-key' };
      const cm = async (subCommand: number, subCommandParams?: Parameters<typeof credentialManagementAuthMessage>[1], signed = true) =>
        ctap2.credentialManagement({ subCommand, ...(subCommandParams ? { subCommandParams } : {}), ...(signed ? auth(credentialManagementAuthMessage(subCommand, subCommandParams)) : {}) });
      await cm(CM.getCredsMetadata);
      await cm(CM.enumerateRPsBegin);
      await cm(CM.enumerateRPsGetNextRP, undefined, false);
      await cm(CM.enumerateCredentialsBegin, { rpIDHash: new Uint8Array(32).fill(0x11) });
      await cm(CM.enumerateCredentialsGetNextCredential, undefined, false);
      await cm(CM.deleteCredential, { credentialID: cred });
      await cm(CM.updateUserInformation, { credentialID: cred, user: { id: Uint8Array.of(1, 2), name: 'alice', displayName: 'Alice' } });
      await ctap2.config({ subCommand: CONFIG_SUBCOMMAND.toggleAlwaysUv, ...auth(configAuthMessage(CONFIG_SUBCOMMAND.toggleAlwaysUv)) });
      const minPin = { newMinPINLength: 6, minPinLengthRPIDs: ['example.com'], forceChangePin: true };
      await ctap2.config({ subCommand: CONFIG_SUBCOMMAND.setMinPINLength, subCommandParams: minPin, ...auth(configAuthMessage(CONFIG_SUBCOMMAND.setMinPINLength, minPin)) });
      const array = encodeCbor([new Map<number, CborValue>([[1, new Uint8Array(20).fill(1)], [2, 7]])]);
      const serialized = new Uint8Array([...array, ...sha256(array).subarray(0, 16)]);
      await ctap2.largeBlobs({ set: serialized, offset: 0, length: serialized.length, ...auth(largeBlobsAuthMessage(0, serialized)) });
      const fp = BIO_MODALITY.fingerprint;
      await ctap2.bioEnrollment({ getModality: true });
      await ctap2.bioEnrollment({ modality: fp, subCommand: 0x07 });
      await ctap2.bioEnrollment({ modality: fp, subCommand: 0x04, ...auth(bioEnrollmentAuthMessage(fp, 0x04)) });
      const rename = { templateId: Uint8Array.of(5, 6), templateFriendlyName: 'thumb' };
      await ctap2.bioEnrollment({ modality: fp, subCommand: 0x05, subCommandParams: rename, ...auth(bioEnrollmentAuthMessage(fp, 0x05, rename)) });
      const remove = { templateId: Uint8Array.of(5, 6) };
      await ctap2.bioEnrollment({ modality: fp, subCommand: 0x06, subCommandParams: remove, ...auth(bioEnrollmentAuthMessage(fp, 0x06, remove)) });

      expect(requests.map((r, i) => [theirs[i]?.name, r])).toEqual(theirs.map((t) => [t.name, t.request]));
      // Changing one byte of our side shows in the comparison (the check can fail).
      expect(hex(configAuthMessage(CONFIG_SUBCOMMAND.toggleAlwaysUv))).not.toBe(hex(configAuthMessage(CONFIG_SUBCOMMAND.setMinPINLength)));
    });
  }
});

describe('getInfo (CTAP 2.1 §6.4, CTAP 2.2)', () => {
  const full = (): Map<CborValue, CborValue> =>
    new Map<CborValue, CborValue>([
      [0x01, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_2']],
      [0x02, ['credProtect', 'hmac-secret']],
      [0x03, new Uint8Array(16).fill(7)],
      [0x04, new Map<CborValue, CborValue>([['rk', true], ['clientPin', false], ['credMgmt', true]])],
      [0x05, 1200],
      [0x06, [2, 1]],
      [0x07, 8],
      [0x08, 128],
      [0x09, ['nfc', 'usb']],
      [0x0a, [new Map<CborValue, CborValue>([['alg', -7], ['type', 'public-key']]), new Map<CborValue, CborValue>([['alg', -8], ['type', 'public-key']])]],
      [0x0b, 1024],
      [0x0c, false],
      [0x0d, 4],
      [0x0e, 50403],
      [0x0f, 32],
      [0x10, 1],
      [0x11, 3],
      [0x12, 2],
      [0x13, new Map<CborValue, CborValue>([['FIDO', 2]])],
      [0x14, 25],
      [0x15, [2n ** 63n, 5]],
      [0x16, ['packed', 'none']],
      [0x17, 0],
      [0x18, true],
      [0x19, new Uint8Array(32)],
      [0x1a, ['usb']],
      [0x1b, true],
      [0x1c, new TextEncoder().encode('https://example.com/pin')],
      [0x1d, 63],
      [0x30, 'a member of a later version'],
    ]);

  it('reads every member of CTAP 2.1 and 2.2 and keeps the rest in raw', () => {
    const info = parseGetInfo(full());
    expect(info).toMatchObject({
      versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1', 'FIDO_2_2'],
      extensions: ['credProtect', 'hmac-secret'],
      options: { rk: true, clientPin: false, credMgmt: true },
      maxMsgSize: 1200,
      pinUvAuthProtocols: [2, 1],
      maxCredentialCountInList: 8,
      maxCredentialIdLength: 128,
      transports: ['nfc', 'usb'],
      algorithms: [
        { alg: -7, type: 'public-key' },
        { alg: -8, type: 'public-key' },
      ],
      maxSerializedLargeBlobArray: 1024,
      forcePINChange: false,
      minPINLength: 4,
      firmwareVersion: 50403,
      maxCredBlobLength: 32,
      maxRPIDsForSetMinPINLength: 1,
      preferredPlatformUvAttempts: 3,
      uvModality: 2,
      certifications: { FIDO: 2 },
      remainingDiscoverableCredentials: 25,
      vendorPrototypeConfigCommands: [2n ** 63n, 5],
      attestationFormats: ['packed', 'none'],
      uvCountSinceLastPinEntry: 0,
      longTouchForReset: true,
      encIdentifier: new Uint8Array(32),
      transportsForReset: ['usb'],
      pinComplexityPolicy: true,
      pinComplexityPolicyURL: new TextEncoder().encode('https://example.com/pin'),
      maxPINLength: 63,
    });
    expect(info.raw.get(0x30)).toBe('a member of a later version');
  });

  it('a member of the wrong type is a PROTOCOL error naming it; versions and a 16-byte aaguid are required', () => {
    const cases: [number, CborValue, RegExp][] = [
      [0x0d, '4', /minPINLength/],
      [0x09, 'usb', /transports/],
      [0x0a, [new Map<CborValue, CborValue>([['alg', 'ES256'], ['type', 'public-key']])], /algorithms alg/],
      [0x13, new Map<CborValue, CborValue>([['FIDO', 'L2']]), /certifications/],
      [0x04, new Map<CborValue, CborValue>([['rk', 1]]), /options/],
      [0x18, 1, /longTouchForReset/],
      [0x03, new Uint8Array(15), /aaguid/],
    ];
    for (const [key, value, message] of cases) {
      const m = full().set(key, value);
      expect(() => parseGetInfo(m), `member 0x${key.toString(16)}`).toThrow(message);
    }
    const noVersions = full();
    noVersions.delete(0x01);
    expect(() => parseGetInfo(noVersions)).toThrow(/versions missing/);
  });

  it('reads what the simulator reports, built from its profile', async () => {
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1) });
    const fido = await FidoAuthenticator.create(env, { transports: ['usb'], firmwareVersion: [5, 7, 1], algorithms: [-8, -7], limits: { minPINLength: 6 } });
    const info = await new Ctap2(await Device.open(MemoryHidTransport.connect(fido.hid))).getInfo();
    expect(info).toMatchObject({ algorithms: [{ alg: -8, type: 'public-key' }, { alg: -7, type: 'public-key' }], firmwareVersion: 0x050701, maxCredentialIdLength: 256, maxCredentialCountInList: 16, transports: ['usb'], minPINLength: 6 });
    expect(info).toMatchObject({ extensions: ['credBlob', 'credProtect', 'hmac-secret', 'hmac-secret-mc', 'largeBlobKey', 'minPinLength', 'thirdPartyPayment'], maxCredBlobLength: 32, maxSerializedLargeBlobArray: 4096, maxRPIDsForSetMinPINLength: 4, options: { largeBlobs: true, credMgmt: true, authnrCfg: true } });
    expect(info.remainingDiscoverableCredentials).toBe(256);
    const bare = await FidoAuthenticator.create(createTestEnvironment().env, { limits: { reportsRemainingDiscoverableCredentials: false } });
    expect((await new Ctap2(await Device.open(MemoryHidTransport.connect(bare.hid))).getInfo()).remainingDiscoverableCredentials).toBeUndefined();
  });
});

describe('responses and permissions', () => {
  it('credentialManagement responses are typed member by member', () => {
    const ok = parseCredentialManagementResponse(
      new Map<CborValue, CborValue>([
        [0x03, new Map<CborValue, CborValue>([['id', 'example.com']])],
        [0x04, new Uint8Array(32)],
        [0x05, 2],
        [0x06, new Map<CborValue, CborValue>([['id', Uint8Array.of(1)], ['name', 'alice']])],
        [0x07, new Map<CborValue, CborValue>([['id', Uint8Array.of(9)], ['type', 'public-key']])],
        [0x0a, 3],
      ]),
    );
    expect(ok).toEqual({ rp: { id: 'example.com' }, rpIDHash: new Uint8Array(32), totalRPs: 2, user: { id: Uint8Array.of(1), name: 'alice' }, credentialID: { id: Uint8Array.of(9), type: 'public-key' }, credProtect: 3 });
    expect(() => parseCredentialManagementResponse(new Map([[0x05, 'two']]))).toThrow(/totalRPs/);
    expect(() => parseCredentialManagementResponse(new Map<CborValue, CborValue>([[0x06, new Map([['name', 'x']])]]))).toThrow(/user id missing/);
  });

  it('permissions by name or bits; unknown names and empty lists are refused before any I/O', () => {
    expect(permissionBits(['mc', 'ga'])).toBe(PERMISSION.mc | PERMISSION.ga);
    expect(permissionBits(['pcmr'])).toBe(0x40);
    expect(permissionBits(0x24)).toBe(0x24);
    expect(() => permissionBits(['mc', 'fly' as never])).toThrow(/unknown permission "fly"/);
    expect(() => permissionBits([])).toThrow(TypeError);
    expect(() => permissionBits(0)).toThrow(RangeError);
  });

  it('against a key without them: UNAUTHORIZED_PERMISSION for cm, INVALID_SUBCOMMAND for UV tokens, INVALID_COMMAND for 2.1 commands', async () => {
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: 'host-21' });
    // A CTAP 2.1 key with a PIN and nothing else of 2.1.
    const fido = await FidoAuthenticator.create(env, { options: { rk: true, up: true, plat: false, clientPin: false, pinUvAuthToken: true }, extensions: [] });
    const ctap2 = new Ctap2(await Device.open(MemoryHidTransport.connect(fido.hid), { randomBytes: (n) => new Uint8Array(n).fill(0x33) }));
    const pin = new ClientPin(ctap2, { protocol: 2 });
    await pin.setPin('1234');
    expect((await pin.getPinUvAuthTokenUsingPinWithPermissions('1234', ['mc', 'ga'], 'example.com')).length).toBe(32);
    expect((await pin.getPinUvAuthTokenUsingPinWithPermissions('1234', ['ga'])).length).toBe(32);
    const denied = await failure(pin.getPinUvAuthTokenUsingPinWithPermissions('1234', ['cm']));
    expect(denied).toBeInstanceOf(TokenrigError);
    expect(denied.wireCode).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    expect((await failure(pin.getPinUvAuthTokenUsingUvWithPermissions(['mc'], 'example.com'))).wireCode).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect((await failure(pin.getUvRetries())).wireCode).toBe(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect((await failure(ctap2.credentialManagement({ subCommand: CM.getCredsMetadata }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect((await failure(ctap2.credentialManagement({ subCommand: CM.getCredsMetadata }, { prototype: true }))).message).toMatch(/CTAP1_ERR_INVALID_COMMAND/);
    expect((await failure(ctap2.bioEnrollment({ getModality: true }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect((await failure(ctap2.largeBlobs({ get: 100, offset: 0 }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    expect((await failure(ctap2.config({ subCommand: CONFIG_SUBCOMMAND.toggleAlwaysUv }))).wireCode).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });
});
