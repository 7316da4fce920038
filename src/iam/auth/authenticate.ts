/**
 * Who signed a request, checked as AWS checks it: SigV4 in the Authorization header (what the
 * SDKs and the CLI send) or in the query string (a presigned URL); the access key must be known
 * (a long-term key of the root or a user, or temporary credentials with their session token),
 * the credential scope must name this service, the time must be within 5 minutes, and the
 * signature must match. Refusals carry AWS's codes: MissingAuthenticationToken,
 * IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken.
 */
import { timingSafeEqual } from 'node:crypto';
import { AwsError } from '../wire/aws-error.js';
import type { ServiceName } from '../wire/query-response.js';
import type { Principal } from '../principal.js';
import type { IamStore } from '../store/iam-store.js';
import {
  ALGORITHM,
  type SigningKeyCache,
  TERMINATOR,
  amzDate,
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  sha256Hex,
  signatureHex,
  stringToSign,
} from './sigv4.js';

/** What authentication needs of an HTTP request. */
export interface SignedRequest {
  method: string;
  /** The path as received (percent-encoded). */
  path: string;
  /** Decoded query pairs in order. */
  query: readonly (readonly [string, string])[];
  /** Lower-case header names to their values (repeated headers keep every value). */
  headers: ReadonlyMap<string, string[]>;
  body: Uint8Array;
}

/** AWS allows 5 minutes between the request's time and its own. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

/** The messages differ between the two services (IAM's has no final period). */
const INVALID_TOKEN: Record<ServiceName, string> = {
  iam: 'The security token included in the request is invalid',
  sts: 'The security token included in the request is invalid.',
};
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export function invalidClientToken(service: ServiceName): AwsError {
  return new AwsError('InvalidClientTokenId', INVALID_TOKEN[service]);
}

interface Signature {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  sessionToken: string | undefined;
  /** Presigned: seconds the URL is valid for. */
  expires: number | undefined;
  /** The query pairs that enter the canonical query string. */
  query: readonly (readonly [string, string])[];
}

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignature', message);
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers.get(name);
  return v === undefined ? undefined : v.join(',');
}

/** `Date` header (RFC 7231) to `YYYYMMDDTHHMMSSZ`, or undefined. */
function fromHttpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : amzDate(ms);
}

function splitCredential(credential: string): Pick<Signature, 'accessKeyId' | 'date' | 'region' | 'service' | 'terminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

function parseSignature(req: SignedRequest): Signature {
  const authorization = header(req, 'authorization');
  const algorithmParam = req.query.find(([k]) => k === 'X-Amz-Algorithm')?.[1];
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const algorithm = space < 0 ? authorization : authorization.slice(0, space);
    if (algorithm !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'. Use ${ALGORITHM}.`);
    const fields = new Map<string, string>();
    for (const part of authorization.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((f) => !fields.has(f)).map((f) => `Authorization header requires '${f}' parameter.`);
    const date = header(req, 'x-amz-date') ?? fromHttpDate(header(req, 'date'));
    if (date === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (missing.length > 0) throw incomplete(`${missing.join(' ')} Authorization=${authorization}`);
    return {
      ...splitCredential(fields.get('Credential')!),
      signedHeaders: fields.get('SignedHeaders')!.split(';'),
      signature: fields.get('Signature')!,
      amzDate: date!,
      sessionToken: header(req, 'x-amz-security-token'),
      expires: undefined,
      query: req.query,
    };
  }
  if (algorithmParam !== undefined) {
    if (algorithmParam !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithmParam}'. Use ${ALGORITHM}.`);
    const q = new Map(req.query);
    const missing = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'].filter((f) => !q.has(f));
    if (missing.length > 0) throw incomplete(`AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.`);
    const expiresText = q.get('X-Amz-Expires');
    const expires = expiresText === undefined ? 900 : Number(expiresText);
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) throw incomplete('X-Amz-Expires must be a whole number of seconds from 1 to 604800.');
    return {
      ...splitCredential(q.get('X-Amz-Credential')!),
      signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
      signature: q.get('X-Amz-Signature')!,
      amzDate: q.get('X-Amz-Date')!,
      sessionToken: q.get('X-Amz-Security-Token') ?? header(req, 'x-amz-security-token'),
      expires,
      query: req.query.filter(([k]) => k !== 'X-Amz-Signature'),
    };
  }
  throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token');
}

/** `YYYYMMDDTHHMMSSZ` to ms, or NaN. */
function amzDateMs(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m === null ? NaN : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function checkTime(sig: Signature, nowMs: number): void {
  const at = amzDateMs(sig.amzDate);
  if (Number.isNaN(at)) throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${sig.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (sig.date !== sig.amzDate.slice(0, 8)) {
    throw new AwsError('SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.date}' != '${sig.amzDate.slice(0, 8)}', from 'X-Amz-Date'.`);
  }
  const now = (): string => amzDate(nowMs);
  if (sig.expires !== undefined) {
    if (nowMs > at + sig.expires * 1000) throw new AwsError('SignatureDoesNotMatch', `Signature expired: ${sig.amzDate} is now earlier than ${amzDate(nowMs - sig.expires * 1000)} (${now()} - ${sig.expires} sec.)`);
    if (at > nowMs + MAX_SKEW_MS) throw new AwsError('SignatureDoesNotMatch', `Signature not yet current: ${sig.amzDate} is still later than ${amzDate(nowMs + MAX_SKEW_MS)} (${now()} + 5 min.)`);
    return;
  }
  if (at < nowMs - MAX_SKEW_MS) throw new AwsError('SignatureDoesNotMatch', `Signature expired: ${sig.amzDate} is now earlier than ${amzDate(nowMs - MAX_SKEW_MS)} (${now()} - 5 min.)`);
  if (at > nowMs + MAX_SKEW_MS) throw new AwsError('SignatureDoesNotMatch', `Signature not yet current: ${sig.amzDate} is still later than ${amzDate(nowMs + MAX_SKEW_MS)} (${now()} + 5 min.)`);
}

function equalHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The secret of a key and the principal it stands for, from the store. */
function lookup(store: IamStore, sig: Signature, service: ServiceName, nowMs: number): { secret: string; principal: Principal } {
  const key = store.getAccessKey(sig.accessKeyId);
  if (key !== undefined) {
    if (key.status !== 'Active') throw invalidClientToken(service);
    if (key.userName === null) return { secret: key.secret, principal: { kind: 'root', accessKeyId: key.accessKeyId } };
    const user = store.getUser(key.userName);
    if (user === undefined) throw invalidClientToken(service);
    return { secret: key.secret, principal: { kind: 'user', accessKeyId: key.accessKeyId, user } };
  }
  const session = store.getSession(sig.accessKeyId);
  if (session === undefined || sig.sessionToken === undefined || !equalHex(session.token, sig.sessionToken)) throw invalidClientToken(service);
  if (session.expiration <= nowMs) throw new AwsError('ExpiredToken', 'The security token included in the request is expired');
  if (session.kind === 'role') {
    const role = session.roleName === null ? undefined : store.getRole(session.roleName);
    if (role === undefined || role.roleId !== session.roleId) throw invalidClientToken(service);
    return {
      secret: session.secret,
      principal: { kind: 'role', accessKeyId: session.accessKeyId, role, sessionName: session.sessionName ?? '', mfaAuthTime: session.mfaAuthTime, sourceIdentity: session.sourceIdentity },
    };
  }
  let user = null;
  if (session.userName !== null) {
    user = store.getUser(session.userName) ?? null;
    if (user === null) throw invalidClientToken(service);
  }
  return { secret: session.secret, principal: { kind: 'session', accessKeyId: session.accessKeyId, user, mfaAuthTime: session.mfaAuthTime } };
}

/**
 * The principal that signed `req` for `service`, or the AwsError AWS would answer. The
 * signature's time is checked against `requestNowMs`, temporary credentials' expiry against
 * `nowMs` (the clock that issued them).
 */
export function authenticate(req: SignedRequest, service: ServiceName, store: IamStore, keys: SigningKeyCache, requestNowMs: number, nowMs: number = requestNowMs): Principal {
  const sig = parseSignature(req);
  if (sig.terminator !== TERMINATOR) throw new AwsError('SignatureDoesNotMatch', `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${sig.terminator}'. `);
  if (sig.service !== service) throw new AwsError('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'. `);
  if (!sig.signedHeaders.includes('host')) throw new AwsError('SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  checkTime(sig, requestNowMs);
  const { secret, principal } = lookup(store, sig, service, nowMs);

  const bodyHash = sha256Hex(req.body);
  const claimed = header(req, 'x-amz-content-sha256');
  // A claimed payload hash must be the body's: a signature over a hash says nothing of a body that differs.
  if (claimed !== undefined && claimed !== bodyHash) throw new AwsError('SignatureDoesNotMatch', MISMATCH);
  const headers = canonicalHeaders(req.headers, sig.signedHeaders);
  if (headers === undefined) throw new AwsError('SignatureDoesNotMatch', MISMATCH);
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    throw new AwsError('SignatureDoesNotMatch', MISMATCH);
  }
  const request = canonicalRequest(req.method, canonicalUri(path), canonicalQuery(sig.query), headers, sig.signedHeaders.join(';'), bodyHash);
  const scope = `${sig.date}/${sig.region}/${sig.service}/${sig.terminator}`;
  const expected = signatureHex(keys.get(secret, sig.date, sig.region, sig.service), stringToSign(sig.amzDate, scope, request));
  if (!equalHex(expected, sig.signature)) throw new AwsError('SignatureDoesNotMatch', MISMATCH);
  return principal;
}

/** The service a request's credential scope names, if it can be read (to shape an early error). */
export function scopedService(req: SignedRequest): ServiceName | undefined {
  try {
    const s = parseSignature(req).service;
    return s === 'iam' || s === 'sts' ? s : undefined;
  } catch {
    return undefined;
  }
}
