/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10) on the simulated authenticator: the initial array,
 * reads at any offset, writes in fragments with the serialized array's check, every refusal of
 * §6.10.2 by its step, the lbw permission when a PIN is set (and lbw surviving the
 * getAssertion that spends a token's other permissions), and the array's life: it persists in
 * storage, a power cycle drops a write in progress, authenticatorReset empties it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../firmware-sim/env/index.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { type Sim, cdh, gaParams, mcParams, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';

const LB = 0x0c;
/** The initial array of §6.10.2: h'80' and LEFT(SHA-256(h'80'), 16). */
const INITIAL = '8076be8b528d0075f7aae98d6fa57a6d3c';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A serialized array of `size` bytes: a CBOR byte string holding a pattern, then the check. */
function serialized(size: number, fill = 0x11): Uint8Array {
  const bodyLength = size - 16;
  const header = bodyLength - 3 < 256 ? [0x58, bodyLength - 2] : [0x59, (bodyLength - 3) >> 8, (bodyLength - 3) & 0xff];
  const body = new Uint8Array(bodyLength);
  body.set(header);
  body.fill(fill, header.length);
  return new Uint8Array([...body, ...sha256(body).subarray(0, 16)]);
}

const get = (offset: number, length: number): Map<number, unknown> => new Map([[1, length], [3, offset]]);
const set = (offset: number, fragment: Uint8Array, length?: number, extra: [number, unknown][] = []): Map<number, unknown> =>
  new Map<number, unknown>([[2, fragment], [3, offset], ...(length === undefined ? [] : ([[4, length]] as [number, unknown][])), ...extra]);

async function readAll(sim: Sim, fragment = 960): Promise<Uint8Array> {
  const out: number[] = [];
  for (let offset = 0; ; offset += fragment) {
    const r = await sim.cbor(LB, get(offset, fragment));
    expect(r.status).toBe(0);
    const part = r.body!.get(1) as Uint8Array;
    out.push(...part);
    if (part.length < fragment) return Uint8Array.from(out);
  }
}

/** Write `array` in fragments of `fragment` bytes; `auth` adds the pinUvAuthParam of each. */
async function writeAll(sim: Sim, array: Uint8Array, fragment = 960, auth?: (offset: number, part: Uint8Array) => [number, unknown][]): Promise<number[]> {
  const statuses: number[] = [];
  for (let offset = 0; offset < array.length; offset += fragment) {
    const part = array.subarray(offset, offset + fragment);
    statuses.push(await sim.status(LB, set(offset, part, offset === 0 ? array.length : undefined, auth?.(offset, part) ?? [])));
  }
  return statuses;
}

/** §6.10.2: 32×0xff ‖ h'0c00' ‖ uint32LE(offset) ‖ SHA-256(set), written out here on its own. */
function writeMessage(offset: number, part: Uint8Array): Uint8Array {
  const le = [offset & 0xff, (offset >> 8) & 0xff, (offset >> 16) & 0xff, offset >>> 24];
  return new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0c, 0x00, ...le, ...sha256(part)]);
}

const small = { profile: { limits: { maxMsgSize: 1024, maxSerializedLargeBlobArray: 2048 } } };

describe('authenticatorLargeBlobs (CTAP 2.1 §6.10.2)', () => {
  it('starts with the initial array and serves any slice of it', async () => {
    const sim = await simulatedAuthenticator();
    expect(hex((await sim.cbor(LB, get(0, 100))).body!.get(1) as Uint8Array)).toBe(INITIAL);
    expect(hex((await sim.cbor(LB, get(1, 3))).body!.get(1) as Uint8Array)).toBe(INITIAL.slice(2, 8));
    expect((await sim.cbor(LB, get(17, 5))).body!.get(1)).toEqual(new Uint8Array(0)); // offset = length: nothing left
  });

  it('writes an array in fragments of maxMsgSize − 64 and reads it back', async () => {
    const sim = await simulatedAuthenticator(small);
    const array = serialized(2000);
    expect(await writeAll(sim, array)).toEqual([0, 0, 0]);
    expect(await readAll(sim)).toEqual(array);
    // A fragment of exactly the largest size is fine; one byte more is INVALID_LENGTH.
    expect((await sim.cbor(LB, get(0, 960))).status).toBe(0);
    expect(await sim.status(LB, get(0, 961))).toBe(S.CTAP1_ERR_INVALID_LENGTH);
  });

  it('step 1: exactly one of get and set; offset is required; members are typed', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(LB, new Map([[3, 0]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(LB, new Map<number, unknown>([[1, 10], [2, Uint8Array.of(1)], [3, 0]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(LB, new Map([[1, 10]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(LB, new Map<number, unknown>([[1, 'ten'], [3, 0]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(LB, new Map<number, unknown>([[2, 'bytes'], [3, 0], [4, 20]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(LB, new Map<number, unknown>([[1, 10], [3, -1]]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    expect(await sim.status(LB, new Map<number, unknown>([[1, 10], [3, 0], [5, 'param']]))).toBe(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });

  it('step 2 (get): length, a pinUvAuthParam or pinUvAuthProtocol, get beyond maxFragmentLength, offset beyond the array', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(LB, new Map([[1, 10], [3, 0], [4, 17]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(LB, new Map<number, unknown>([[1, 10], [3, 0], [5, new Uint8Array(32)]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(LB, new Map([[1, 10], [3, 0], [6, 2]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    expect(await sim.status(LB, get(0, 7609 - 64 + 1))).toBe(S.CTAP1_ERR_INVALID_LENGTH);
    expect(await sim.status(LB, get(18, 1))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
  });

  it('step 3 (set): each refusal, and a write that fails its check commits nothing', async () => {
    const sim = await simulatedAuthenticator(small);
    const array = serialized(1500);
    expect(await sim.status(LB, set(0, array.subarray(0, 961), 1500))).toBe(S.CTAP1_ERR_INVALID_LENGTH); // 3.1
    expect(await sim.status(LB, set(0, array.subarray(0, 900)))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // 3.2: no length
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 2049))).toBe(S.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL);
    expect(await sim.status(LB, set(0, array.subarray(0, 16), 16))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // below 17
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 1500))).toBe(0);
    expect(await sim.status(LB, set(900, array.subarray(900), 1500))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // 3.3: length again
    expect(await sim.status(LB, set(901, array.subarray(901)))).toBe(S.CTAP1_ERR_INVALID_SEQ); // 3.4
    expect(await sim.status(LB, set(900, new Uint8Array(601)))).toBe(S.CTAP1_ERR_INVALID_PARAMETER); // 3.7: beyond length
    const corrupt = array.slice(900);
    corrupt[0]! ^= 1;
    expect(await sim.status(LB, set(900, corrupt))).toBe(S.CTAP2_ERR_INTEGRITY_FAILURE); // 3.10
    expect(hex(await readAll(sim))).toBe(INITIAL);
    // After a failed check the next fragment starts nothing: INVALID_SEQ until offset 0 again.
    expect(await sim.status(LB, set(900, array.subarray(900)))).toBe(S.CTAP1_ERR_INVALID_SEQ);
    expect(await writeAll(sim, array, 900)).toEqual([0, 0]);
    expect(await readAll(sim)).toEqual(array);
  });

  it('with a PIN set a write needs a pinUvAuthToken with lbw over its fragment (3.5–3.6); reads never do', async () => {
    const sim = await simulatedAuthenticator(small);
    const pin = pinClient(sim);
    await pin.setPin();
    const array = serialized(1200);
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 1200))).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 1200, [[5, new Uint8Array(32)]]))).toBe(S.CTAP2_ERR_MISSING_PARAMETER);
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 1200, [[5, new Uint8Array(32)], [6, 3]]))).toBe(S.CTAP1_ERR_INVALID_PARAMETER);
    const ga = (await pin.token('1234', 0x02)).token!;
    const signed = (token: Uint8Array) => (offset: number, part: Uint8Array): [number, unknown][] => [[5, pin.protocol.authenticate(token, writeMessage(offset, part))], [6, 2]];
    expect(await writeAll(sim, array, 900, signed(ga))).toEqual([S.CTAP2_ERR_PIN_AUTH_INVALID, S.CTAP1_ERR_INVALID_SEQ]); // no lbw
    const lbw = (await pin.token('1234', 0x10)).token!;
    // A pinUvAuthParam over another fragment is refused.
    expect(await sim.status(LB, set(0, array.subarray(0, 900), 1200, signed(lbw)(0, array.subarray(1, 901))))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    expect(await writeAll(sim, array, 900, signed(lbw))).toEqual([0, 0]);
    expect(await readAll(sim)).toEqual(array);
  });

  it('a token for ga and lbw keeps lbw after the getAssertion that spends it (§6.2.2 step 9)', async () => {
    const sim = await simulatedAuthenticator();
    expect(await sim.status(0x01, mcParams([], true))).toBe(0);
    const pin = pinClient(sim);
    await pin.setPin();
    const { token } = await pin.token('1234', 0x02 | 0x10, 'example.com');
    expect(await sim.status(0x02, gaParams([[6, pin.protocol.authenticate(token!, cdh)], [7, 2]]))).toBe(0);
    expect(await sim.status(0x02, gaParams([[6, pin.protocol.authenticate(token!, cdh)], [7, 2]]))).toBe(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const array = serialized(100);
    expect(await sim.status(LB, set(0, array, 100, [[5, pin.protocol.authenticate(token!, writeMessage(0, array))], [6, 2]]))).toBe(0);
  });

  it('the array persists in storage; a power cycle drops a write in progress; reset restores the initial array', async () => {
    const storage = new MemoryStorage();
    const first = await simulatedAuthenticator({ ...small, storage });
    const array = serialized(1500);
    expect(await writeAll(first, array, 900)).toEqual([0, 0]);
    expect(storage.read('fido.largeblobs')).toEqual(array);
    const second = await simulatedAuthenticator({ ...small, storage });
    expect(await readAll(second)).toEqual(array);
    expect(await second.status(LB, set(0, serialized(1000, 0x22).subarray(0, 900), 1000))).toBe(0);
    second.fido.powerCycle();
    second.reconnect();
    expect(await second.status(LB, set(900, serialized(1000, 0x22).subarray(900)))).toBe(S.CTAP1_ERR_INVALID_SEQ);
    expect(await readAll(second)).toEqual(array);
    expect(await second.status(0x07)).toBe(0); // authenticatorReset within 10 s of power-up
    expect(hex(await readAll(second))).toBe(INITIAL);
    expect(storage.read('fido.largeblobs')).toBeUndefined();
  });

  it('a key without the largeBlobs option has no such command (INVALID_COMMAND) and no lbw permission', async () => {
    const sim = await simulatedAuthenticator({ profile: { options: { rk: true, up: true, clientPin: false, pinUvAuthToken: true } } });
    expect(await sim.status(LB, get(0, 10))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
    const pin = pinClient(sim);
    await pin.setPin();
    expect((await pin.token('1234', 0x10)).status).toBe(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    const ctap20 = await simulatedAuthenticator({ profile: { versions: ['U2F_V2', 'FIDO_2_0'] } });
    expect(await ctap20.status(LB, get(0, 10))).toBe(S.CTAP1_ERR_INVALID_COMMAND);
  });
});
