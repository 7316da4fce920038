/**
 * Seed files at the edge: sniff the format from the content, load, format and write them
 * (atomically, mode 0600: a temporary file in the same directory, fsync, rename).
 *
 * @example
 * ```ts
 * const seeds = await loadSeedFile('tokens.pskc', { password: 'qwerty' });
 * await writeSeedFile('tokens.csv', seeds, 'csv-entra');
 * ```
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, TokenrigError, badFile, badInput } from '../errors.js';
import { base32Encode, parseBase32Secret } from '../otp/index.js';
import { formatEntraCsv, formatPrivacyIdeaCsv, parseEntraCsv, parsePrivacyIdeaCsv } from './csv.js';
import { type PskcKeys, type PskcWriteOptions, formatPskc, parsePskc } from './pskc.js';
import { decodeQrPng, renderQrPng } from './qr.js';
import type { TokenSeed } from './token-seed.js';
import { formatUriList, parseUriList, seedFromUri } from './uri.js';

/**
 * `base32` is AWS's `Base32StringSeed` bootstrap file: the secret alone, one TOTP token (SHA-1,
 * 6 digits, 30 s) whose serial is the file name. `qr` also reads a base64-encoded PNG, the form
 * AWS's API returns `QRCodePNG` in.
 */
export const SEED_FORMATS = ['pskc', 'csv-entra', 'csv-privacyidea', 'uri', 'qr', 'base32'] as const;
export type SeedFormat = (typeof SEED_FORMATS)[number];

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The PNG magic in base64. */
const PNG_BASE64 = 'iVBORw0KGgo';

/**
 * The format of a seed file, from its first bytes (never from its name).
 *
 * @example
 * ```ts
 * sniffSeedFormat(readFileSync('batch.pskc')); // 'pskc'
 * ```
 */
export function sniffSeedFormat(data: Uint8Array): SeedFormat {
  if (PNG_MAGIC.every((b, i) => data[i] === b)) return 'qr';
  const head = new TextDecoder().decode(data.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'pskc';
  const first = head.split(/\r\n|\r|\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  if (/^otpauth:\/\//i.test(first.trim())) return 'uri';
  if (head.startsWith(PNG_BASE64)) return 'qr';
  if (/^[A-Z2-7]{16,}=*$/i.test(head.trim())) return 'base32';
  // Entra's header names its columns; a header missing one is still Entra (and then a clear error).
  if (/^\s*"?upn"?\s*,/i.test(first) || /serial number|secret key/i.test(first)) return 'csv-entra';
  if (first.includes(',')) return 'csv-privacyidea';
  throw badFile('seed file: unknown format (expected PSKC XML, Entra or privacyIDEA CSV, otpauth:// URIs or a QR PNG)');
}

/**
 * Parse seed file content; the format is sniffed unless given.
 *
 * @example
 * ```ts
 * const seeds = parseSeedFile(new TextEncoder().encode('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP\n'));
 * ```
 */
export function parseSeedFile(data: Uint8Array, keys: PskcKeys = {}, format: SeedFormat = sniffSeedFormat(data), name = 'token'): TokenSeed[] {
  if (format === 'qr') {
    const isPng = PNG_MAGIC.every((b, i) => data[i] === b);
    return [seedFromUri(decodeQrPng(isPng ? data : new Uint8Array(Buffer.from(new TextDecoder().decode(data).trim(), 'base64'))))];
  }
  const text = new TextDecoder().decode(data);
  switch (format) {
    case 'base32':
      return [{ serial: name, secret: parseBase32Secret(text.trim()), type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 }];
    case 'pskc':
      return parsePskc(text, keys);
    case 'csv-entra':
      return parseEntraCsv(text);
    case 'csv-privacyidea':
      return parsePrivacyIdeaCsv(text);
    case 'uri':
      return parseUriList(text);
  }
}

/**
 * Every seed in the file at `path` (PSKC, CSV, otpauth URIs or a QR PNG, sniffed from the
 * content). The one loader other commands use for `--seed-file`.
 *
 * @example
 * ```ts
 * const [seed] = await loadSeedFile('aws-qr.png');
 * ```
 */
export async function loadSeedFile(path: string, keys: PskcKeys = {}): Promise<TokenSeed[]> {
  return (await readSeedFile(path, keys)).seeds;
}

/**
 * Like `loadSeedFile`, and says which format the file was.
 *
 * @example
 * ```ts
 * const { format, seeds } = await readSeedFile('batch.pskc', { key: hexDecode('12345678901234567890123456789012') });
 * ```
 */
export async function readSeedFile(path: string, keys: PskcKeys = {}): Promise<{ format: SeedFormat; seeds: TokenSeed[] }> {
  let data: Uint8Array;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TokenrigError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_FILE, `${path}: ${code === 'ENOENT' ? 'no such file' : 'cannot read it'}`, { cause: e });
  }
  try {
    const format = sniffSeedFormat(data);
    return { format, seeds: parseSeedFile(data, keys, format, basename(path).replace(/\.[^.]*$/, '')) };
  } catch (e) {
    if (e instanceof TokenrigError) throw new TokenrigError(e.code, `${basename(path)}: ${e.message}`, { cause: e.cause });
    throw e;
  }
}

/**
 * One seed of a file: the only one, or the one with `serial`.
 *
 * @example
 * ```ts
 * const seed = pickSeed(await loadSeedFile('batch.pskc', { password: 'long pass' }), 'GAKT12345678');
 * ```
 */
export function pickSeed(seeds: readonly TokenSeed[], serial?: string): TokenSeed {
  if (serial !== undefined) {
    const s = seeds.find((x) => x.serial === serial);
    if (s === undefined) throw badInput(`no token with serial ${JSON.stringify(serial)} in the seed file (it has ${seeds.length})`);
    return s;
  }
  if (seeds.length !== 1) throw badInput(`the seed file holds ${seeds.length} tokens: choose one with --serial`);
  return seeds[0]!;
}

/**
 * The bytes of `seeds` in `format`. QR holds exactly one token; only PSKC can be encrypted.
 *
 * @example
 * ```ts
 * const png = await formatSeedFile([seed], 'qr'); // a PNG of the otpauth:// URI
 * ```
 */
export async function formatSeedFile(seeds: readonly TokenSeed[], format: SeedFormat, options: PskcWriteOptions = {}): Promise<Uint8Array> {
  if (seeds.length === 0) throw badInput('no tokens to write');
  if (format !== 'pskc' && (options.key !== undefined || options.password !== undefined)) throw badInput(`only PSKC files can be encrypted; ${format} would hold the secrets in the clear`);
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  switch (format) {
    case 'pskc':
      return text(formatPskc(seeds, options));
    case 'csv-entra':
      return text(formatEntraCsv(seeds));
    case 'csv-privacyidea':
      return text(formatPrivacyIdeaCsv(seeds));
    case 'uri':
      return text(formatUriList(seeds));
    case 'base32': {
      if (seeds.length !== 1) throw badInput(`a base32 seed file holds one token; got ${seeds.length}`);
      return text(`${base32Encode(seeds[0]!.secret, { padding: false })}\n`);
    }
    case 'qr': {
      if (seeds.length !== 1) throw badInput(`a QR code holds one token; got ${seeds.length} (use --format uri for many)`);
      return renderQrPng(formatUriList(seeds).trim());
    }
  }
}

/**
 * Write `data` to `path` atomically with mode 0600: temp file, fsync, rename. With
 * `overwrite: false` an existing file is kept and the write refused (BAD_INPUT), decided
 * atomically (the temp file is hard-linked into place, which fails if the name exists).
 *
 * @example
 * ```ts
 * await writeFileAtomic('seed.txt', new TextEncoder().encode('JBSWY3DPEHPK3PXP\n')); // mode 0600
 * await writeFileAtomic('batch.pskc', data, { overwrite: false }); // never replaces a file
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx', 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.overwrite === false) {
      await link(tmp, path);
      await unlink(tmp);
    } else await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TokenrigError(ErrorCode.BAD_INPUT, `${path} exists: not replaced`, { cause: e });
    throw new TokenrigError(ErrorCode.BAD_FILE, `${path}: cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}

/**
 * Format and write atomically with mode 0600.
 *
 * @example
 * ```ts
 * await writeSeedFile('entra.csv', seeds, 'csv-entra');
 * ```
 */
export async function writeSeedFile(path: string, seeds: readonly TokenSeed[], format: SeedFormat, options: PskcWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, await formatSeedFile(seeds, format, options));
}
