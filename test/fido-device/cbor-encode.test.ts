/**
 * Our CTAP2 canonical encoder against an independent one: cborg's default encoder is
 * canonical (length-first map keys, shortest integers), so on every value CTAP can carry the
 * two must agree byte for byte, and what we encode must pass the strict decoder unchanged.
 */
import { encode as cborgEncode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';

const key = fc.oneof(
  fc.integer({ min: -70000, max: 70000 }),
  fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, -24, -25, -256, -257, 2 ** 32, -(2 ** 32) - 1),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

const leaf = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.maxSafeNat(),
  fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.boolean(),
  fc.constant(null),
);

const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 6 }),
  map: fc.uniqueArray(fc.tuple(key, tie('any')), { maxLength: 8, selector: ([k]) => (typeof k === 'string' ? `s${k}` : `n${k}`) }).map((e) => new Map(e)),
  object: fc.dictionary(fc.string({ maxLength: 12 }), tie('any'), { maxKeys: 6 }),
})).any;

describe('CTAP2 canonical CBOR encoder', () => {
  it('is byte-equal to cborg on 5,000 random CTAP values', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(Buffer.from(encodeCbor(v)).toString('hex')).toBe(Buffer.from(cborgEncode(v)).toString('hex'));
      }),
      { numRuns: 5000 },
    );
  });

  it('writes what the strict decoder reads back unchanged', () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCbor(v);
        expect(encodeCbor(decodeCbor(bytes))).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes integer heads at every width boundary in the shortest form (RFC 8949 §3.1)', () => {
    const hex = (v: unknown): string => Buffer.from(encodeCbor(v)).toString('hex');
    expect(hex(23)).toBe('17');
    expect(hex(24)).toBe('1818');
    expect(hex(255)).toBe('18ff');
    expect(hex(256)).toBe('190100');
    expect(hex(65536)).toBe('1a00010000');
    expect(hex(2 ** 32)).toBe('1b0000000100000000');
    expect(hex(-1)).toBe('20');
    expect(hex(-25)).toBe('3818');
    expect(hex((1n << 64n) - 1n)).toBe('1bffffffffffffffff');
    expect(hex(-(1n << 64n))).toBe('3bffffffffffffffff');
    expect(hex('ü')).toBe('62c3bc');
  });

  it('refuses what CTAP2 CBOR cannot carry', () => {
    expect(() => encodeCbor(1.5)).toThrow(TypeError);
    expect(() => encodeCbor(1n << 64n)).toThrow(RangeError);
    expect(() => encodeCbor(new Date(0))).toThrow(TypeError);
    expect(() => encodeCbor(new Map<unknown, unknown>([[[1], 2]]))).toThrow(TypeError);
    // A float on the wire is valid CBOR but not CTAP: the strict decoder refuses it.
    expect(() => decodeCbor(Uint8Array.from([0xf9, 0x3c, 0x00]))).toThrow(CborError);
  });
});
