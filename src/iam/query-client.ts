/**
 * A small AWS Query client (SigV4-signed form POSTs, XML answers) for the helpers that call
 * IAM themselves, against this endpoint or AWS (`tokenrig iam enroll-token`). The AWS SDKs
 * are test tools here, not runtime dependencies; this client is what the CLI ships with.
 * An error answer becomes a TokenrigError whose `wireCode` is AWS's code.
 *
 * @example
 * ```ts
 * const iam = new IamQueryClient({ endpoint: 'https://iam.amazonaws.com', service: 'iam', region: 'us-east-1', credentials });
 * await iam.call('EnableMFADevice', { UserName: 'alice', SerialNumber: 'GAKT12345678', AuthenticationCode1: c1, AuthenticationCode2: c2 });
 * ```
 */
import { type Clock, systemClock } from '../clock/index.js';
import { type ErrorCode, TokenrigError } from '../errors.js';
import { type Credentials, signRequest } from './auth/sigv4.js';
import { XmlChildStream, type XmlElement } from '../seeds/xml-stream.js';
import { SERVICES } from './wire/query-response.js';

export interface QueryClientOptions {
  endpoint: string;
  service: 'iam' | 'sts';
  region: string;
  credentials: Credentials;
  clock?: Clock;
  timeoutMs?: number;
}

/** An error document's content. */
export interface AwsErrorReply {
  status: number;
  code: string;
  message: string;
  requestId: string | undefined;
}

const REJECTED_CODES = new Set(['InvalidAuthenticationCode', 'AccessDenied', 'SignatureDoesNotMatch', 'InvalidClientTokenId', 'ExpiredToken', 'MissingAuthenticationToken', 'IncompleteSignature']);

/** The TokenrigError code for an AWS error: refusals, missing entities, bad input, service faults. */
export function errorCodeFor(reply: AwsErrorReply): ErrorCode {
  if (REJECTED_CODES.has(reply.code)) return 'REJECTED';
  if (reply.code === 'NoSuchEntity') return 'NOT_FOUND';
  if (reply.status >= 500) return 'DEVICE';
  return 'BAD_INPUT';
}

/** An answer as far as a caller reads it: the text of its elements by name. */
export class QueryAnswer {
  readonly #children: readonly XmlElement[];

  private constructor(children: readonly XmlElement[]) {
    this.#children = children;
  }

  /**
   * Parse an answer (strict XML, bounded depth and text: seeds/xml-stream.ts). Every Query
   * answer is one element whose children (`<Error>`, `<RequestId>`, `<...Result>`,
   * `<ResponseMetadata>`) hold what callers read.
   */
  static parse(xml: string): QueryAnswer {
    const children: XmlElement[] = [];
    const stream = new XmlChildStream(() => undefined, (child) => children.push(child));
    stream.write(xml);
    stream.close();
    return new QueryAnswer(children);
  }

  /** The text of the first element named `localName`, in document order; undefined when none. */
  text(localName: string): string | undefined {
    const stack = [...this.#children].reverse();
    while (stack.length > 0) {
      const el = stack.pop()!;
      if (el.localName === localName) return el.textContent;
      for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
    }
    return undefined;
  }

  /** The answer's request ID (`<RequestId>`, in ResponseMetadata or the error document). */
  get requestId(): string | undefined {
    return this.text('RequestId');
  }
}

export class IamQueryClient {
  readonly #o: QueryClientOptions;

  constructor(options: QueryClientOptions) {
    new URL(options.endpoint);
    this.#o = options;
  }

  /** Call `action` with `params`; resolves with the answer. */
  async call(action: string, params: Record<string, string>): Promise<QueryAnswer> {
    const url = new URL(this.#o.endpoint);
    if (url.pathname === '') url.pathname = '/';
    const body = new URLSearchParams({ Action: action, Version: SERVICES[this.#o.service].version, ...params }).toString();
    const headers = signRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
      credentials: this.#o.credentials,
      region: this.#o.region,
      service: this.#o.service,
      now: (this.#o.clock ?? systemClock).now(),
    });
    delete headers.host;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      if (cause === 'TimeoutError') throw new TokenrigError('TIMEOUT', `${this.#o.endpoint}: no answer to ${action} within ${this.#o.timeoutMs ?? 30_000} ms`, { cause: e });
      throw new TokenrigError('NOT_FOUND', `${this.#o.endpoint}: cannot reach it (${cause})`, { cause: e });
    }
    const xml = await res.text();
    let answer: QueryAnswer;
    try {
      answer = QueryAnswer.parse(xml);
    } catch (e) {
      throw new TokenrigError('PROTOCOL', `${this.#o.endpoint}: ${action} answered HTTP ${res.status} with a body that is not XML`, { cause: e });
    }
    if (res.ok) return answer;
    const reply: AwsErrorReply = { status: res.status, code: answer.text('Code') ?? `HTTP${res.status}`, message: answer.text('Message') ?? res.statusText, requestId: answer.requestId };
    throw new TokenrigError(errorCodeFor(reply), `${action}: ${reply.code}: ${reply.message} (HTTP ${reply.status}${reply.requestId === undefined ? '' : `, request ${reply.requestId}`})`, { wireCode: reply.code });
  }
}
