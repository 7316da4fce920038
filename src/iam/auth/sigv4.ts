/**
 * AWS Signature Version 4 (the "Signature Version 4 signing process" of the AWS General
 * Reference): the canonical request, the string to sign, the signing key and the signature,
 * shared by the endpoint (which verifies) and the small Query client (which signs).
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
 *                      SignedHeaders \n hex(SHA256(payload))
 *   StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n Scope \n hex(SHA256(CanonicalRequest))
 *   kSigning         = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
 *   Signature        = hex(HMAC(kSigning, StringToSign))
 *
 * @example
 * ```ts
 * const headers = signRequest({ method: 'POST', url, headers: { 'content-type': FORM }, body,
 *   credentials: { accessKeyId, secretAccessKey }, region: 'us-east-1', service: 'iam', now: Date.now() });
 * ```
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const TERMINATOR = 'aws4_request';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** crypto.hash (Node 20.12+): one call, a third of createHash().update().digest()'s cost here. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  return oneShot === undefined ? createHash('sha256').update(data).digest('hex') : oneShot('sha256', data, 'hex');
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ as %XY (upper case). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a (decoded) path: dot segments resolved, empty segments dropped, each
 * segment URI-encoded (the non-S3 rule the AWS SDKs follow).
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** The canonical query string of decoded pairs: encoded, sorted by name then value. */
export function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** A header value as it enters the canonical request: trimmed, inner runs of spaces folded. */
function canonicalValue(value: string): string {
  const v = value.trim();
  return /\s\s|[\t\n\r\f\v]/.test(v) ? v.replace(/\s+/g, ' ') : v;
}

/**
 * The canonical headers block for `signed` (lower-case names, sorted) from a header list that
 * may repeat names (repeated values are joined with commas). Undefined when a signed header
 * is missing.
 */
export function canonicalHeaders(headers: ReadonlyMap<string, string[]>, signed: readonly string[]): string | undefined {
  let out = '';
  for (const name of signed) {
    const values = headers.get(name);
    if (values === undefined) return undefined;
    out += `${name}:${values.map(canonicalValue).join(',')}\n`;
  }
  return out;
}

export function canonicalRequest(method: string, uri: string, query: string, headers: string, signedHeaders: string, payloadHash: string): string {
  return `${method}\n${uri}\n${query}\n${headers}\n${signedHeaders}\n${payloadHash}`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequestText)}`;
}

/** The signing key of (secret, date, region, service). */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(TERMINATOR).digest();
}

/**
 * Signing keys are the same for a whole day: a bounded cache saves four HMACs a request.
 * Keyed by the secret itself, so a rotated or deleted key never finds a stale entry.
 */
export class SigningKeyCache {
  readonly #max: number;
  readonly #keys = new Map<string, Buffer>();

  constructor(max = 8192) {
    this.#max = max;
  }

  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const id = `${date}/${region}/${service}/${secretAccessKey}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = signingKey(secretAccessKey, date, region, service);
      if (this.#keys.size >= this.#max) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(id, key);
    }
    return key;
  }
}

export function signatureHex(key: Uint8Array, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/** `20240102T030405Z` for a time in milliseconds. */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export interface SignInput {
  method: string;
  url: URL;
  /** Headers to send and sign (names any case); host and x-amz-date are added. */
  headers: Record<string, string>;
  body: string;
  credentials: Credentials;
  region: string;
  service: string;
  now: number;
}

/**
 * The headers of a signed request (the given ones plus host, x-amz-date, the session token
 * when there is one, and Authorization), every header signed.
 */
export function signRequest(input: SignInput): Record<string, string> {
  const date = amzDate(input.now);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers.host = input.url.host;
  headers['x-amz-date'] = date;
  if (input.credentials.sessionToken !== undefined) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const signed = Object.keys(headers).sort();
  const map = new Map(signed.map((k) => [k, [headers[k]!]]));
  const scope = `${date.slice(0, 8)}/${input.region}/${input.service}/${TERMINATOR}`;
  const request = canonicalRequest(
    input.method,
    canonicalUri(decodeURIComponent(input.url.pathname)),
    canonicalQuery([...input.url.searchParams]),
    canonicalHeaders(map, signed)!,
    signed.join(';'),
    sha256Hex(input.body),
  );
  const signature = signatureHex(signingKey(input.credentials.secretAccessKey, date.slice(0, 8), input.region, input.service), stringToSign(date, scope, request));
  headers.authorization = `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return headers;
}
