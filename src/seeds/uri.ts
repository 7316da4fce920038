/**
 * Seeds as otpauth:// URIs (what enrollment QR codes carry), one per line in a text file.
 * A URI has no serial: the account of the label stands in for it (AWS's virtual MFA URIs
 * are `otpauth://totp/Amazon%20Web%20Services:user@account?secret=...` or carry no issuer).
 *
 * @example
 * ```ts
 * seedToUri({ serial: 'GAKT12345678', secret, type: 'totp', algorithm: 'SHA1', digits: 6, period: 30 });
 * // 'otpauth://totp/GAKT12345678?secret=...&algorithm=SHA1&digits=6&period=30'
 * ```
 */
import { badFile } from '../errors.js';
import { type OtpAuthUri, formatOtpAuthUri, parseOtpAuthUri } from '../otp/index.js';
import { type SeedLineReader, checkKeyCount, readLines } from './line-reader.js';
import type { TokenSeed } from './token-seed.js';

/**
 * The otpauth:// URI of a seed (its account, or else its serial, as the label).
 *
 * @example
 * ```ts
 * seedToUri(seed); // 'otpauth://totp/GAKT12345678?secret=…&algorithm=SHA1&digits=6&period=30'
 * ```
 */
export function seedToUri(seed: TokenSeed): string {
  const uri: OtpAuthUri = { type: seed.type, secret: seed.secret, account: seed.account ?? seed.serial, algorithm: seed.algorithm, digits: seed.digits, period: seed.period ?? 30 };
  if (seed.issuer !== undefined) uri.issuer = seed.issuer;
  if (seed.type === 'hotp') uri.counter = seed.counter ?? 0n;
  return formatOtpAuthUri(uri);
}

/**
 * The seed of one otpauth:// URI; `serial` names it (default: the account, or the issuer).
 *
 * @example
 * ```ts
 * seedFromUri('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME').account; // 'alice'
 * ```
 */
export function seedFromUri(text: string, serial?: string): TokenSeed {
  const u = parseOtpAuthUri(text);
  const seed: TokenSeed = { serial: serial ?? (u.account === '' ? (u.issuer ?? 'otpauth') : u.account), secret: u.secret, type: u.type, algorithm: u.algorithm, digits: u.digits };
  if (u.type === 'totp') seed.period = u.period;
  else seed.counter = u.counter ?? 0n;
  if (u.issuer !== undefined) seed.issuer = u.issuer;
  if (u.account !== '') seed.account = u.account;
  return seed;
}

/**
 * A text file of otpauth:// URIs, one a line (`#` comments and blank lines skipped).
 *
 * @example
 * ```ts
 * parseUriList('# tokens\notpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP\n').length; // 1
 * ```
 */
export function parseUriList(text: string): TokenSeed[] {
  return readLines(text, new UriListReader());
}

/** A URI list one line at a time (see `parseUriList`). */
export class UriListReader implements SeedLineReader {
  readonly #seeds: TokenSeed[] = [];

  get count(): number {
    return this.#seeds.length;
  }

  line(text: string, no: number): void {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) return;
    checkKeyCount(this.#seeds, 'uri');
    try {
      this.#seeds.push(seedFromUri(t));
    } catch (e) {
      throw badFile(`uri line ${no}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  finish(): TokenSeed[] {
    if (this.#seeds.length === 0) throw badFile('uri: the file holds no otpauth:// URIs');
    return this.#seeds;
  }
}

/**
 * A text file of otpauth:// URIs, one a line.
 *
 * @example
 * ```ts
 * writeFileSync('tokens.txt', formatUriList(seeds)); // one otpauth:// URI a line
 * ```
 */
export function formatUriList(seeds: readonly TokenSeed[]): string {
  return seeds.map((s) => `${seedToUri(s)}\n`).join('');
}
