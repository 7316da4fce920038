/**
 * The OTP core against an independent reference: @noble/hashes HMAC + RFC 4226 §5.3 dynamic
 * truncation written out here byte by byte. The SHA-1 fast path (prepared pad states, two
 * compressions) must agree for every key length, including keys longer than the block.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HashAlgorithm, OtpKey, Totp, hotp, totp, totpCounter } from '../../src/otp/index.js';
import { SHA1_IV, sha1Compress } from '../../src/otp/sha1-block.js';

const HASHES = { SHA1: sha1, SHA256: sha256, SHA512: sha512 } as const;
const U64_MAX = (1n << 64n) - 1n;

/** The reference: HMAC of the 8-byte big-endian counter, truncated per RFC 4226 §5.3. */
function refTruncated(secret: Uint8Array, counter: bigint, algorithm: HashAlgorithm = 'SHA1'): number {
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, counter);
  const mac = hmac(HASHES[algorithm], secret, msg);
  const offset = mac[mac.length - 1]! & 0x0f;
  return ((mac[offset]! & 0x7f) * 2 ** 24) + mac[offset + 1]! * 2 ** 16 + mac[offset + 2]! * 2 ** 8 + mac[offset + 3]!;
}

function refCode(secret: Uint8Array, counter: bigint, digits = 6, algorithm: HashAlgorithm = 'SHA1'): string {
  return (BigInt(refTruncated(secret, counter, algorithm)) % 10n ** BigInt(digits)).toString().padStart(digits, '0');
}

const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
const algorithm = fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512');

describe('OtpKey SHA-1 fast path equals HMAC-SHA1 + dynamic truncation', () => {
  it('for a random key of every length 1..200 (block boundaries 63, 64, 65 included)', () => {
    for (let length = 1; length <= 200; length++) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), u64, (secret, counter) => {
          const key = new OtpKey(secret);
          expect(key.truncated(counter)).toBe(refTruncated(secret, counter));
        }),
        { numRuns: 5 },
      );
    }
  });

  it('for many counters of one key (the key state is not disturbed between calls)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(u64, { minLength: 1, maxLength: 40 }), (secret, counters) => {
        const key = new OtpKey(secret);
        for (const c of counters) expect(key.truncated(c)).toBe(refTruncated(secret, c));
        // And again in reverse: no state carries over.
        for (const c of [...counters].reverse()) expect(key.truncated(c)).toBe(refTruncated(secret, c));
      }),
      { numRuns: 100 },
    );
  });

  it('does not keep a reference to the caller’s secret', () => {
    const secret = new Uint8Array(20).fill(7);
    const key = new OtpKey(secret);
    const before = key.hotp(1);
    secret.fill(0);
    expect(key.hotp(1)).toBe(before);
  });
});

describe('SHA-256 and SHA-512 paths', () => {
  it('equal HMAC + dynamic truncation for random keys and counters', () => {
    fc.assert(
      fc.property(fc.constantFrom<HashAlgorithm>('SHA256', 'SHA512'), fc.uint8Array({ minLength: 1, maxLength: 200 }), u64, (alg, secret, counter) => {
        const key = new OtpKey(secret, alg);
        expect(key.algorithm).toBe(alg);
        expect(key.truncated(counter)).toBe(refTruncated(secret, counter, alg));
        // Cloning the keyed HMAC must leave it reusable.
        expect(key.truncated(counter)).toBe(refTruncated(secret, counter, alg));
      }),
      { numRuns: 300 },
    );
  });
});

describe('digits 6..10', () => {
  it('are the truncated value modulo 10^digits, zero padded', () => {
    fc.assert(
      fc.property(algorithm, fc.uint8Array({ minLength: 10, maxLength: 64 }), u64, fc.integer({ min: 6, max: 10 }), (alg, secret, counter, digits) => {
        const code = new OtpKey(secret, alg).hotp(counter, digits);
        expect(code).toMatch(new RegExp(`^\\d{${digits}}$`));
        expect(code).toBe(refCode(secret, counter, digits, alg));
        expect(hotp(secret, counter, { algorithm: alg, digits })).toBe(code);
      }),
      { numRuns: 300 },
    );
  });

  it('format every digit count right for 1000 consecutive counters (many leading zeros)', () => {
    const secret = new TextEncoder().encode('12345678901234567890');
    const key = new OtpKey(secret);
    let leadingZeros = 0;
    for (let c = 0; c < 1000; c++) {
      const t = refTruncated(secret, BigInt(c));
      for (let digits = 6; digits <= 10; digits++) {
        const code = key.hotp(c, digits);
        expect(code).toBe((t % 10 ** digits).toString().padStart(digits, '0'));
        if (code.startsWith('0')) leadingZeros++;
      }
    }
    expect(leadingZeros).toBeGreaterThan(300);
  });

  it('keep leading zeros (RFC 4226 counter 7 at 8 digits is 04e5b397 → 82162583; 10 digits pads)', () => {
    const key = new OtpKey(new TextEncoder().encode('12345678901234567890'));
    expect(key.hotp(7, 8)).toBe('82162583');
    expect(key.hotp(7, 10)).toBe('0082162583');
    expect(key.hotp(2, 10)).toBe('0137359152');
  });
});

describe('64-bit counters', () => {
  const secret = new TextEncoder().encode('12345678901234567890');
  const key = new OtpKey(secret);
  const cases: bigint[] = [2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, U64_MAX - 1n, U64_MAX];
  for (const c of cases) {
    it(`counter ${c} as a bigint`, () => {
      expect(key.hotp(c, 8)).toBe(refCode(secret, c, 8));
    });
  }
  it('a number and a bigint of the same value give the same code (up to 2^53 - 1)', () => {
    for (const n of [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      expect(key.truncated(n)).toBe(key.truncated(BigInt(n)));
      expect(key.truncated(n)).toBe(refTruncated(secret, BigInt(n)));
    }
  });
  it('the high word matters (2^32 differs from 0)', () => {
    expect(key.truncated(2n ** 32n)).not.toBe(key.truncated(0));
  });
});

describe('TOTP times, T0 and periods', () => {
  const secret = new TextEncoder().encode('12345678901234567890');
  it('past 2038 (2^31 s) and 2106 (2^32 s) and far beyond', () => {
    for (const time of [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 29, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 30, 2 ** 40, 253402300799 /* 9999-12-31 */]) {
      const step = BigInt(Math.floor(time / 30));
      expect(totp(secret, time, { digits: 8 })).toBe(refCode(secret, step, 8));
    }
  });
  it('a 1-second period past 2106 needs a counter above 2^32', () => {
    const t = new Totp(secret, { period: 1 });
    const time = 2 ** 32 + 5;
    expect(t.counterAt(time)).toBe(2 ** 32 + 5);
    expect(t.generate(time)).toBe(refCode(secret, BigInt(time)));
  });
  it('fractional seconds fall into their step', () => {
    const t = new Totp(secret);
    expect(t.generate(59.999)).toBe(t.generate(30));
    expect(t.generate(60)).not.toBe(t.generate(59.999));
  });
  it('equals HOTP of floor((time - T0) / period) for random parameters', () => {
    fc.assert(
      fc.property(
        algorithm,
        fc.uint8Array({ minLength: 10, maxLength: 64 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 33 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 6, max: 10 }),
        (alg, seed, period, t0, after, digits) => {
          const time = t0 + after;
          const t = new Totp(seed, { algorithm: alg, period, t0, digits });
          const step = Math.floor(after / period);
          expect(t.counterAt(time)).toBe(step);
          expect(t.generate(time)).toBe(refCode(seed, BigInt(step), digits, alg));
          expect(t.remaining(time)).toBe(period - (after % period));
        },
      ),
      { numRuns: 300 },
    );
  });
  it('T0 shifts the steps', () => {
    const t = new Totp(secret, { t0: 100, digits: 8 });
    expect(t.counterAt(100)).toBe(0);
    expect(t.counterAt(129)).toBe(0);
    expect(t.counterAt(130)).toBe(1);
    expect(t.generate(159)).toBe(new Totp(secret, { digits: 8 }).generate(59)); // both step 1
  });
  it('a 60-second period', () => {
    const t = new Totp(secret, { period: 60, digits: 8 });
    expect(t.counterAt(119)).toBe(1);
    expect(t.generate(119)).toBe(refCode(secret, 1n, 8));
    expect(t.remaining(60)).toBe(60);
    expect(t.remaining(119)).toBe(1);
  });
  it('atCounter takes a bigint step', () => {
    const t = new Totp(secret, { digits: 8 });
    expect(t.atCounter(U64_MAX)).toBe(refCode(secret, U64_MAX, 8));
  });
});

describe('bad inputs', () => {
  const secret = new Uint8Array(20).fill(1);
  it('OtpKey: TypeError for a secret that is not bytes, RangeError for an empty one or an unknown algorithm', () => {
    expect(() => new OtpKey('12345678901234567890' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => new OtpKey([1, 2, 3] as unknown as Uint8Array)).toThrow(/secret must be a Uint8Array/);
    expect(() => new OtpKey(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new OtpKey(new Uint8Array(0))).toThrow(/secret must not be empty/);
    expect(() => new OtpKey(secret, 'MD5' as HashAlgorithm)).toThrow(RangeError);
  });
  it('counters: RangeError outside 0..2^64-1 or not whole, TypeError for other types', () => {
    const key = new OtpKey(secret);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, -1n, 1n << 64n]) {
      expect(() => key.truncated(bad)).toThrow(RangeError);
    }
    expect(() => key.truncated(-1)).toThrow(/counter/);
    expect(() => key.truncated('5' as unknown as number)).toThrow(TypeError);
    expect(() => key.hotp(null as unknown as number)).toThrow(TypeError);
  });
  it('digits: RangeError outside 6..10', () => {
    const key = new OtpKey(secret);
    for (const d of [0, 5, 11, 6.5, Number.NaN]) {
      expect(() => key.hotp(0, d)).toThrow(RangeError);
      expect(() => new Totp(secret, { digits: d })).toThrow(/digits must be an integer from 6 to 10/);
    }
  });
  it('TOTP: TypeError for a time that is not a finite number, RangeError for a bad period or a time before T0', () => {
    const t = new Totp(secret);
    expect(() => t.generate(Number.NaN)).toThrow(TypeError);
    expect(() => t.generate(Infinity)).toThrow(TypeError);
    expect(() => t.generate('59' as unknown as number)).toThrow(TypeError);
    expect(() => t.generate(-1)).toThrow(RangeError);
    expect(() => new Totp(secret, { t0: 1000 }).generate(999)).toThrow(/before T0/);
    for (const period of [0, -30, 1.5, Number.NaN]) {
      expect(() => new Totp(secret, { period })).toThrow(RangeError);
      expect(() => totpCounter(100, period)).toThrow(/period/);
    }
  });
});

describe('destroy()', () => {
  it('zeroes the SHA-1 pad states: afterwards the key computes with an all-zero state', () => {
    const key = new OtpKey(new TextEncoder().encode('12345678901234567890'));
    expect(key.truncated(1)).toBe(1094287082);
    key.destroy();
    expect(key.truncated(1)).toBe(zeroStateTruncated(0, 1));
    expect(key.truncated(1)).not.toBe(1094287082);
  });
  it('destroys the keyed SHA-256/512 HMAC: using it afterwards throws', () => {
    for (const alg of ['SHA256', 'SHA512'] as const) {
      const key = new OtpKey(new Uint8Array(32).fill(3), alg);
      key.truncated(0);
      key.destroy();
      expect(() => key.truncated(0)).toThrow();
    }
  });
  it('Totp.destroy destroys its key', () => {
    const t = new Totp(new TextEncoder().encode('12345678901234567890'), { digits: 8 });
    expect(t.generate(59)).toBe('94287082');
    t.destroy();
    expect(t.key.truncated(1)).toBe(zeroStateTruncated(0, 1));
  });
});

/** HMAC-SHA1's two compressions, as OtpKey runs them, from all-zero pad states. */
function zeroStateTruncated(hi: number, lo: number): number {
  const w = new Uint32Array(80);
  const s = new Uint32Array(5);
  w.set([hi, lo, 0x80000000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 576]);
  sha1Compress(s, w);
  const inner = [...s];
  w.fill(0);
  w.set([...inner, 0x80000000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 672]);
  s.fill(0);
  sha1Compress(s, w);
  const bytes = new Uint8Array(20);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 5; i++) view.setUint32(4 * i, s[i]!);
  const offset = bytes[19]! & 0xf;
  return view.getUint32(offset) & 0x7fffffff;
}

it('sha1Compress from the IV hashes one padded block like SHA-1', () => {
  // SHA-1("abc"), FIPS 180-4 example: a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d.
  const s = new Uint32Array(SHA1_IV);
  const w = new Uint32Array(80);
  w[0] = 0x61626380;
  w[15] = 24;
  sha1Compress(s, w);
  expect([...s].map((x) => (x >>> 0).toString(16).padStart(8, '0')).join('')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  expect(Buffer.from(sha1(new TextEncoder().encode('abc'))).toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
});
