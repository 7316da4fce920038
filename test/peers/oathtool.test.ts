/**
 * Interop with Debian's oathtool (OATH Toolkit), an independent C implementation of
 * RFC 4226/6238: several hundred random TOTP and HOTP cases must produce the same codes.
 * Each oathtool run prints a window of consecutive codes (`-w`), so one spawn checks several
 * steps. Set OTP_PEER_SEED to replay a failing run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HashAlgorithm, OtpKey, Totp, hexEncode } from '../../src/otp/index.js';
import { peers } from '../support/peer.js';

const run = promisify(execFile);
const SEED = Number(process.env.OTP_PEER_SEED ?? Date.now() % 2 ** 31);
const WINDOW = 4; // oathtool prints the code at the given time/counter and the WINDOW after it
/** A ceiling for hundreds of spawns on a loaded CI machine (not a timing assertion). */
const SPAWN_TEST_TIMEOUT_MS = 120_000;

/** Run `jobs` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function oathtool(args: string[]): Promise<string[]> {
  const { stdout } = await run('oathtool', args, { timeout: 10_000 });
  return stdout.trim().split('\n');
}

interface TotpCase {
  seed: Uint8Array;
  algorithm: HashAlgorithm;
  digits: number;
  period: number;
  time: number;
}

const totpCase: fc.Arbitrary<TotpCase> = fc.record({
  seed: fc.uint8Array({ minLength: 10, maxLength: 64 }),
  algorithm: fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512'),
  digits: fc.integer({ min: 6, max: 8 }),
  period: fc.integer({ min: 15, max: 120 }),
  // Up to 2^36 s (year 4147): past 2038 and 2106, within what oathtool's time parser takes.
  time: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 2 ** 31, max: 2 ** 33 }), fc.integer({ min: 0, max: 2 ** 36 })),
});

const hotpCase = fc.record({
  seed: fc.uint8Array({ minLength: 10, maxLength: 64 }),
  digits: fc.integer({ min: 6, max: 8 }),
  counter: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 32n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n - BigInt(WINDOW) })),
});

describe('oathtool agrees', () => {
  it('on 300 random TOTP cases (SHA1/256/512, 6–8 digits, 15–120 s, far-future times), 5 steps each', async (ctx) => {
    peers.oathtool.require(ctx);
    const cases = fc.sample(totpCase, { numRuns: 300, seed: SEED });
    const results = await pool(cases, 4, async (c) => {
      const args = [`--totp=${c.algorithm}`, '-d', String(c.digits), '-s', `${c.period}s`, '-N', `@${c.time}`, '-w', String(WINDOW), hexEncode(c.seed)];
      return { c, args, theirs: await oathtool(args) };
    });
    let compared = 0;
    for (const { c, args, theirs } of results) {
      const t = new Totp(c.seed, { algorithm: c.algorithm, digits: c.digits, period: c.period });
      const step = t.counterAt(c.time);
      const ours = Array.from({ length: WINDOW + 1 }, (_, i) => t.atCounter(step + i));
      expect(theirs, `seed ${SEED}: oathtool ${args.join(' ')}`).toEqual(ours);
      compared += ours.length;
    }
    expect(compared).toBe(300 * (WINDOW + 1));
  }, SPAWN_TEST_TIMEOUT_MS);

  it('on 100 random HOTP cases (6–8 digits, counters up to 2^64 - 1), 5 counters each', async (ctx) => {
    peers.oathtool.require(ctx);
    const cases = fc.sample(hotpCase, { numRuns: 100, seed: SEED + 1 });
    const results = await pool(cases, 4, async (c) => {
      const args = ['--hotp', '-c', c.counter.toString(), '-d', String(c.digits), '-w', String(WINDOW), hexEncode(c.seed)];
      return { c, args, theirs: await oathtool(args) };
    });
    for (const { c, args, theirs } of results) {
      const key = new OtpKey(c.seed);
      const ours = Array.from({ length: WINDOW + 1 }, (_, i) => key.hotp(c.counter + BigInt(i), c.digits));
      expect(theirs, `seed ${SEED}: oathtool ${args.join(' ')}`).toEqual(ours);
    }
  }, SPAWN_TEST_TIMEOUT_MS);

  it('at the edges: counter 2^64 - 1, the 2038 and 2106 boundaries, RFC 6238 seeds', async (ctx) => {
    peers.oathtool.require(ctx);
    const rfc = new TextEncoder().encode('12345678901234567890');
    expect(await oathtool(['--hotp', '-c', '18446744073709551615', hexEncode(rfc)])).toEqual([new OtpKey(rfc).hotp(2n ** 64n - 1n)]);
    for (const time of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 20_000_000_000]) {
      expect(await oathtool(['--totp', '-d', '8', '-N', `@${time}`, hexEncode(rfc)])).toEqual([new Totp(rfc, { digits: 8 }).generate(time)]);
    }
  });
});
