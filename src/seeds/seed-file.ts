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
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ErrorCode, TokenrigError, badFile, badInput } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { base32Encode, parseBase32Secret } from '../otp/index.js';
import { EntraCsvReader, PrivacyIdeaCsvReader, formatEntraCsv, formatPrivacyIdeaCsv, parseEntraCsv, parsePrivacyIdeaCsv } from './csv.js';
import { SEED_LIMITS } from './limits.js';
import type { SeedLineReader } from './line-reader.js';
import { type PskcKeys, type PskcWriteOptions, PskcReader, formatPskc, parsePskc } from './pskc.js';
import { decodeQrPng, renderQrPng } from './qr.js';
import type { TokenSeed } from './token-seed.js';
import { UriListReader, formatUriList, parseUriList, seedFromUri } from './uri.js';

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
  const head = new TextDecoder().decode(data.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'pskc';
  // The first line that is not blank and not a comment (a URI list may open with long ones).
  const first = head.split(/\r\n|\r|\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  if (/^otpauth:\/\//i.test(first.trim())) return 'uri';
  if (head.startsWith(PNG_BASE64)) return 'qr';
  if (head.length < 1024 && /^[A-Z2-7]{16,}=*$/i.test(head.trim())) return 'base32';
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

/** How far an import got: for a progress display. */
export interface SeedReadProgress {
  bytes: number;
  totalBytes: number;
  keys: number;
}

export interface SeedReadOptions {
  /** Called as the file is read (once per chunk of 64 KiB). */
  onProgress?: (progress: SeedReadProgress) => void;
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
export async function loadSeedFile(path: string, keys: PskcKeys = {}, options: SeedReadOptions = {}): Promise<TokenSeed[]> {
  return (await readSeedFile(path, keys, options)).seeds;
}

/** How much of a file the format sniffer looks at (a URI list may open with long comments). */
const SNIFF_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Like `loadSeedFile`, and says which format the file was. Within SEED_LIMITS (docs/limits.md):
 * the file's size is checked before it is read, and PSKC, CSV and URI files are streamed, one
 * key at a time, so memory holds the keys and not the text.
 *
 * @example
 * ```ts
 * const { format, seeds } = await readSeedFile('batch.pskc', { key: hexDecode('12345678901234567890123456789012') });
 * ```
 */
export async function readSeedFile(path: string, keys: PskcKeys = {}, options: SeedReadOptions = {}): Promise<{ format: SeedFormat; seeds: TokenSeed[] }> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TokenrigError(code === 'ENOENT' ? ErrorCode.NOT_FOUND : ErrorCode.BAD_FILE, `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'not a file' : 'cannot read it'}`, { cause: e });
  }
  const name = basename(path);
  try {
    if (size > SEED_LIMITS.maxFileBytes) throw badFile(`the file is ${megabytes(size)}, more than the ${megabytes(SEED_LIMITS.maxFileBytes)} a seed file may be (docs/limits.md)`);
    const head = await readHead(path, Math.min(size, SNIFF_BYTES));
    const format = sniffSeedFormat(head);
    if (format === 'qr' && size > SEED_LIMITS.maxPngBytes) throw badFile(`the image is ${megabytes(size)}, more than the ${megabytes(SEED_LIMITS.maxPngBytes)} a QR image may be (docs/limits.md)`);
    const progress = (bytes: number, count: number): void => options.onProgress?.({ bytes, totalBytes: size, keys: count });
    switch (format) {
      case 'qr':
      case 'base32':
        return { format, seeds: parseSeedFile(await readFile(path), keys, format, name.replace(/\.[^.]*$/, '')) };
      case 'pskc': {
        const reader = new PskcReader(keys);
        await streamChunks(path, (chunk, bytes) => {
          reader.write(chunk);
          progress(bytes, reader.count);
        });
        return { format, seeds: reader.close() };
      }
      default: {
        const reader = format === 'csv-entra' ? new EntraCsvReader() : format === 'csv-privacyidea' ? new PrivacyIdeaCsvReader() : new UriListReader();
        await streamLines(path, reader, (bytes) => progress(bytes, reader.count));
        return { format, seeds: reader.finish() };
      }
    }
  } catch (e) {
    if (e instanceof TokenrigError) throw new TokenrigError(e.code, `${name}: ${e.message}`, { cause: e.cause });
    throw e;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The file as UTF-8 text in chunks; `each` gets a chunk and the bytes read so far. */
async function streamChunks(path: string, each: (chunk: string, bytes: number) => void): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  let first = true;
  for await (const raw of stream as AsyncIterable<Buffer>) {
    bytes += raw.length;
    let text = decoder.decode(raw, { stream: true });
    if (first) text = text.replace(/^\uFEFF/, '');
    first = false;
    each(text, bytes);
  }
  const rest = decoder.decode();
  if (rest !== '') each(rest, bytes);
}

/** The file line by line (CR, LF or CRLF) into `reader`, reporting bytes read per chunk. */
async function streamLines(path: string, reader: SeedLineReader, onBytes: (bytes: number) => void): Promise<void> {
  let carry = '';
  let no = 0;
  let lastWasCr = false;
  await streamChunks(path, (chunk, bytes) => {
    let text = carry + chunk;
    // A CRLF split across chunks: the LF after a CR that already ended a line.
    if (lastWasCr && text.startsWith('\n')) text = text.slice(1);
    const parts = text.split(/\r\n|\r|\n/);
    carry = parts.pop()!;
    lastWasCr = text.endsWith('\r');
    for (const line of parts) reader.line(line, ++no);
    onBytes(bytes);
  });
  if (carry !== '') reader.line(carry, ++no);
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

/** Write `data` to `path` atomically with mode 0600 (see src/files/atomic-file.ts). */
export { writeFileAtomic };

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
