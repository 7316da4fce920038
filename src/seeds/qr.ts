/**
 * QR codes of otpauth:// URIs: a PNG (what AWS's CreateVirtualMFADevice returns as QRCodePNG),
 * a terminal rendering with Unicode half blocks, and decoding a PNG back to its text.
 *
 * @example
 * ```ts
 * const png = await renderQrPng('otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP');
 * decodeQrPng(png); // 'otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP'
 * ```
 */
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { badFile } from '../errors.js';

// jsqr is CommonJS with an `exports.default`: under Node ESM the function is one level down.
const jsQR = jsQRModule.default;

/**
 * A PNG of the QR code of `text` (error correction M, 4-module quiet zone).
 *
 * @example
 * ```ts
 * writeFileSync('alice.png', await renderQrPng('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP'));
 * ```
 */
export async function renderQrPng(text: string, scale = 6): Promise<Uint8Array> {
  return new Uint8Array(await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale }));
}

/**
 * The QR code as text for a terminal: each character is two modules stacked (▀ ▄ █ or space),
 * dark modules drawn in the foreground colour, with a 2-module quiet zone. Best on a dark
 * terminal with `invert` (the default), so scanners see dark modules on a light ground.
 *
 * @example
 * ```ts
 * process.stdout.write(renderQrTerminal('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP'));
 * ```
 */
export function renderQrTerminal(text: string, invert = true): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const margin = 2;
  const dark = (r: number, c: number): boolean => {
    const inside = r >= 0 && c >= 0 && r < size && c < size && qr.modules.get(r, c) === 1;
    return invert ? !inside : inside;
  };
  const rows: string[] = [];
  for (let r = -margin; r < size + margin; r += 2) {
    let line = '';
    for (let c = -margin; c < size + margin; c++) {
      const top = dark(r, c);
      const bottom = dark(r + 1, c);
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    rows.push(line);
  }
  return `${rows.join('\n')}\n`;
}

/**
 * The most pixels a QR image may have: a screenshot of a large screen is about 40 megapixels
 * (8K is 33). Decoding takes about 4 bytes a pixel for the image and as much again for the
 * QR search, so this bounds a decode to a few hundred megabytes.
 */
export const MAX_QR_PIXELS = 40_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Width and height from a PNG's IHDR (PNG spec §11.2.2: the first chunk, 13 bytes), checked
 * before anything is decoded: a 74-byte file can claim 65535 × 65535 pixels (17 GB to decode).
 * Interlaced images are refused too: their pixel data is inflated without a bound.
 */
export function checkQrPngHeader(png: Uint8Array): { width: number; height: number } {
  if (png.length < 33 || !PNG_SIGNATURE.every((b, i) => png[i] === b)) throw badFile('QR: not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.length);
  const type = String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!);
  if (view.getUint32(8) !== 13 || type !== 'IHDR') throw badFile('QR: not a readable PNG (the first chunk is not IHDR)');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw badFile(`QR: the image is ${width} × ${height} pixels`);
  if (width * height > MAX_QR_PIXELS) {
    throw badFile(`QR: the image is ${width} × ${height} pixels, more than the ${MAX_QR_PIXELS.toLocaleString('en-US')} any screenshot needs: refused before decoding`);
  }
  if (png[28] !== 0) throw badFile('QR: interlaced PNGs are not supported (save the image without interlacing)');
  return { width, height };
}

/**
 * The text of the QR code in a PNG; `BAD_FILE` when it is not a PNG, too large (checked from
 * the IHDR first), or holds no QR code.
 *
 * @example
 * ```ts
 * decodeQrPng(readFileSync('QRCode.png')); // 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=…'
 * ```
 */
export function decodeQrPng(png: Uint8Array): string {
  checkQrPngHeader(png);
  let image: PNG;
  try {
    image = PNG.sync.read(Buffer.from(png));
  } catch (e) {
    throw badFile(`QR: not a readable PNG (${e instanceof Error ? e.message : String(e)})`, e);
  }
  const data = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  const found = jsQR(data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  if (found === null) throw badFile('QR: no QR code found in the image');
  return found.data;
}
