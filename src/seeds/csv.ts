/**
 * CSV seed files in the two layouts identity systems import:
 * - Microsoft Entra ID "OATH tokens" upload: a header
 *   `upn,serial number,secret key,time interval,manufacturer,model`, base32 secrets, TOTP only
 *   (SHA-1, 6 digits, 30 or 60 s).
 * - privacyIDEA OATH CSV: no header, `serial, hex seed, type, digits, step-or-counter[, hash]`;
 *   `#` lines are comments. The last column is the TOTP step (default 30) or the HOTP counter.
 * Every error names the line: `csv line 4: the secret key is not base32`.
 *
 * @example
 * ```ts
 * parseEntraCsv('upn,serial number,secret key,time interval,manufacturer,model\n' +
 *   'alice@contoso.com,1234567,JBSWY3DPEHPK3PXP,30,Contoso,HardwareKey\n')[0].serial; // '1234567'
 * ```
 */
import { badFile, badInput } from '../errors.js';
import { base32Decode, base32Encode, checkDigits, hexDecode, hexEncode, parseHashAlgorithm } from '../otp/index.js';
import { type SeedLineReader, checkKeyCount, readLines } from './line-reader.js';
import { type TokenSeed, checkTokenSeed } from './token-seed.js';

export const ENTRA_COLUMNS = ['upn', 'serial number', 'secret key', 'time interval', 'manufacturer', 'model'] as const;

/** Split one CSV record (RFC 4180 quoting, no embedded newlines). */
export function splitCsvLine(line: string, lineNo: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw badFile(`csv line ${lineNo}: unterminated quoted field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (i < line.length && line[i] !== ',') {
        if (line[i]!.trim() !== '') throw badFile(`csv line ${lineNo}: text after a closing quote`);
        i++;
      }
    } else {
      const end = line.indexOf(',', i);
      field = end === -1 ? line.slice(i) : line.slice(i, end);
      i = end === -1 ? line.length : end;
    }
    out.push(field.trim());
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Microsoft Entra layout. Columns are found by header name (any order, any case).
 *
 * @example
 * ```ts
 * const seeds = parseEntraCsv(readFileSync('entra.csv', 'utf8')); // TokenSeed[], one per row
 * ```
 */
export function parseEntraCsv(text: string): TokenSeed[] {
  return readLines(text, new EntraCsvReader());
}

/** The Entra layout one line at a time (see `parseEntraCsv`). */
export class EntraCsvReader implements SeedLineReader {
  readonly #seeds: TokenSeed[] = [];
  #names: string[] | undefined;
  readonly #col: Record<string, number> = {};

  get count(): number {
    return this.#seeds.length;
  }

  line(text: string, no: number): void {
    if (text.trim() === '') return;
    if (this.#names === undefined) {
      this.#names = splitCsvLine(text, no).map((h) => h.toLowerCase());
      for (const c of ENTRA_COLUMNS) {
        const idx = this.#names.indexOf(c);
        if (idx === -1) throw badFile(`csv line ${no}: the header lacks the column "${c}" (Entra layout: ${ENTRA_COLUMNS.join(',')})`);
        this.#col[c] = idx;
      }
      return;
    }
    const f = splitCsvLine(text, no);
    if (f.length < this.#names.length) throw badFile(`csv line ${no}: ${f.length} columns, the header has ${this.#names.length}`);
    const get = (c: (typeof ENTRA_COLUMNS)[number]): string => f[this.#col[c]!]!;
    const serial = get('serial number');
    if (serial === '') throw badFile(`csv line ${no}: the serial number is empty`);
    const secret = lineBase32(get('secret key'), no);
    const periodText = get('time interval') || '30';
    if (!/^\d+$/.test(periodText) || Number(periodText) < 1) throw badFile(`csv line ${no}: the time interval must be a whole number of seconds, got ${JSON.stringify(periodText.slice(0, 30))}`);
    const seed: TokenSeed = { serial, secret, type: 'totp', algorithm: 'SHA1', digits: 6, period: Number(periodText) };
    if (get('upn') !== '') seed.account = get('upn');
    if (get('manufacturer') !== '') seed.manufacturer = get('manufacturer');
    if (get('model') !== '') seed.model = get('model');
    checkKeyCount(this.#seeds, 'csv');
    try {
      this.#seeds.push(checkTokenSeed(seed));
    } catch (e) {
      throw badFile(`csv line ${no}: the time interval: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  finish(): TokenSeed[] {
    if (this.#names === undefined) throw badFile('csv: the file is empty');
    if (this.#seeds.length === 0) throw badFile('csv: the file has a header but no tokens');
    return this.#seeds;
  }
}

function lineBase32(v: string, lineNo: number): Uint8Array {
  try {
    const s = base32Decode(v);
    if (s.length === 0) throw new Error('empty');
    return s;
  } catch {
    throw badFile(`csv line ${lineNo}: the secret key is not base32`);
  }
}

/**
 * Write the Entra layout. Entra takes TOTP, SHA-1, 6 digits only: anything else is refused.
 *
 * @example
 * ```ts
 * writeFileSync('entra.csv', formatEntraCsv(seeds)); // upn,serial number,secret key,time interval,manufacturer,model
 * ```
 */
export function formatEntraCsv(seeds: readonly TokenSeed[]): string {
  const out = [ENTRA_COLUMNS.join(',')];
  for (const s of seeds) {
    checkTokenSeed(s);
    if (s.type !== 'totp' || s.algorithm !== 'SHA1' || s.digits !== 6) throw badInput(`token ${s.serial}: the Entra layout holds only TOTP SHA1 6-digit tokens`);
    out.push([s.account ?? '', s.serial, base32Encode(s.secret, { padding: false }), String(s.period ?? 30), s.manufacturer ?? '', s.model ?? ''].map(csvField).join(','));
  }
  return `${out.join('\n')}\n`;
}

/**
 * privacyIDEA OATH CSV: `serial, hexkey, hotp|totp, digits, counter|step[, sha1|sha256|sha512]`.
 *
 * @example
 * ```ts
 * parsePrivacyIdeaCsv('GAKT00000001, 3132333435363738393031323334353637383930, totp, 6, 30\n')[0].period; // 30
 * ```
 */
export function parsePrivacyIdeaCsv(text: string): TokenSeed[] {
  return readLines(text, new PrivacyIdeaCsvReader());
}

/** The privacyIDEA layout one line at a time (see `parsePrivacyIdeaCsv`). */
export class PrivacyIdeaCsvReader implements SeedLineReader {
  readonly #seeds: TokenSeed[] = [];

  get count(): number {
    return this.#seeds.length;
  }

  line(text: string, no: number): void {
    if (text.trim() === '' || text.trim().startsWith('#')) return;
    const f = splitCsvLine(text, no);
    if (f.length < 2 || f[0] === '' || f[1] === '') throw badFile(`csv line ${no}: needs at least serial and hex seed (serial, seed, type, digits, step)`);
    const [serial, hex, typeText = 'hotp', digitsText = '6', last = '', hashText = ''] = f as [string, string, ...string[]];
    let secret: Uint8Array;
    try {
      secret = hexDecode(hex);
    } catch {
      throw badFile(`csv line ${no}: the seed is not hex`);
    }
    const type = (typeText || 'hotp').toLowerCase();
    if (type !== 'hotp' && type !== 'totp') throw badFile(`csv line ${no}: type must be hotp or totp, got ${JSON.stringify(typeText.slice(0, 30))}`);
    const digits = Number(digitsText || '6');
    try {
      checkDigits(digits);
    } catch {
      throw badFile(`csv line ${no}: digits must be 6 to 10, got ${JSON.stringify(digitsText.slice(0, 30))}`);
    }
    if (last !== '' && !/^\d+$/.test(last)) throw badFile(`csv line ${no}: the ${type === 'totp' ? 'time step' : 'counter'} must be a whole number, got ${JSON.stringify(last.slice(0, 30))}`);
    let algorithm: TokenSeed['algorithm'] = 'SHA1';
    if (hashText !== '') {
      try {
        algorithm = parseHashAlgorithm(hashText);
      } catch {
        throw badFile(`csv line ${no}: unknown hash ${JSON.stringify(hashText.slice(0, 30))}`);
      }
    }
    const seed: TokenSeed = { serial, secret, type, algorithm, digits };
    if (type === 'totp') seed.period = last === '' ? 30 : Number(last);
    else seed.counter = last === '' ? 0n : BigInt(last);
    checkKeyCount(this.#seeds, 'csv');
    try {
      this.#seeds.push(checkTokenSeed(seed));
    } catch (e) {
      throw badFile(`csv line ${no}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  finish(): TokenSeed[] {
    if (this.#seeds.length === 0) throw badFile('csv: the file holds no tokens');
    return this.#seeds;
  }
}

/**
 * Write the privacyIDEA OATH CSV layout (hex keys; the algorithm column when not SHA-1).
 *
 * @example
 * ```ts
 * writeFileSync('tokens.csv', formatPrivacyIdeaCsv(seeds)); // 'GAKT00000001,3132…,totp,6,30'
 * ```
 */
export function formatPrivacyIdeaCsv(seeds: readonly TokenSeed[]): string {
  return seeds
    .map((s) => {
      checkTokenSeed(s);
      const f = [s.serial, hexEncode(s.secret), s.type, String(s.digits), s.type === 'totp' ? String(s.period ?? 30) : (s.counter ?? 0n).toString()];
      if (s.algorithm !== 'SHA1') f.push(s.algorithm.toLowerCase());
      return `${f.map(csvField).join(',')}\n`;
    })
    .join('');
}
