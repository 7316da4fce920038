/**
 * QR codes: what we render decodes back (PNG and the terminal half-block text, re-rasterised);
 * a PNG made by qrencode, the independent peer, decodes to the same URI and the same token.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { TokenrigError } from '../../src/errors.js';
import { base32Encode } from '../../src/otp/index.js';
import { decodeQrPng, parseSeedFile, renderQrPng, renderQrTerminal, sniffSeedFormat } from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';

const AWS_URI = 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Amazon%20Web%20Services';

/** Rasterise the terminal rendering: a drawn half is "light" (inverted), 4 px per module. */
function terminalToPng(text: string): Uint8Array {
  const rows = text.replace(/\n$/, '').split('\n');
  const modules: boolean[][] = [];
  for (const row of rows) {
    const chars = [...row];
    modules.push(chars.map((c) => c === '█' || c === '▀'));
    modules.push(chars.map((c) => c === '█' || c === '▄'));
  }
  const scale = 4;
  const quiet = 4 * scale;
  const h = modules.length * scale + 2 * quiet;
  const w = modules[0]!.length * scale + 2 * quiet;
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const my = Math.floor((y - quiet) / scale);
      const mx = Math.floor((x - quiet) / scale);
      const drawn = my >= 0 && mx >= 0 && my < modules.length && mx < modules[0]!.length ? modules[my]![mx]! : true;
      const v = drawn ? 255 : 0; // drawn = light ground, blank = dark module
      const i = (y * w + x) * 4;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
      png.data[i + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}

describe('QR codes', () => {
  it('a PNG we render decodes back to the same text (property over URIs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 10, maxLength: 40 }), fc.stringMatching(/^[a-z0-9@.]{1,24}$/), async (secret, account) => {
        const uri = `otpauth://totp/${account}?secret=${base32Encode(secret, { padding: false })}&digits=6`;
        expect(decodeQrPng(await renderQrPng(uri))).toBe(uri);
      }),
      { numRuns: 15 },
    );
  });

  it('the terminal rendering is a scannable QR code of the same text', () => {
    const text = renderQrTerminal(AWS_URI);
    expect(text).toMatch(/^[ █▀▄\n]+$/);
    expect(decodeQrPng(terminalToPng(text))).toBe(AWS_URI);
  });

  it('a PNG from qrencode decodes to the same URI and imports as a token', (ctx) => {
    peers.qrencode.require(ctx);
    const file = join(mkdtempSync(join(tmpdir(), 'tokenrig-qr-')), 'aws.png');
    execFileSync('qrencode', ['-o', file, AWS_URI]);
    const png = new Uint8Array(readFileSync(file));
    expect(sniffSeedFormat(png)).toBe('qr');
    expect(decodeQrPng(png)).toBe(AWS_URI);
    const [seed] = parseSeedFile(png);
    expect(seed).toMatchObject({ issuer: 'Amazon Web Services', account: 'alice@123456789012', type: 'totp', digits: 6, period: 30 });
    expect(base32Encode(seed!.secret, { padding: false })).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  });

  it("AWS's bootstrap files import: QRCodePNG as base64 text, and a bare Base32StringSeed", async () => {
    const png = await renderQrPng(AWS_URI);
    const b64 = new TextEncoder().encode(`${Buffer.from(png).toString('base64')}\n`);
    expect(sniffSeedFormat(b64)).toBe('qr');
    expect(parseSeedFile(b64)[0]).toMatchObject({ issuer: 'Amazon Web Services', account: 'alice@123456789012' });
    const seedText = new TextEncoder().encode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n');
    expect(sniffSeedFormat(seedText)).toBe('base32');
    const [s] = parseSeedFile(seedText, {}, 'base32', 'bob-mfa');
    expect(s).toMatchObject({ serial: 'bob-mfa', type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 });
    expect(base32Encode(s!.secret)).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  });

  it('a PNG without a QR code, or not a PNG, is BAD_FILE', () => {
    const blank = new PNG({ width: 64, height: 64 });
    blank.data.fill(255);
    for (const data of [new Uint8Array(PNG.sync.write(blank)), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])]) {
      let err: unknown;
      try {
        decodeQrPng(data);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TokenrigError);
      expect((err as TokenrigError).code).toBe('BAD_FILE');
    }
  });
});
