/** CSV layouts (Entra, privacyIDEA) and otpauth URI lists: round trips and line-numbered errors. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Totp, base32Encode, hexEncode } from '../../src/otp/index.js';
import {
  type TokenSeed,
  builtinSeedProfile,
  formatEntraCsv,
  formatPrivacyIdeaCsv,
  formatUriList,
  generateSeeds,
  parseEntraCsv,
  parsePrivacyIdeaCsv,
  parseSeedFile,
  parseUriList,
  seedFromUri,
  sniffSeedFormat,
} from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';
import { errorOf, seededRandom } from '../support/seed-test-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);



const ENTRA = `upn,serial number,secret key,time interval,manufacturer,model
Helga@contoso.com,1234567,2234567abcdef2234567abcdef,60,Contoso,HardwareKey
"bob, jr@contoso.com",GAKT00000002,JBSWY3DPEHPK3PXP,30,Contoso,"Model ""X"""
`;

describe('Microsoft Entra CSV', () => {
  it('reads the documented example layout (lower-case base32 too, quoted fields)', () => {
    const seeds = parseEntraCsv(ENTRA);
    expect(seeds).toHaveLength(2);
    expect(seeds[0]).toMatchObject({ serial: '1234567', account: 'Helga@contoso.com', type: 'totp', algorithm: 'SHA1', digits: 6, period: 60, manufacturer: 'Contoso', model: 'HardwareKey' });
    // 26 base32 characters carry 16 whole bytes (the last 2 bits are padding).
    expect(seeds[0]!.secret).toHaveLength(16);
    expect(base32Encode(seeds[0]!.secret, { padding: false })).toMatch(/^2234567ABCDEF2234567ABCDE/);
    expect(seeds[1]).toMatchObject({ account: 'bob, jr@contoso.com', model: 'Model "X"', period: 30 });
  });

  it('round-trips generated tokens, and the sniffer recognises it', () => {
    const seeds = generateSeeds(5, builtinSeedProfile('aws-hardware'), seededRandom(7));
    const csv = formatEntraCsv(seeds);
    expect(csv.split('\n')[0]).toBe('upn,serial number,secret key,time interval,manufacturer,model');
    expect(sniffSeedFormat(enc(csv))).toBe('csv-entra');
    expect(parseSeedFile(enc(csv))).toEqual(seeds);
  });

  it('names the line of a missing column, a short row and bad base32', () => {
    const noSecret = errorOf(() => parseEntraCsv('upn,serial number,time interval,manufacturer,model\na,1,30,x,y\n'));
    expect(noSecret.code).toBe('BAD_FILE');
    expect(noSecret.message).toMatch(/^csv line 1: .*"secret key"/);
    expect(errorOf(() => parseEntraCsv(`${ENTRA}x@y,99,JBSWY3DP\n`)).message).toMatch(/^csv line 4: 3 columns/);
    const bad = errorOf(() => parseEntraCsv(`${ENTRA}x@y,99,JBSWY3DP!1,30,a,b\n`));
    expect(bad.code).toBe('BAD_FILE');
    expect(bad.message).toBe('csv line 4: the secret key is not base32');
    expect(errorOf(() => parseEntraCsv(`${ENTRA}x@y,99,JBSWY3DPEHPK3PXP,half,a,b\n`)).message).toMatch(/^csv line 4: the time interval/);
  });

  it('refuses to write tokens Entra cannot hold', () => {
    const [h] = generateSeeds(1, builtinSeedProfile('hotp'), seededRandom(7));
    expect(errorOf(() => formatEntraCsv([h!])).code).toBe('BAD_INPUT');
  });
});

describe('privacyIDEA OATH CSV', () => {
  it('reads serial, hex seed, type, digits, step/counter with comments and defaults', () => {
    const seeds = parsePrivacyIdeaCsv('# version: 1\nOATH0001, 3132333435363738393031323334353637383930, totp, 8, 60\nOATH0002,3132333435363738393031323334353637383930,hotp,6,5\nOATH0003,3132333435363738393031323334353637383930\nOATH0004,3132333435363738393031323334353637383930,totp,6,30,sha256\n');
    expect(seeds.map((s) => [s.serial, s.type, s.digits, s.period ?? s.counter, s.algorithm])).toEqual([
      ['OATH0001', 'totp', 8, 60, 'SHA1'],
      ['OATH0002', 'hotp', 6, 5n, 'SHA1'],
      ['OATH0003', 'hotp', 6, 0n, 'SHA1'],
      ['OATH0004', 'totp', 6, 30, 'SHA256'],
    ]);
    expect(hexEncode(seeds[0]!.secret)).toBe('3132333435363738393031323334353637383930');
  });

  it('round-trips every profile; the sniffer recognises it', () => {
    const seeds = ['aws-hardware', 'feitian-c200', 'hotp'].flatMap((p) => generateSeeds(3, builtinSeedProfile(p), seededRandom(7)));
    seeds[0]!.algorithm = 'SHA512';
    const csv = formatPrivacyIdeaCsv(seeds);
    expect(sniffSeedFormat(enc(csv))).toBe('csv-privacyidea');
    expect(parseSeedFile(enc(csv))).toEqual(seeds.map(({ manufacturer: _m, model: _n, ...rest }) => rest));
  });

  it('names the line of a bad seed, type or digits', () => {
    expect(errorOf(() => parsePrivacyIdeaCsv('A,3132,totp,6,30\nB,31zz,totp,6,30\n')).message).toBe('csv line 2: the seed is not hex');
    expect(errorOf(() => parsePrivacyIdeaCsv('A,3132,ocra,6,30\n')).message).toMatch(/^csv line 1: type must be hotp or totp/);
    expect(errorOf(() => parsePrivacyIdeaCsv('\n\nA,3132,totp,5,30\n')).message).toMatch(/^csv line 3: digits/);
    expect(errorOf(() => parsePrivacyIdeaCsv('A\n')).message).toMatch(/^csv line 1: needs at least serial and hex seed/);
  });
});

describe('otpauth URI lists', () => {
  it("AWS's virtual MFA URI (issuer in the label, none as parameter) imports", () => {
    const s = seedFromUri('otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXP');
    expect(s).toMatchObject({ serial: 'alice@123456789012', issuer: 'Amazon Web Services', account: 'alice@123456789012', type: 'totp', period: 30, digits: 6 });
    expect(seedFromUri('otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP', 'arn:aws:iam::123456789012:mfa/bob').serial).toBe('arn:aws:iam::123456789012:mfa/bob');
  });

  it('round-trips generated tokens; codes agree with oathtool', (ctx) => {
    const seeds: TokenSeed[] = generateSeeds(3, builtinSeedProfile('feitian-c200'), seededRandom(7)).map((s) => ({ ...s, account: s.serial }));
    const text = formatUriList(seeds);
    expect(sniffSeedFormat(enc(text))).toBe('uri');
    const back = parseUriList(text);
    expect(back.map((s) => [s.serial, base32Encode(s.secret), s.period])).toEqual(seeds.map((s) => [s.serial, base32Encode(s.secret), 60]));
    peers.oathtool.require(ctx);
    for (const s of back) {
      const o = execFileSync('oathtool', ['--totp', '-s', '60', '-b', base32Encode(s.secret, { padding: false }), '-N', '@1700000000'], { encoding: 'utf8' }).trim();
      expect(new Totp(s.secret, { period: s.period! }).generate(1_700_000_000)).toBe(o);
    }
  });

  it('names the line of a bad URI', () => {
    const e = errorOf(() => parseUriList('# tokens\notpauth://totp/a?secret=JBSWY3DPEHPK3PXP\notpauth://totp/b?secret=1!\n'));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toMatch(/^uri line 3: /);
  });
});

describe('generated seeds', () => {
  it('use the profile serial format, distinct serials, 20-byte secrets and its OTP parameters', () => {
    const seeds = generateSeeds(200, builtinSeedProfile('aws-hardware'), seededRandom(3));
    expect(new Set(seeds.map((s) => s.serial)).size).toBe(200);
    for (const s of seeds) {
      expect(s.serial).toMatch(/^GAKT\d{8}$/);
      expect(s.secret).toHaveLength(20);
      expect(s).toMatchObject({ type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 });
    }
    expect(generateSeeds(2, builtinSeedProfile('hotp'), seededRandom(7))[0]).toMatchObject({ type: 'hotp', counter: 0n, serial: expect.stringMatching(/^EVT\d{9}$/) });
    expect(() => generateSeeds(0, builtinSeedProfile('hotp'))).toThrow(RangeError);
  });
});
