/**
 * base32 (RFC 4648 §6) and otpauth:// URIs (Google Authenticator Key URI Format): round-trip
 * properties, an independent encoder (the otpauth package) and the rejections users meet.
 */
import fc from 'fast-check';
import { Secret } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { ErrorCode, TokenrigError } from '../../src/errors.js';
import { type HashAlgorithm, type OtpAuthUri, base32Decode, base32Encode, formatOtpAuthUri, parseBase32Secret, parseOtpAuthUri } from '../../src/otp/index.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Expect `fn` to throw a BAD_INPUT TokenrigError whose message matches. */
function expectBadInput(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TokenrigError);
  expect((caught as TokenrigError).code).toBe(ErrorCode.BAD_INPUT);
  expect((caught as TokenrigError).message).toMatch(message);
  // One clear line for the user.
  expect((caught as TokenrigError).message).not.toMatch(/\n/);
}

/** Insert whitespace and hyphens at random places, as users paste seeds. */
const sprinkled = (text: string) =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '  ', '-', '\t')), { maxLength: 8 }).map((inserts) => {
    let s = text;
    for (const [at, sep] of inserts) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + sep + s.slice(i);
    }
    return s;
  });

describe('base32', () => {
  it('RFC 4648 §10 test vectors', () => {
    const table: [string, string][] = [
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    expect(base32Encode(new Uint8Array(0))).toBe('');
    for (const [plain, encoded] of table) {
      expect(base32Encode(ascii(plain))).toBe(encoded);
      expect(base32Encode(ascii(plain), { padding: false })).toBe(encoded.replace(/=+$/, ''));
      expect(base32Decode(encoded)).toEqual(ascii(plain));
    }
  });

  it('round trips with and without padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), (bytes, padding) => {
        const text = base32Encode(bytes, { padding });
        expect(text).toMatch(padding ? /^[A-Z2-7]+=*$/ : /^[A-Z2-7]+$/);
        if (padding) expect(text.length % 8).toBe(0);
        expect(base32Decode(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what users paste: lower case, spaces, tabs, hyphens, missing padding', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }).chain((bytes) =>
          fc.tuple(fc.constant(bytes), fc.boolean(), fc.boolean()).chain(([b, lower, padding]) => {
            const t = base32Encode(b, { padding });
            return fc.tuple(fc.constant(b), sprinkled(lower ? t.toLowerCase() : t));
          }),
        ),
        ([bytes, text]) => {
          expect(base32Decode(text)).toEqual(bytes);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with an independent encoder (otpauth’s Secret)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => {
        const theirs = new Secret({ buffer: bytes.slice().buffer }).base32;
        expect(base32Encode(bytes, { padding: false })).toBe(theirs.replace(/=+$/, ''));
        expect(new Uint8Array(Secret.fromBase32(base32Encode(bytes)).bytes)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects characters outside the alphabet, naming the character and its position', () => {
    expectBadInput(() => base32Decode('JBSWY3DPEHPK3PX!'), /invalid character "!" at position 16/);
    expectBadInput(() => base32Decode('JBSWY3DPEHPK3PX0'), /"0".*no 0, 1 or 8/);
    expectBadInput(() => base32Decode('1BSWY3DP'), /position 1 .*did you mean/);
    expectBadInput(() => base32Decode('JBSWY3D8'), /"8"/);
    expectBadInput(() => base32Decode('JBSWY3DPÉA'), /invalid character "É"/);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 40 }), fc.constantFrom('0', '1', '8', '9', '!', '.', '/', '+', '_', 'ß'), fc.nat(), (bytes, bad, at) => {
        const text = base32Encode(bytes, { padding: false });
        const i = at % text.length;
        expectBadInput(() => base32Decode(text.slice(0, i) + bad + text.slice(i + 1)), /invalid character/);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects impossible lengths (1, 3 or 6 characters mod 8), empty input and misplaced padding', () => {
    for (const n of [1, 3, 6, 9, 11, 14, 17]) {
      expectBadInput(() => base32Decode('A'.repeat(n)), new RegExp(`a length of ${n} characters is not possible`));
    }
    for (const n of [2, 4, 5, 7, 8, 16]) expect(base32Decode('A'.repeat(n))).toHaveLength(Math.floor((n * 5) / 8));
    expectBadInput(() => base32Decode(''), /empty/);
    expectBadInput(() => base32Decode('  ---  '), /empty/);
    expectBadInput(() => base32Decode('========'), /empty/);
    expectBadInput(() => base32Decode('MZ=XW6=='), /padding "=" may only appear at the end/);
  });

  it('TypeError for a value that is not a string or bytes', () => {
    expect(() => base32Decode(42 as unknown as string)).toThrow(TypeError);
    expect(() => base32Encode('foo' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('parseBase32Secret refuses seeds under 10 bytes', () => {
    expect(parseBase32Secret('JBSWY3DPEHPK3PXP')).toHaveLength(10);
    expectBadInput(() => parseBase32Secret('JBSWY3DPEHPK3'), /only 8 bytes/);
  });
});

// Neither the issuer nor the account may contain a colon (Key URI Format); surrounding blanks are trimmed.
const labelPart = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .filter((s) => !s.includes(':') && s.trim() === s && s.length > 0);

const uriArb: fc.Arbitrary<OtpAuthUri> = fc
  .record({
    type: fc.constantFrom<'totp' | 'hotp'>('totp', 'hotp'),
    secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    account: labelPart,
    issuer: fc.option(labelPart, { nil: undefined }),
    algorithm: fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512'),
    digits: fc.integer({ min: 6, max: 10 }),
    period: fc.integer({ min: 1, max: 3600 }),
    counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  })
  .map((r) => {
    const uri: OtpAuthUri = { type: r.type, secret: r.secret, account: r.account, algorithm: r.algorithm, digits: r.digits, period: r.type === 'totp' ? r.period : 30 };
    if (r.issuer !== undefined) uri.issuer = r.issuer;
    if (r.type === 'hotp') uri.counter = r.counter;
    return uri;
  });

describe('otpauth:// URIs', () => {
  it('format → parse gives back the same token', () => {
    fc.assert(
      fc.property(uriArb, (uri) => {
        const text = formatOtpAuthUri(uri);
        expect(text.startsWith(`otpauth://${uri.type}/`)).toBe(true);
        expect(parseOtpAuthUri(text)).toEqual(uri);
      }),
      { numRuns: 500 },
    );
  });

  it('parses the common Google Authenticator example with defaults', () => {
    const uri = parseOtpAuthUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example');
    expect(uri).toEqual({ type: 'totp', secret: base32Decode('JBSWY3DPEHPK3PXP'), account: 'alice@google.com', issuer: 'Example', algorithm: 'SHA1', digits: 6, period: 30 });
  });

  it('parses AWS’s forms: issuer only in the label (no issuer parameter), and a label with spaces', () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const a = parseOtpAuthUri(`otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=${secret}`);
    expect(a.issuer).toBe('Amazon Web Services');
    expect(a.account).toBe('alice@123456789012');
    expect(a.secret).toHaveLength(40);
    const b = parseOtpAuthUri(`otpauth://totp/Amazon Web Services:alice@123456789012?secret=${secret}&issuer=Amazon Web Services`);
    expect(b.issuer).toBe('Amazon Web Services');
    expect(b.account).toBe('alice@123456789012');
    // An account-only label takes the issuer parameter.
    const c = parseOtpAuthUri(`otpauth://totp/alice@123456789012?secret=${secret}&issuer=Amazon%20Web%20Services`);
    expect(c.issuer).toBe('Amazon Web Services');
    expect(c.account).toBe('alice@123456789012');
    // No issuer anywhere.
    const d = parseOtpAuthUri(`otpauth://totp/alice?secret=${secret}`);
    expect(d.issuer).toBeUndefined();
    expect(d.account).toBe('alice');
  });

  it('accepts lower-case secrets, other algorithm spellings and ignores unknown parameters', () => {
    const uri = parseOtpAuthUri('otpauth://TOTP/ACME:bob?secret=jbswy3dpehpk3pxp&algorithm=sha256&digits=8&period=60&image=https%3A%2F%2Fx');
    expect(uri.type).toBe('totp');
    expect(uri.algorithm).toBe('SHA256');
    expect(uri.digits).toBe(8);
    expect(uri.period).toBe(60);
    expect(uri.issuer).toBe('ACME');
  });

  it('rejects wrong input with one clear line each', () => {
    const s = 'JBSWY3DPEHPK3PXP';
    expectBadInput(() => parseOtpAuthUri('not a uri'), /not a URI/);
    expectBadInput(() => parseOtpAuthUri(`https://totp/alice?secret=${s}`), /scheme must be otpauth:\/\/, got https:\/\//);
    expectBadInput(() => parseOtpAuthUri(`otpauth://motp/alice?secret=${s}`), /type must be totp or hotp, got "motp"/);
    expectBadInput(() => parseOtpAuthUri('otpauth://totp/alice?issuer=ACME'), /secret parameter is missing/);
    expectBadInput(() => parseOtpAuthUri('otpauth://totp/alice?secret='), /secret parameter is missing/);
    expectBadInput(() => parseOtpAuthUri('otpauth://totp/alice?secret=JBSWY3DP0HPK3PXP'), /invalid character "0"/);
    expectBadInput(() => parseOtpAuthUri('otpauth://totp/alice?secret=JBSWY3DPE'), /length of 9 characters is not possible/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://totp/ACME:alice?secret=${s}&issuer=Other`), /label issuer "ACME" differs from the issuer parameter "Other"/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://totp/alice?secret=${s}&digits=5`), /digits must be 6 to 10, got 5/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://totp/alice?secret=${s}&digits=six`), /digits must be a whole number/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://totp/alice?secret=${s}&period=0`), /period must be 1 to 86400 seconds/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://totp/alice?secret=${s}&algorithm=MD5`), /unknown algorithm "MD5"/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://hotp/alice?secret=${s}`), /hotp URI needs a counter/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://hotp/alice?secret=${s}&counter=18446744073709551616`), /counter must be a 64-bit unsigned integer/);
    expectBadInput(() => parseOtpAuthUri(`otpauth://hotp/alice?secret=${s}&counter=-1`), /counter must be a 64-bit unsigned integer/);
  });
});
