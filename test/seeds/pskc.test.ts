/**
 * PSKC (RFC 6030): the RFC's own example files import with the secrets the RFC states; what we
 * write round-trips, is valid against pskctool's schema, and plain files read in pskctool;
 * wrong keys, wrong passwords, tampering and truncation each give one clear error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OtpKey, hexEncode } from '../../src/otp/index.js';
import { type TokenSeed, formatPskc, parsePskc } from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';
import { errorOf, seededRandom } from '../support/seed-test-helpers.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const RFC_SECRET = '3132333435363738393031323334353637383930'; // "12345678901234567890", RFC 4226's key
const PSK = Uint8Array.from(Buffer.from('12345678901234567890123456789012', 'hex'));
const tmp = mkdtempSync(join(tmpdir(), 'tokenrig-pskc-'));



const SEEDS: TokenSeed[] = [
  { serial: 'GAKT00000001', secret: Uint8Array.from(Buffer.from(RFC_SECRET, 'hex')), type: 'totp', algorithm: 'SHA1', digits: 6, period: 30, issuer: 'ACME & Co', account: 'alice@example.com', manufacturer: 'Tokenrig', model: 'OTP 110 (sim)' },
  { serial: 'EVT000000002', secret: Uint8Array.from({ length: 32 }, (_, i) => i), type: 'hotp', algorithm: 'SHA256', digits: 8, counter: 42n },
  { serial: 'FT0000000003', secret: Uint8Array.from({ length: 64 }, (_, i) => 255 - i), type: 'totp', algorithm: 'SHA512', digits: 10, period: 60, model: 'C200 <sim>' },
];

describe('RFC 6030 example files', () => {
  it('Figure 2 (plain): one HOTP key whose serial is its Id and whose secret is "1234"', () => {
    const [s, ...rest] = parsePskc(fixture('rfc6030-figure2.pskcxml'));
    expect(rest).toHaveLength(0);
    expect(s).toMatchObject({ serial: '12345678', type: 'hotp', issuer: 'Issuer-A', digits: 6, counter: 0n });
    expect(Buffer.from(s!.secret).toString()).toBe('1234');
  });

  it('Figure 6 (pre-shared AES-128-CBC key, HMAC-SHA1 MAC) gives the stated secret', () => {
    const [s] = parsePskc(fixture('rfc6030-figure6.pskcxml'), { key: PSK });
    expect(hexEncode(s!.secret)).toBe(RFC_SECRET);
    expect(s).toMatchObject({ serial: '987654321', type: 'hotp', digits: 8, counter: 0n, issuer: 'Issuer', manufacturer: 'Manufacturer' });
  });

  it('Figure 7 (PBKDF2 password "qwerty") gives the stated secret', () => {
    const [s] = parsePskc(fixture('rfc6030-figure7.pskcxml'), { password: 'qwerty' });
    expect(hexEncode(s!.secret)).toBe(RFC_SECRET);
    expect(s).toMatchObject({ serial: '987654321', digits: 8, issuer: 'Example-Issuer', manufacturer: 'TokenVendorAcme' });
  });

  it('codes from the imported Figure 6 key match RFC 4226 Appendix D and oathtool', (ctx) => {
    const [s] = parsePskc(fixture('rfc6030-figure6.pskcxml'), { key: PSK });
    const key = new OtpKey(s!.secret, s!.algorithm);
    expect(key.hotp(0n, 6)).toBe('755224');
    peers.oathtool.require(ctx);
    for (const c of [0, 1, 9]) {
      const o = execFileSync('oathtool', ['--hotp', '-d', '8', '-c', String(c), hexEncode(s!.secret)], { encoding: 'utf8' }).trim();
      expect(key.hotp(BigInt(c), 8)).toBe(o);
    }
  });

  it('a wrong password, a wrong key and a missing one are told apart', () => {
    expect(errorOf(() => parsePskc(fixture('rfc6030-figure7.pskcxml'), { password: 'qwertz' })).code).toBe('REJECTED');
    expect(errorOf(() => parsePskc(fixture('rfc6030-figure6.pskcxml'), { key: new Uint8Array(16) })).code).toBe('REJECTED');
    const missing = errorOf(() => parsePskc(fixture('rfc6030-figure7.pskcxml')));
    expect(missing.code).toBe('BAD_INPUT');
    expect(missing.message).toMatch(/password/);
    expect(errorOf(() => parsePskc(fixture('rfc6030-figure6.pskcxml'))).message).toMatch(/pre-shared key/);
  });

  it('a tampered ValueMAC or CipherValue is REJECTED before the secret is used', () => {
    const f6 = fixture('rfc6030-figure6.pskcxml');
    const badMac = f6.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Su+NwtQfmvfJzF6bmQiJqoLRExc=');
    expect(badMac).not.toBe(f6);
    const e = errorOf(() => parsePskc(badMac, { key: PSK }));
    expect(e.code).toBe('REJECTED');
    expect(e.message).toMatch(/MAC .*does not match/);
    const badCipher = f6.replace('AAECAwQFBgcICQoLDA0OD+cI', 'AAECAwQFBgcICQoLDA0OD+cJ');
    expect(badCipher).not.toBe(f6);
    expect(errorOf(() => parsePskc(badCipher, { key: PSK })).code).toBe('REJECTED');
  });

  it('truncated XML, a non-PSKC root and a wrong version are BAD_FILE', () => {
    const f2 = fixture('rfc6030-figure2.pskcxml');
    for (const cut of [50, 300, f2.length - 20]) {
      const e = errorOf(() => parsePskc(f2.slice(0, cut)));
      expect(e.code).toBe('BAD_FILE');
      expect(e.message).toMatch(/^PSKC: /);
    }
    expect(errorOf(() => parsePskc('<html/>')).code).toBe('BAD_FILE');
    expect(errorOf(() => parsePskc(f2.replace('Version="1.0"', 'Version="2.0"'))).code).toBe('BAD_FILE');
    expect(errorOf(() => parsePskc('')).code).toBe('BAD_FILE');
  });
});

describe('writing PSKC', () => {
  const variants = [
    { name: 'plain', write: {}, read: {} },
    { name: 'pre-shared key', write: { key: PSK }, read: { key: PSK } },
    { name: 'password', write: { password: 'correct horse', iterations: 2000 }, read: { password: 'correct horse' } },
  ] as const;

  for (const v of variants) {
    it(`${v.name}: round-trips every field of many keys`, () => {
      const xml = formatPskc(SEEDS, { ...v.write, random: seededRandom(1) });
      expect(parsePskc(xml, v.read)).toEqual(SEEDS);
      if (v.name !== 'plain') for (const s of SEEDS) expect(xml).not.toContain(Buffer.from(s.secret).toString('base64'));
    });

    it(`${v.name}: pskctool validates the file against the PSKC schema`, (ctx) => {
      peers.pskctool.require(ctx);
      const file = join(tmp, `${v.name.replace(/ /g, '-')}.pskcxml`);
      writeFileSync(file, formatPskc(SEEDS, { ...v.write, random: seededRandom(1) }));
      const r = spawnSync('pskctool', ['-q', '--validate', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    });
  }

  it('pskctool validation does fail on a schema violation (the check can fail)', (ctx) => {
    peers.pskctool.require(ctx);
    const file = join(tmp, 'invalid.pskcxml');
    writeFileSync(file, formatPskc(SEEDS).replace('<Issuer>', '<Bogus/><Issuer>'));
    expect(spawnSync('pskctool', ['-q', '--validate', file]).status).not.toBe(0);
  });

  it('pskctool reads the plain file: serials, algorithms, secrets, counters, digits', (ctx) => {
    peers.pskctool.require(ctx);
    const file = join(tmp, 'info.pskcxml');
    writeFileSync(file, formatPskc(SEEDS));
    const info = execFileSync('pskctool', ['--info', file], { encoding: 'utf8' });
    const packages = info.split(/KeyPackage \d+:/).slice(1);
    expect(packages).toHaveLength(SEEDS.length);
    SEEDS.forEach((s, i) => {
      const p = packages[i]!;
      expect(p).toContain(`SerialNo: ${s.serial}`);
      expect(p).toContain(`Algorithm: urn:ietf:params:xml:ns:keyprov:pskc:${s.type}`);
      expect(p).toContain(`Key Secret (base64): ${Buffer.from(s.secret).toString('base64')}`);
      expect(p).toContain(`Response Format Length: ${s.digits}`);
      if (s.counter !== undefined) expect(p).toContain(`Key Counter: ${s.counter}`);
    });
  });

  it('property: any valid set of seeds round-trips, plain and with a key', () => {
    const seedArb = fc.record({
      serial: fc.stringMatching(/^[A-Z0-9]{1,16}$/),
      secret: fc.uint8Array({ minLength: 10, maxLength: 64 }),
      type: fc.constantFrom('totp' as const, 'hotp' as const),
      algorithm: fc.constantFrom('SHA1' as const, 'SHA256' as const, 'SHA512' as const),
      digits: fc.integer({ min: 6, max: 10 }),
      n: fc.integer({ min: 1, max: 3600 }),
      issuer: fc.option(fc.stringMatching(/^[A-Za-z0-9&<>"'.é-][A-Za-z0-9 &<>"'.é-]{0,18}[A-Za-z0-9&<>"'.é-]$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(seedArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (arbs, encrypt) => {
        const seeds: TokenSeed[] = arbs.map(({ n, issuer, ...a }) => ({ ...a, ...(a.type === 'totp' ? { period: n } : { counter: BigInt(n) }), ...(issuer === undefined ? {} : { issuer }) }));
        const opts = encrypt ? { key: PSK } : {};
        expect(parsePskc(formatPskc(seeds, opts), opts)).toEqual(seeds);
      }),
      { numRuns: 60 },
    );
  });
});
