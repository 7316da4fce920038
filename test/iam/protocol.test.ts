/**
 * The wire: SigV4 against AWS's published vectors (signing and verifying), and the Query
 * protocol's documents, headers and statuses as they go over a real socket: success and
 * error layouts, request IDs, refusals of unsigned, mis-scoped, stale, tampered and oversized
 * requests, GET and presigned (query-string) requests.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, type SignedRequest } from '../../src/iam/auth/authenticate.js';
import { ALGORITHM, SigningKeyCache, amzDate, canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, sha256Hex, signRequest, signatureHex, signingKey, stringToSign } from '../../src/iam/auth/sigv4.js';
import { AwsError, IamStore } from '../../src/iam/index.js';
import { type IamHarness, startIamHarness } from '../support/iam-harness.js';

interface Vector {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  region: string;
  service: string;
  signingKey?: string;
  authorization: string;
}
const SUITE = JSON.parse(readFileSync(resolve(import.meta.dirname, '../vectors/sigv4-aws-test-suite.json'), 'utf8')) as {
  accessKeyId: string;
  secretAccessKey: string;
  date: string;
  vectors: Vector[];
};
const SUITE_MS = Date.UTC(2015, 7, 30, 12, 36, 0);
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

describe('SigV4 against the AWS test suite', () => {
  const credentials = { accessKeyId: SUITE.accessKeyId, secretAccessKey: SUITE.secretAccessKey };

  it.each(SUITE.vectors)('signs $name', (v) => {
    const headers = signRequest({ method: v.method, url: new URL(v.url), headers: v.headers, body: '', credentials, region: v.region, service: v.service, now: SUITE_MS });
    expect(headers['x-amz-date']).toBe(SUITE.date);
    expect(headers.authorization).toBe(v.authorization);
    if (v.signingKey !== undefined) expect(signingKey(SUITE.secretAccessKey, '20150830', v.region, v.service).toString('hex')).toBe(v.signingKey);
  });

  it('the endpoint accepts the IAM example request, and refuses it altered in any signed part', () => {
    const store = IamStore.open(':memory:');
    store.insertAccessKey({ accessKeyId: SUITE.accessKeyId, secret: SUITE.secretAccessKey, userName: null, status: 'Active', createDate: 0 });
    const v = SUITE.vectors.find((x) => x.service === 'iam')!;
    const url = new URL(v.url);
    const request = (over: Partial<SignedRequest> = {}, headers: Record<string, string> = {}): SignedRequest => ({
      method: 'GET',
      path: url.pathname,
      query: [...url.searchParams],
      headers: new Map(Object.entries({ host: url.host, 'content-type': FORM, 'x-amz-date': SUITE.date, authorization: v.authorization, ...headers }).map(([k, x]) => [k, [x]])),
      body: new Uint8Array(0),
      ...over,
    });
    const keys = new SigningKeyCache();
    expect(authenticate(request(), 'iam', store, keys, SUITE_MS)).toMatchObject({ kind: 'root', accessKeyId: SUITE.accessKeyId });
    const refused = (r: SignedRequest): string => {
      try {
        authenticate(r, 'iam', store, keys, SUITE_MS);
      } catch (e) {
        if (e instanceof AwsError) return e.code;
        throw e;
      }
      return 'accepted';
    };
    expect(refused(request({ query: [['Action', 'ListRoles'], ['Version', '2010-05-08']] }))).toBe('SignatureDoesNotMatch');
    expect(refused(request({ method: 'POST' }))).toBe('SignatureDoesNotMatch');
    expect(refused(request({ body: new TextEncoder().encode('x') }))).toBe('SignatureDoesNotMatch');
    expect(refused(request({}, { 'content-type': 'text/plain' }))).toBe('SignatureDoesNotMatch');
    expect(refused(request({}, { authorization: v.authorization.replace('AKIDEXAMPLE', 'AKIDUNKNOWNKEY00') }))).toBe('InvalidClientTokenId');
    expect(refused(request({}, { authorization: v.authorization.replace('/iam/', '/sts/') }))).toBe('SignatureDoesNotMatch');
    const { authorization: _, ...unsigned } = Object.fromEntries(request().headers);
    expect(refused({ ...request(), headers: new Map(Object.entries(unsigned)) })).toBe('MissingAuthenticationToken');
    void store.close();
  });
});

describe('the Query protocol on the wire', () => {
  let h: IamHarness;
  beforeAll(async () => {
    h = await startIamHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function send(params: Record<string, string>, o: { now?: number; service?: string; region?: string; secret?: string; tamper?: (body: string) => string; method?: 'GET' | 'POST' } = {}): Promise<{ status: number; headers: Headers; text: string }> {
    const method = o.method ?? 'POST';
    const body = method === 'POST' ? new URLSearchParams(params).toString() : '';
    const url = new URL(h.url);
    if (method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const headers = signRequest({
      method,
      url,
      headers: { 'content-type': FORM },
      body,
      credentials: { accessKeyId: h.root.accessKeyId, secretAccessKey: o.secret ?? h.root.secretAccessKey },
      region: o.region ?? 'us-east-1',
      service: o.service ?? 'iam',
      now: o.now ?? Date.now(),
    });
    delete headers.host;
    const res = await fetch(url, { method, headers, ...(method === 'POST' ? { body: o.tamper?.(body) ?? body } : {}) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  const errorLayout = (ns: string, code: string, message: string): RegExp =>
    new RegExp(
      `^<ErrorResponse xmlns="${ns.replace(/[.]/g, '\\.')}">\\n  <Error>\\n    <Type>Sender</Type>\\n    <Code>${code}</Code>\\n    <Message>${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</Message>\\n  </Error>\\n  <RequestId>([0-9a-f-]{36})</RequestId>\\n</ErrorResponse>\\n$`,
    );
  const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
  const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

  it('a success is <ActionResponse><ActionResult>…<ResponseMetadata><RequestId>, text/xml, the same ID in x-amzn-RequestId', async () => {
    const r = await send({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'wire' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/xml');
    const id = r.headers.get('x-amzn-requestid')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.text).toMatch(new RegExp(`^<CreateUserResponse xmlns="${IAM_NS}">\\n  <CreateUserResult><User><Path>/</Path><UserName>wire</UserName>`));
    expect(r.text).toContain(`<ResponseMetadata>\n    <RequestId>${id}</RequestId>\n  </ResponseMetadata>\n</CreateUserResponse>\n`);
    // An action without output answers only its metadata.
    const d = await send({ Action: 'DeleteUser', Version: '2010-05-08', UserName: 'wire' });
    expect(d.text).toBe(`<DeleteUserResponse xmlns="${IAM_NS}">\n  <ResponseMetadata>\n    <RequestId>${d.headers.get('x-amzn-requestid')}</RequestId>\n  </ResponseMetadata>\n</DeleteUserResponse>\n`);
  });

  it('an error is <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>, laid out as AWS lays it out', async () => {
    const r = await send({ Action: 'GetUser', Version: '2010-05-08', UserName: 'nobody' });
    expect(r.status).toBe(404);
    const m = errorLayout(IAM_NS, 'NoSuchEntity', 'The user with name nobody cannot be found.').exec(r.text);
    expect(m?.[1]).toBe(r.headers.get('x-amzn-requestid'));
    const s = await send({ Action: 'GetSessionToken', Version: '2011-06-15', SerialNumber: 'GAKT00000000', TokenCode: '123456' }, { service: 'sts' });
    expect(s.status).toBe(403);
    expect(s.text).toMatch(errorLayout(STS_NS, 'AccessDenied', 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.'));
  });

  it('an unknown action, or an action under the other service version, is 400 InvalidAction', async () => {
    const r = await send({ Action: 'Frobnicate', Version: '2010-05-08' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(errorLayout(IAM_NS, 'InvalidAction', 'Could not find operation Frobnicate for version 2010-05-08'));
    const v = await send({ Action: 'ListUsers', Version: '2011-06-15' });
    expect(v.text).toMatch(errorLayout(IAM_NS, 'InvalidAction', 'Could not find operation ListUsers for version 2011-06-15'));
  });

  it('refuses an unsigned request (403 MissingAuthenticationToken)', async () => {
    const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': FORM }, body: 'Action=ListUsers&Version=2010-05-08' });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(errorLayout(IAM_NS, 'MissingAuthenticationToken', 'Request is missing Authentication Token'));
  });

  it('refuses a signature more than 5 minutes old, a wrong scope, a wrong secret and a body changed after signing', async () => {
    const old = Date.now() - 10 * 60_000;
    const stale = await send({ Action: 'ListUsers', Version: '2010-05-08' }, { now: old });
    expect(stale.status).toBe(403);
    expect(stale.text).toMatch(/<Code>SignatureDoesNotMatch<\/Code>\n {4}<Message>Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)<\/Message>/);
    expect(stale.text).toContain(`Signature expired: ${amzDate(old)} is now earlier than`);
    const scoped = await send({ Action: 'ListUsers', Version: '2010-05-08' }, { service: 'sts' });
    expect(scoped.text).toContain("<Message>Credential should be scoped to correct service: 'iam'. </Message>");
    const wrong = await send({ Action: 'ListUsers', Version: '2010-05-08' }, { secret: 'not-the-secret' });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const tampered = await send({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'mallory' }, { tamper: (b) => b.replace('mallory', 'mallorx') });
    expect(tampered.status).toBe(403);
    expect((await send({ Action: 'GetUser', Version: '2010-05-08', UserName: 'mallorx' })).status).toBe(404);
  });

  it('serves GET requests with the parameters in the query string, and presigned (query-signed) URLs', async () => {
    const r = await send({ Action: 'ListUsers', Version: '2010-05-08' }, { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<ListUsersResponse');

    const presign = (now: number, expires: number): URL => {
      const url = new URL(h.url);
      const date = amzDate(now);
      const scope = `${date.slice(0, 8)}/us-east-1/sts/aws4_request`;
      const q: [string, string][] = [
        ['Action', 'GetCallerIdentity'],
        ['Version', '2011-06-15'],
        ['X-Amz-Algorithm', ALGORITHM],
        ['X-Amz-Credential', `${h.root.accessKeyId}/${scope}`],
        ['X-Amz-Date', date],
        ['X-Amz-Expires', String(expires)],
        ['X-Amz-SignedHeaders', 'host'],
      ];
      const canonical = canonicalRequest('GET', canonicalUri('/'), canonicalQuery(q), canonicalHeaders(new Map([['host', [url.host]]]), ['host'])!, 'host', sha256Hex(''));
      const signature = signatureHex(signingKey(h.root.secretAccessKey, date.slice(0, 8), 'us-east-1', 'sts'), stringToSign(date, scope, canonical));
      for (const [k, v] of q) url.searchParams.set(k, v);
      url.searchParams.set('X-Amz-Signature', signature);
      return url;
    };
    const ok = await fetch(presign(Date.now(), 60));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(`<Arn>arn:aws:iam::${h.account}:root</Arn>`);
    const expired = await fetch(presign(Date.now() - 120_000, 60));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Signature expired');
  });

  it('refuses a body over 1 MiB with 413 before reading the rest', async () => {
    const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': FORM }, body: `Action=ListUsers&Version=2010-05-08&Pad=${'x'.repeat(1024 * 1024 + 10)}` });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('<Code>RequestEntityTooLarge</Code>');
  });
});
