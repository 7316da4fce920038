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
 * The text of the QR code in a PNG; `BAD_FILE` when it is not a PNG or holds no QR code.
 *
 * @example
 * ```ts
 * decodeQrPng(readFileSync('QRCode.png')); // 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=…'
 * ```
 */
export function decodeQrPng(png: Uint8Array): string {
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
