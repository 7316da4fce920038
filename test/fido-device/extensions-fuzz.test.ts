/**
 * Fuzz of the extensions and authenticatorLargeBlobs: mutated makeCredential and getAssertion
 * requests carrying hmac-secret (both protocols, one and two salts), hmac-secret-mc, credBlob,
 * getCredBlob, largeBlobKey and thirdPartyPayment, and mutated largeBlobs get/set fragments
 * (with and without a pinUvAuthParam), through CTAPHID into the simulated authenticator.
 * Every answer must be a status CTAP 2.1 §8.2.1 names and never CTAP1_ERR_OTHER (an exception
 * that escaped a handler); afterwards the key still serves hmac-secret and large blobs.
 *
 * `npm test` runs 5,000 requests (about 8 s); `TOKENRIG_FUZZ_REQUESTS=100000` runs the long fuzz (about four minutes on a busy 2-core machine).
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../firmware-sim/env/index.js';
import { encodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS } from '../../src/protocol/ctap-status.js';
import { serializeLargeBlobArray } from '../../src/protocol/large-blob-array.js';
import { cdh, descriptor, gaParams, mcParams, parseAuthData, pinClient, simulatedAuthenticator } from '../support/fido-sim.js';
import { PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO } from '../support/pin-uv-auth-reference.js';

const REQUESTS = Number(process.env.TOKENRIG_FUZZ_REQUESTS ?? 5_000);
/** The statuses CTAP 2.1 §8.2.1 names, but CTAP1_ERR_OTHER: what a handler's unexpected exception becomes. */
const SPECIFIED = new Set<number>(Object.values(CTAP2_STATUS).filter((s) => s !== CTAP2_STATUS.CTAP1_ERR_OTHER && s < CTAP2_STATUS.CTAP2_ERR_SPEC_LAST));

describe('extensions and largeBlobs fuzz', () => {
  it(`answers ${REQUESTS.toLocaleString('en-US')} mutated requests with specified statuses and keeps serving`, async () => {
    const sim = await simulatedAuthenticator({ profile: { limits: { maxMsgSize: 1024, maxSerializedLargeBlobArray: 2048 } } });
    // Credentials to aim at: one with every extension, resident.
    const made = await sim.cbor(0x01, mcParams([[6, new Map<string, unknown>([['hmac-secret', true], ['credBlob', new Uint8Array(16)], ['largeBlobKey', true], ['thirdPartyPayment', true]])]], true));
    expect(made.status).toBe(0);
    const id = parseAuthData(made.body!.get(2) as Uint8Array).credId!;
    const seeds: Uint8Array[] = [];
    for (const protocol of [PIN_PROTOCOL_ONE, PIN_PROTOCOL_TWO]) {
      const pin = pinClient(sim, protocol);
      const k = await pin.shared();
      for (const salts of [new Uint8Array(32).fill(1), new Uint8Array(64).fill(2)]) {
        const saltEnc = pin.enc(k, salts);
        const input = new Map<number, unknown>([[1, pin.hostCose], [2, saltEnc], [3, protocol.authenticate(k, saltEnc)], [4, protocol.version]]);
        seeds.push(Uint8Array.from([0x02, ...encodeCbor(gaParams([[3, [descriptor(id)]], [4, new Map<string, unknown>([['hmac-secret', input], ['getCredBlob', true], ['largeBlobKey', true], ['thirdPartyPayment', true]])]]))]));
        seeds.push(Uint8Array.from([0x01, ...encodeCbor(mcParams([[6, new Map<string, unknown>([['hmac-secret', true], ['hmac-secret-mc', input], ['credBlob', new Uint8Array(8)], ['thirdPartyPayment', false]])]]))]));
      }
    }
    seeds.push(Uint8Array.from([0x01, ...encodeCbor(mcParams([[6, new Map<string, unknown>([['largeBlobKey', true], ['credBlob', new Uint8Array(40)]])]], true))]));
    const array = serializeLargeBlobArray(encodeCbor([new Map<number, unknown>([[1, new Uint8Array(40)], [2, new Uint8Array(12)], [3, 10]])]));
    seeds.push(Uint8Array.from([0x0c, ...encodeCbor(new Map<number, unknown>([[1, 900], [3, 0]]))]));
    seeds.push(Uint8Array.from([0x0c, ...encodeCbor(new Map<number, unknown>([[2, array], [3, 0], [4, array.length]]))]));
    seeds.push(Uint8Array.from([0x0c, ...encodeCbor(new Map<number, unknown>([[2, array.subarray(0, 10)], [3, 0], [4, 1500]]))]));
    seeds.push(Uint8Array.from([0x0c, ...encodeCbor(new Map<number, unknown>([[2, array.subarray(10)], [3, 10], [5, new Uint8Array(32)], [6, 2]]))]));

    const rnd = new SeededRandom('extensions-fuzz');
    const statuses = new Map<number, number>();
    const unspecified: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const r = rnd.bytes(24);
      const seed = seeds[r[0]! % seeds.length]!;
      let msg = seed.slice();
      const mode = r[1]! % 4;
      // Flip bytes anywhere but the command byte; truncate; or splice a random run in.
      for (let k = 0; k < 1 + (r[2]! % 4); k++) msg[1 + (((r[3 + k]! << 8) | r[7 + k]!) % (msg.length - 1))] = r[11 + k]!;
      if (mode === 1) msg = msg.subarray(0, 1 + (((r[15]! << 8) | r[16]!) % msg.length));
      if (mode === 2) {
        const at = 1 + (((r[17]! << 8) | r[18]!) % (msg.length - 1));
        msg = Uint8Array.from([...msg.subarray(0, at), ...rnd.bytes(1 + (r[19]! % 8)), ...msg.subarray(at)]);
      }
      const { status } = await sim.cbor(msg[0]!, msg.subarray(1));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (!SPECIFIED.has(status) && unspecified.length < 5) unspecified.push(`0x${status.toString(16)} for ${Buffer.from(msg).toString('hex')}`);
      // Let the 30 s getNextAssertion window and pending writes age now and then.
      if (i % 500 === 0) sim.clock.advance(1_000);
      // Give the event loop a turn (the test runner's own messages) now and then.
      if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(unspecified).toEqual([]);
    expect(statuses.get(CTAP2_STATUS.CTAP1_ERR_OTHER)).toBeUndefined();
    // The mutations reached deep: successes, CBOR errors, and the extensions' and largeBlobs' own refusals.
    for (const s of [0x00, 0x11, 0x12, 0x14, 0x02, 0x33, 0x04]) expect(statuses.get(s), `status 0x${s.toString(16)}`).toBeGreaterThan(0);

    // The key still serves: a fresh hmac-secret assertion and a large-blob write and read.
    sim.fido.powerCycle();
    sim.reconnect();
    // A mutated resident makeCredential for the same account replaces the first credential (its
    // ID is then honoured no more, §6.1.2 step 17), so the check uses a credential made now.
    const made2 = await sim.cbor(0x01, mcParams([[6, new Map<string, unknown>([['hmac-secret', true]])]]));
    expect(made2.status).toBe(0);
    const id2 = parseAuthData(made2.body!.get(2) as Uint8Array).credId!;
    const pin = pinClient(sim, PIN_PROTOCOL_TWO);
    const k = await pin.shared();
    const saltEnc = pin.enc(k, new Uint8Array(32).fill(7));
    const got = await sim.cbor(0x02, gaParams([[3, [descriptor(id2)]], [4, new Map([['hmac-secret', new Map<number, unknown>([[1, pin.hostCose], [2, saltEnc], [3, PIN_PROTOCOL_TWO.authenticate(k, saltEnc)], [4, 2]])]])]]));
    expect(got.status).toBe(0);
    expect(PIN_PROTOCOL_TWO.decrypt(k, parseAuthData(got.body!.get(2) as Uint8Array).extensions!.get('hmac-secret') as Uint8Array)!.length).toBe(32);
    const fresh = serializeLargeBlobArray(encodeCbor([]));
    expect(await sim.status(0x0c, new Map<number, unknown>([[2, fresh], [3, 0], [4, fresh.length]]))).toBe(0);
    expect((await sim.cbor(0x0c, new Map([[1, 100], [3, 0]]))).body!.get(1)).toEqual(fresh);
    expect(cdh.length).toBe(32);
  }, 600_000);
});
