/**
 * The host's large-blob helpers (CTAP 2.1 §6.10.3) and hmac-secret salts: entries encrypted
 * with AES-256-GCM over raw DEFLATE, opened only by their key and only when their associated
 * data holds; zlib-wrapped entries (python-fido2 0.9's) read too; an entry that inflates
 * beyond its declared size refused without inflating it all; the array in fragments against
 * the simulator; and the hmac-secret helper leaving the caller's salts alone.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { HmacSecretSalts } from '../../src/ctap/hmac-secret.js';
import { LargeBlobArray, decryptLargeBlob, encryptLargeBlob } from '../../src/ctap/large-blob-array.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { ErrorCode } from '../../src/errors.js';
import { type CborValue, encodeCbor } from '../../src/protocol/cbor.js';
import { serializeLargeBlobArray } from '../../src/protocol/large-blob-array.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { failure } from './failure.js';

const KEY = new Uint8Array(32).fill(0x42);
/** `length` bytes that do not compress (a SHA-256 counter stream). */
const noise = (length: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 32) out.set(createHash('sha256').update(String(i)).digest().subarray(0, Math.min(32, length - i)), i);
  return out;
};
const NONCE = new Uint8Array(12).fill(0x07);

/** An entry built here from §6.10.3 with `compress`, independent of encryptLargeBlob. */
function entry(data: Uint8Array, compress: (d: Uint8Array) => Uint8Array, origSize = data.length): Map<number, CborValue> {
  const ad = new Uint8Array([0x62, 0x6c, 0x6f, 0x62, ...new Uint8Array(new BigUint64Array([BigInt(origSize)]).buffer)]);
  const cipher = createCipheriv('aes-256-gcm', KEY, NONCE);
  cipher.setAAD(ad);
  const ct = Buffer.concat([cipher.update(compress(data)), cipher.final(), cipher.getAuthTag()]);
  return new Map<number, CborValue>([[1, new Uint8Array(ct)], [2, NONCE], [3, origSize]]);
}

describe('large-blob entries (§6.10.3)', () => {
  it('encryptLargeBlob writes what §6.10.3 describes, byte for byte', () => {
    const data = new TextEncoder().encode('hello hello hello');
    expect(encodeCbor(encryptLargeBlob(KEY, data, NONCE))).toEqual(encodeCbor(entry(data, (d) => deflateRawSync(d))));
  });

  it('opens only with its key, only when origSize (the associated data) holds; zlib-wrapped entries too', () => {
    const data = new TextEncoder().encode('payload '.repeat(50));
    const e = encryptLargeBlob(KEY, data, NONCE);
    expect(decryptLargeBlob(KEY, e)).toEqual(data);
    expect(decryptLargeBlob(new Uint8Array(32), e)).toBeUndefined();
    expect(decryptLargeBlob(KEY, new Map(e).set(3, data.length + 1))).toBeUndefined();
    expect(decryptLargeBlob(KEY, new Map(e).set(2, new Uint8Array(11)))).toBeUndefined();
    expect(decryptLargeBlob(KEY, [1, 2, 3])).toBeUndefined();
    expect(decryptLargeBlob(KEY, entry(data, (d) => deflateSync(d)))).toEqual(data);
  });

  it('an entry that inflates beyond its declared size is refused', () => {
    const bomb = new Uint8Array(1 << 20); // 1 MiB of zeros deflates to about 1 KiB
    expect(decryptLargeBlob(KEY, entry(bomb, (d) => deflateRawSync(d), 16))).toBeUndefined();
  });
});

describe('LargeBlobArray against the simulator', () => {
  async function array(profile = {}) {
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: 'lba' });
    const fido = await FidoAuthenticator.create(env, profile);
    const ctap2 = new Ctap2(await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid)));
    return { ctap2, blobs: new LargeBlobArray(ctap2, await ctap2.getInfo(), (n) => new Uint8Array(n).fill(9)) };
  }

  it('reads and writes in fragments of maxMsgSize − 64; puts, replaces and removes by key', async () => {
    const { blobs } = await array({ limits: { maxMsgSize: 1024, maxSerializedLargeBlobArray: 8192 } });
    expect(blobs.maxFragmentLength).toBe(960);
    expect(await blobs.read()).toEqual({ entries: [], valid: true, size: 17 });
    const big = noise(3000);
    const other = new Uint8Array(32).fill(1);
    expect(await blobs.put(KEY, big)).toBe(true);
    expect(await blobs.put(other, new TextEncoder().encode('other'))).toBe(true);
    expect((await blobs.readSerialized()).length).toBeGreaterThan(3 * 960);
    expect(await blobs.get(KEY)).toEqual(big);
    expect(await blobs.put(KEY, Uint8Array.of(1))).toBe(true);
    expect((await blobs.read()).entries).toHaveLength(2);
    expect(await blobs.get(KEY)).toEqual(Uint8Array.of(1));
    expect(await blobs.put(KEY, undefined)).toBe(true);
    expect(await blobs.put(KEY, undefined)).toBe(false);
    expect(new TextDecoder().decode(await blobs.get(other))).toBe('other');
  });

  it('an array too large for the key is refused before anything is written; a stored array whose check fails reads as empty', async () => {
    const { blobs, ctap2 } = await array();
    const failed = await failure(blobs.put(KEY, noise(5000)));
    expect(failed.code).toBe(ErrorCode.BAD_INPUT);
    expect((await blobs.read()).size).toBe(17);
    const body = encodeCbor([1, 2, 3]);
    const bad = serializeLargeBlobArray(body);
    bad[bad.length - 1]! ^= 1;
    // The authenticator refuses it (INTEGRITY_FAILURE), so a good array of a non-array type stands in:
    const notAnArray = serializeLargeBlobArray(encodeCbor(new Map([[1, 2]])));
    await ctap2.largeBlobs({ set: notAnArray, offset: 0, length: notAnArray.length });
    expect(await blobs.read()).toEqual({ entries: [], valid: false, size: notAnArray.length });
    expect((await failure(ctap2.largeBlobs({ set: bad, offset: 0, length: bad.length }))).message).toMatch(/INTEGRITY_FAILURE/);
  });
});

describe('HmacSecretSalts', () => {
  it("leaves the caller's salts as they were, and checks sizes", async () => {
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: 'salts' });
    const fido = await FidoAuthenticator.create(env);
    const ctap2 = new Ctap2(await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid)));
    const salt = new Uint8Array(32).fill(5);
    const prepared = await HmacSecretSalts.prepare(new ClientPin(ctap2, { protocol: 1 }), salt);
    expect(salt).toEqual(new Uint8Array(32).fill(5));
    expect(() => prepared.decrypt(new Uint8Array(64))).toThrow(/32 expected/);
    expect(() => prepared.decrypt('x')).toThrow(/byte string/);
    await expect(HmacSecretSalts.prepare(new ClientPin(ctap2, { protocol: 2 }), new Uint8Array(16))).rejects.toThrow(/salt1 must be 32 bytes/);
  });
});
