/**
 * Fuzz: 100,000 mutated bioEnrollment (0x09 and 0x40) and built-in UV requests
 * (getUVRetries, getPinUvAuthTokenUsingUvWithPermissions, makeCredential and getAssertion with
 * uv=true) into the simulated yubikey-bio, with a sensor that answers at random (good samples,
 * bad ones, wrong fingers, nobody). Every answer must be a status CTAP 2.1 defines (never
 * CTAP1_ERR_OTHER, the mark of an exception escaping a handler), and afterwards the key must
 * still enroll a finger and verify with it.
 */
import { describe, expect, it } from 'vitest';
import { type CaptureRequest, type FingerprintSample, type FingerprintSensor, SAMPLE_QUALITIES, SeededRandom } from '../../firmware-sim/env/index.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS as S } from '../../src/protocol/ctap-status.js';
import { bioKey, cdh, gaParams, mcParams } from '../support/fido-sim.js';

/** A finger at random: the one asked for, a wrong one, a bad sample, or nobody. */
class RandomFingerprint implements FingerprintSensor {
  readonly #rnd = new SeededRandom('bio-fuzz-sensor');
  async capture(r: CaptureRequest): Promise<FingerprintSample | undefined> {
    const [a, b] = this.#rnd.bytes(2) as unknown as [number, number];
    const right = r.enrolling ?? (r.purpose === 'verify' ? r.enrolled[0]?.finger : undefined) ?? `finger-${b % 8}`;
    if (a < 150) return { finger: right };
    if (a < 190) return { finger: `finger-${b % 8}` };
    if (a < 230) return { finger: right, quality: SAMPLE_QUALITIES[b % SAMPLE_QUALITIES.length]! };
    return undefined;
  }
}

/** Values of every CBOR type a member may be replaced with. */
const VALUES: unknown[] = [0, 1, 7, 255, 65536, -1, -25, true, false, '', 'x', 'fuzzed finger'.repeat(8), new Uint8Array(0), Uint8Array.of(1, 2, 3, 4), new Uint8Array(70), [], [1], new Map(), new Map([[1, 1]]), new Map([[3, 0]])];

/** The seed with one member of its map (or of a nested map) replaced, removed, or added. */
function structural(msg: Uint8Array, r: Uint8Array): Uint8Array {
  let params: Map<unknown, unknown>;
  try {
    params = decodeCbor(msg.subarray(1)) as Map<unknown, unknown>;
  } catch {
    return msg;
  }
  if (!(params instanceof Map)) return msg;
  const keys = [...params.keys()];
  const target = params.get(keys[r[3]! % Math.max(1, keys.length)]);
  const m = target instanceof Map && r[4]! % 2 === 0 ? (target as Map<unknown, unknown>) : params;
  const key = r[5]! % 4 === 0 ? r[6]! % 12 : [...m.keys()][r[6]! % Math.max(1, m.size)] ?? 1;
  if (r[7]! % 5 === 0) m.delete(key);
  else m.set(key, VALUES[r[8]! % VALUES.length]);
  return Uint8Array.from([msg[0]!, ...encodeCbor(params)]);
}

const SPEC_STATUSES = new Set<number>(Object.values(S).filter((s) => s !== S.CTAP1_ERR_OTHER));

describe('bioEnrollment and built-in UV fuzz', () => {
  it('answers 100k mutated requests with spec statuses only, and still serves', async () => {
    const key = await bioKey({ fingerprint: new RandomFingerprint() });
    const { sim, pin } = key;
    await pin.setPin('1234');
    const rnd = new SeededRandom('bio-fuzz');
    const statuses = new Map<number, number>();

    /** Valid requests under a fresh be token (tokens are reissued by the UV seeds, so they go stale). */
    const seeds = async (): Promise<Uint8Array[]> => {
      const token = await key.login(0x0b);
      // A finger enrolled keeps the verification paths reachable.
      if ((await key.bio(4, undefined, { token })).status !== 0) await key.enroll();
      const signed = (cmd: number, sub: number, params?: Map<number, unknown>) => {
        const m = new Map<number, unknown>([[1, 1], [2, sub]]);
        const tail = params === undefined ? new Uint8Array(0) : encodeCbor(params);
        if (params !== undefined) m.set(3, params);
        m.set(4, 2);
        m.set(5, pin.protocol.authenticate(token, Uint8Array.from([1, sub, ...tail])));
        return Uint8Array.from([cmd, ...encodeCbor(m)]);
      };
      const enumerated = await key.bio(4, undefined, { token });
      const ids = ((enumerated.body?.get(7) as Map<number, Uint8Array>[] | undefined) ?? []).map((t) => t.get(1)!);
      const begun = await key.bio(1, new Map([[3, 100]]), { token });
      const current = (begun.body?.get(4) as Uint8Array | undefined) ?? Uint8Array.of(1, 2, 3, 4);
      const out: Uint8Array[] = [];
      for (const cmd of [0x09, 0x40]) {
        out.push(
          Uint8Array.from([cmd, ...encodeCbor(new Map([[6, true]]))]),
          Uint8Array.from([cmd, ...encodeCbor(new Map([[1, 1], [2, 7]]))]),
          Uint8Array.from([cmd, ...encodeCbor(new Map([[1, 1], [2, 3]]))]),
          signed(cmd, 1, new Map([[3, 100]])),
          signed(cmd, 2, new Map<number, unknown>([[1, current], [3, 100]])),
          signed(cmd, 4),
          signed(cmd, 5, new Map<number, unknown>([[1, ids[0] ?? current], [2, 'fuzzed finger']])),
          signed(cmd, 6, new Map<number, unknown>([[1, ids.at(-1) ?? current]])),
        );
      }
      out.push(
        Uint8Array.from([0x06, ...encodeCbor(new Map([[1, 2], [2, 7]]))]),
        Uint8Array.from([0x06, ...encodeCbor(new Map<number, unknown>([[1, 2], [2, 6], [3, pin.hostCose], [9, 3], [10, 'example.com']]))]),
        Uint8Array.from([0x01, ...encodeCbor(mcParams([[7, new Map([['uv', true]])]]))]),
        Uint8Array.from([0x02, ...encodeCbor(gaParams([[5, new Map([['uv', true]])]]))]),
        Uint8Array.of(0x04),
      );
      return out;
    };

    let pool = await seeds();
    const total = 100_000;
    for (let i = 0; i < total; i++) {
      if (i % 2000 === 1999) pool = await seeds();
      const r = rnd.bytes(12);
      const msg = pool[r[0]! % pool.length]!.slice();
      const mode = r[1]! % 8;
      let request: Uint8Array;
      if (mode === 0) request = msg; // the seed as it is: the deep paths run
      else if (mode === 1) request = msg.subarray(0, 1 + (r[2]! % msg.length)); // truncated
      else if (mode <= 4 && msg.length > 1) request = structural(msg, r); // canonical CBOR, a member retyped, dropped or added
      else {
        for (let k = 0; k < 1 + (r[2]! % 3); k++) msg[1 + ((r[3 + k]! * 251 + r[6 + k]!) % (msg.length - 1))] = r[9 + k]!;
        request = msg;
      }
      const reply = await sim.cbor(request[0]!, request.subarray(1)).catch((e: Error) => ({ status: -1, error: e.message }));
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    }
    const unexpected = [...statuses.keys()].filter((s) => !SPEC_STATUSES.has(s));
    expect(unexpected).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b)).toBe(total);
    // The deep paths ran: successes, CBOR and type errors, auth failures, UV outcomes, sample paths.
    for (const s of [S.CTAP2_OK, S.CTAP2_ERR_INVALID_CBOR, S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, S.CTAP2_ERR_PIN_AUTH_INVALID, S.CTAP2_ERR_UV_INVALID, S.CTAP2_ERR_INVALID_SUBCOMMAND]) {
      expect(statuses.get(s) ?? 0, `status 0x${s.toString(16)}`).toBeGreaterThan(0);
    }

    // Still serving: a clean enrollment, and a verification with a finger (the sensor is random: a few tries).
    sim.fido.powerCycle();
    sim.reconnect();
    expect((await sim.cbor(0x04)).status).toBe(0);
    const token = await key.login(0x0b);
    const enrolled = ((await key.bio(4, undefined, { token })).body?.get(7) as Map<number, Uint8Array>[] | undefined) ?? [];
    if (enrolled.length === 5) expect((await key.bio(6, new Map([[1, enrolled[0]!.get(1)!]]))).status).toBe(0);
    await key.enroll();
    let verified = false;
    for (let i = 0; i < 10 && !verified; i++) {
      await key.login(0x08); // a correct PIN restores uvRetries
      verified = (await pin.uvToken(0x01)).status === 0;
    }
    expect(verified).toBe(true);
    expect((await sim.cbor(0x01, mcParams([[1, cdh]]))).status).toBe(S.CTAP2_ERR_PUAT_REQUIRED);
  }, 300_000);
});
