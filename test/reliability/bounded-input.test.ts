/**
 * Inputs that cost unbounded memory or time, or slipped past the boundary, are refused there
 * with a clear typed error: PNG bombs (from the IHDR, before decoding), malformed
 * percent-escapes and out-of-range numbers in otpauth URIs and seed files.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseOtpAuthUri } from '../../src/otp/index.js';
import { MAX_QR_PIXELS, decodeQrPng, parseSeedFile } from '../../src/seeds/index.js';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-bounded-'));
const SECRET = 'JBSWY3DPEHPK3PXP';

async function tokenrig(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '', ms: Date.now() - started };
  }
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A tiny PNG whose IHDR claims `width` × `height` RGBA pixels. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', new Uint8Array(0))]);
}

describe('PNG bombs', () => {
  it('a PNG claiming 65535 × 65535 pixels is refused from its IHDR, before decoding', () => {
    const bomb = pngClaiming(65535, 65535);
    expect(bomb.length).toBeLessThan(100);
    const started = Date.now();
    expect(() => decodeQrPng(bomb)).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringMatching(/65535 × 65535.*more than/) }));
    expect(Date.now() - started).toBeLessThan(500);
    expect(MAX_QR_PIXELS).toBe(40_000_000);
    expect(() => decodeQrPng(pngClaiming(0, 10))).toThrow(expect.objectContaining({ code: 'BAD_FILE' }));
  });

  it('otp code --qr and seed import refuse it with exit 3 and one line', async () => {
    const path = join(dir, 'bomb.png');
    writeFileSync(path, pngClaiming(65535, 65535));
    for (const args of [['otp', 'code', '--qr', path], ['seed', 'import', path]]) {
      const r = await tokenrig(...args);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/pixels/);
    }
  });
});

describe('otpauth URIs at the boundary', () => {
  it('a malformed percent-escape is BAD_INPUT, not an internal error', async () => {
    expect(() => parseOtpAuthUri(`otpauth://totp/%E0%A4%A?secret=${SECRET}`)).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringMatching(/percent/) }));
    const r = await tokenrig('otp', 'code', '--uri', `otpauth://totp/%E0%A4%A?secret=${SECRET}`);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/internal/);
  });

  for (const [param, value] of [
    ['period', '100000000000000000000000'],
    ['period', '0'],
    ['period', '86401'],
    ['digits', '99999999999999999999'],
    ['counter', '18446744073709551616'],
  ] as const) {
    it(`${param}=${value} is refused with BAD_INPUT`, () => {
      const type = param === 'counter' ? 'hotp' : 'totp';
      expect(() => parseOtpAuthUri(`otpauth://${type}/a?secret=${SECRET}&${param}=${value}${type === 'hotp' && param !== 'counter' ? '&counter=0' : ''}`)).toThrow(
        expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining(param) }),
      );
    });
  }

  it('the longest period accepted is a day', () => {
    expect(parseOtpAuthUri(`otpauth://totp/a?secret=${SECRET}&period=86400`).period).toBe(86_400);
  });
});

describe('numbers in seed files at the boundary', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const pskc = (interval: string): string =>
    `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><DeviceInfo><SerialNo>S1</SerialNo></DeviceInfo><Key Id="S1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret><TimeInterval><PlainValue>${interval}</PlainValue></TimeInterval></Data></Key></KeyPackage></KeyContainer>`;
  for (const [what, text] of [
    ['URI list period 1e23', `otpauth://totp/a?secret=${SECRET}&period=100000000000000000000000\n`],
    ['privacyIDEA CSV period 1e23', 'S1,3132333435363738393031323334353637383930,totp,6,100000000000000000000000\n'],
    ['privacyIDEA CSV counter past 64 bits', 'S1,3132333435363738393031323334353637383930,hotp,6,18446744073709551616\n'],
    ['Entra CSV period 1e23', `upn,serial number,secret key,time interval,manufacturer,model\na@b,1,${SECRET},100000000000000000000000,,\n`],
    ['PSKC TimeInterval 1e23', pskc('100000000000000000000000')],
    ['PSKC TimeInterval 0', pskc('0')],
  ] as const) {
    it(`${what}: refused on import (BAD_FILE)`, () => {
      expect(() => parseSeedFile(enc(text))).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringMatching(/period|interval|counter|TimeInterval/i) }));
    });
  }
});
