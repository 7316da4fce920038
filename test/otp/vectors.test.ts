/**
 * Published vectors, loaded from test/vectors/*.json (each file names its source):
 * RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B (TOTP, SHA-1/256/512).
 */
import { readFileSync } from 'node:fs';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { describe, expect, it } from 'vitest';
import { type HashAlgorithm, OtpKey, Totp, dynamicTruncation, hexEncode, hotp, totp, totpCounter } from '../../src/otp/index.js';

interface HotpVectors {
  source: string;
  secretAscii: string;
  secretHex: string;
  digits: number;
  vectors: { counter: number; hmacHex: string; truncatedHex: string; truncated: number; hotp: string }[];
}
interface TotpVectors {
  source: string;
  t0: number;
  period: number;
  digits: number;
  seeds: Record<HashAlgorithm, string>;
  vectors: { time: number; utc: string; stepHex: string; mode: HashAlgorithm; totp: string }[];
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as T;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const rfc4226 = load<HotpVectors>('rfc4226-appendix-d.json');
const rfc6238 = load<TotpVectors>('rfc6238-appendix-b.json');

describe('RFC 4226 Appendix D', () => {
  it('names its source and has counters 0..9', () => {
    expect(rfc4226.source).toMatch(/RFC 4226/);
    expect(rfc4226.vectors.map((v) => v.counter)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(hexEncode(ascii(rfc4226.secretAscii))).toBe(rfc4226.secretHex);
  });

  const key = new OtpKey(ascii(rfc4226.secretAscii));
  for (const v of rfc4226.vectors) {
    it(`counter ${v.counter}: HMAC, truncation and code`, () => {
      const mac = hmac(sha1, ascii(rfc4226.secretAscii), bigEndian8(BigInt(v.counter)));
      expect(hexEncode(mac)).toBe(v.hmacHex);
      expect(parseInt(v.truncatedHex, 16)).toBe(v.truncated);
      expect(dynamicTruncation(mac)).toBe(v.truncated);
      expect(key.truncated(v.counter)).toBe(v.truncated);
      expect(key.truncated(BigInt(v.counter))).toBe(v.truncated);
      expect(key.hotp(v.counter, rfc4226.digits)).toBe(v.hotp);
      expect(hotp(ascii(rfc4226.secretAscii), v.counter)).toBe(v.hotp);
    });
  }
});

describe('RFC 6238 Appendix B', () => {
  it('names its source and covers every time in every mode', () => {
    expect(rfc6238.source).toMatch(/RFC 6238/);
    expect(rfc6238.vectors).toHaveLength(18);
    expect(ascii(rfc6238.seeds.SHA1)).toHaveLength(20);
    expect(ascii(rfc6238.seeds.SHA256)).toHaveLength(32);
    expect(ascii(rfc6238.seeds.SHA512)).toHaveLength(64);
  });

  for (const v of rfc6238.vectors) {
    it(`${v.mode} at ${v.time} (${v.utc} UTC)`, () => {
      // The UTC column and the T column agree with the Unix time.
      expect(new Date(v.time * 1000).toISOString().replace('T', ' ').slice(0, 19)).toBe(v.utc);
      const step = totpCounter(v.time, rfc6238.period, rfc6238.t0);
      expect(step).toBe(parseInt(v.stepHex, 16));
      const seed = ascii(rfc6238.seeds[v.mode]);
      const t = new Totp(seed, { algorithm: v.mode, digits: rfc6238.digits, period: rfc6238.period, t0: rfc6238.t0 });
      expect(t.generate(v.time)).toBe(v.totp);
      expect(t.atCounter(step)).toBe(v.totp);
      expect(totp(seed, v.time, { algorithm: v.mode, digits: 8 })).toBe(v.totp);
      t.destroy();
    });
  }
});

function bigEndian8(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}
