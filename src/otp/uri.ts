/**
 * otpauth:// URIs (Google Authenticator "Key URI Format"): what enrollment QR codes carry.
 * `otpauth://TYPE/LABEL?secret=B32&issuer=I&algorithm=SHA1&digits=6&period=30&counter=N`.
 * The label is `issuer:account` or just `account` (AWS's virtual MFA URIs carry the
 * issuer in the label, with or without an `issuer` parameter).
 */
import { badInput } from '../errors.js';
import { type HashAlgorithm, MAX_PERIOD_SECONDS, checkDigits, parseHashAlgorithm } from './algorithm.js';
import { base32Decode, base32Encode } from './base32.js';

export interface OtpAuthUri {
  type: 'totp' | 'hotp';
  secret: Uint8Array;
  /** The account part of the label. */
  account: string;
  issuer?: string;
  algorithm: HashAlgorithm;
  digits: number;
  /** TOTP step in seconds. */
  period: number;
  /** HOTP counter. */
  counter?: bigint;
}

/**
 * Parse an otpauth:// URI. Unknown parameters are ignored (apps add their own); missing ones
 * take the format's defaults; a wrong one is a clear `BAD_INPUT`.
 *
 * @example
 * ```ts
 * parseOtpAuthUri('otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME').issuer; // 'ACME'
 * ```
 */
export function parseOtpAuthUri(text: string): OtpAuthUri {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw badInput('otpauth URI: not a URI');
  }
  if (url.protocol !== 'otpauth:') throw badInput(`otpauth URI: the scheme must be otpauth://, got ${url.protocol}//`);
  const type = url.hostname.toLowerCase();
  if (type !== 'totp' && type !== 'hotp') throw badInput(`otpauth URI: the type must be totp or hotp, got ${JSON.stringify(url.hostname)}`);
  let label: string;
  try {
    label = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    throw badInput('otpauth URI: the label holds a malformed percent-escape');
  }
  const colon = label.indexOf(':');
  const labelIssuer = colon === -1 ? undefined : label.slice(0, colon).trim();
  const account = (colon === -1 ? label : label.slice(colon + 1)).trim();
  const p = url.searchParams;
  const secretText = p.get('secret');
  if (secretText === null || secretText === '') throw badInput('otpauth URI: the secret parameter is missing');
  const secret = base32Decode(secretText);
  const issuerParam = p.get('issuer') ?? undefined;
  if (issuerParam !== undefined && labelIssuer !== undefined && issuerParam !== labelIssuer) {
    throw badInput(`otpauth URI: the label issuer ${JSON.stringify(labelIssuer)} differs from the issuer parameter ${JSON.stringify(issuerParam)}`);
  }
  const issuer = issuerParam ?? labelIssuer;
  const algorithm = p.has('algorithm') ? parseHashAlgorithm(p.get('algorithm')!) : 'SHA1';
  const digits = p.has('digits') ? intParam(p.get('digits')!, 'digits') : 6;
  try {
    checkDigits(digits);
  } catch {
    throw badInput(`otpauth URI: digits must be 6 to 10, got ${digits}`);
  }
  const period = p.has('period') ? intParam(p.get('period')!, 'period') : 30;
  if (period < 1 || period > MAX_PERIOD_SECONDS) throw badInput(`otpauth URI: period must be 1 to ${MAX_PERIOD_SECONDS} seconds, got ${p.get('period')!.slice(0, 30)}`);
  const uri: OtpAuthUri = { type, secret, account, algorithm, digits, period };
  if (issuer !== undefined && issuer !== '') uri.issuer = issuer;
  if (type === 'hotp') {
    const c = p.get('counter');
    if (c === null) throw badInput('otpauth URI: an hotp URI needs a counter parameter');
    if (!/^\d+$/.test(c) || BigInt(c) >= 1n << 64n) throw badInput(`otpauth URI: counter must be a 64-bit unsigned integer, got ${JSON.stringify(c)}`);
    uri.counter = BigInt(c);
  }
  return uri;
}

function intParam(v: string, name: string): number {
  if (!/^\d+$/.test(v)) throw badInput(`otpauth URI: ${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

/**
 * Write an otpauth:// URI. Defaults (SHA1, 6 digits, 30 s) are written too: some apps need them.
 *
 * @example
 * ```ts
 * formatOtpAuthUri({ type: 'totp', secret, account: 'alice', issuer: 'ACME', algorithm: 'SHA1', digits: 6, period: 30 });
 * // 'otpauth://totp/ACME:alice?secret=...&issuer=ACME&algorithm=SHA1&digits=6&period=30'
 * ```
 */
export function formatOtpAuthUri(uri: OtpAuthUri): string {
  const label = uri.issuer === undefined ? encodeURIComponent(uri.account) : `${encodeURIComponent(uri.issuer)}:${encodeURIComponent(uri.account)}`;
  const params = [`secret=${base32Encode(uri.secret, { padding: false })}`];
  if (uri.issuer !== undefined) params.push(`issuer=${encodeURIComponent(uri.issuer)}`);
  params.push(`algorithm=${uri.algorithm}`, `digits=${uri.digits}`);
  if (uri.type === 'totp') params.push(`period=${uri.period}`);
  else params.push(`counter=${(uri.counter ?? 0n).toString()}`);
  return `otpauth://${uri.type}/${label}?${params.join('&')}`;
}
