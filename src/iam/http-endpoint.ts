/**
 * The endpoint on HTTP: node:http on loopback (127.0.0.1 unless told otherwise), POST form
 * bodies or GET query strings in, text/xml out with AWS's headers (`x-amzn-RequestId`).
 * Bodies are bounded (1 MiB by default: IAM's largest input, a policy document, is 128 KiB).
 *
 * @example
 * ```ts
 * const endpoint = await IamHttpEndpoint.listen(service, { port: 0 });
 * new IAMClient({ endpoint: endpoint.url, region: 'us-east-1', credentials });
 * ```
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IamService, ServiceResponse } from './iam-service.js';
import { AwsError } from './wire/aws-error.js';
import { errorXml } from './wire/query-response.js';

export interface EndpointOptions {
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  /** Called after each answer (the CLI's request events). */
  onResponse?: (r: ServiceResponse & { ms: number }) => void;
}

export const DEFAULT_MAX_BODY = 1024 * 1024;

/** Header names (lower case) to every value they came with, from Node's raw header list. */
function headerMap(raw: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const list = out.get(name);
    if (list === undefined) out.set(name, [raw[i + 1]!]);
    else list.push(raw[i + 1]!);
  }
  return out;
}

function send(res: ServerResponse, r: { status: number; body: string; requestId: string }): void {
  const body = Buffer.from(r.body, 'utf8');
  // node:http adds the Date header itself (cached for the second).
  res.writeHead(r.status, { 'x-amzn-RequestId': r.requestId, 'Content-Type': 'text/xml', 'Content-Length': body.length });
  res.end(body);
}

export class IamHttpEndpoint {
  readonly #server: Server;
  readonly host: string;
  readonly port: number;

  private constructor(server: Server, host: string, port: number) {
    this.#server = server;
    this.host = host;
    this.port = port;
  }

  /** The URL to point SDKs and the CLI at. */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  static async listen(service: IamService, options: EndpointOptions = {}): Promise<IamHttpEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const server = createServer((req, res) => void handle(service, req, res, maxBody, options.onResponse));
    // SDK clients keep connections open between calls that may be many seconds apart (a test
    // waiting for the next TOTP step): Node's 5 s would close them under a client about to
    // reuse one ("socket hang up"). close() drops idle connections at once anyway.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new IamHttpEndpoint(server, host, (server.address() as AddressInfo).port);
  }

  /** Stop listening; requests in flight finish (and are answered) first. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }
}

/** The body of `req`, or undefined when it is larger than `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  // Plain 'data'/'end' listeners: an async iterator over the stream costs a promise a chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

async function handle(service: IamService, req: IncomingMessage, res: ServerResponse, maxBody: number, onResponse: EndpointOptions['onResponse']): Promise<void> {
  const started = performance.now();
  let body: Buffer | undefined;
  try {
    body = await readBody(req, maxBody);
  } catch {
    res.destroy();
    return;
  }
  let r: ServiceResponse;
  if (body === undefined) {
    const requestId = crypto.randomUUID();
    const error = new AwsError('RequestEntityTooLarge', `Request body is larger than ${maxBody} bytes.`);
    r = { status: error.status, body: errorXml('iam', error, requestId), requestId, action: undefined, errorCode: error.code };
    res.shouldKeepAlive = false;
  } else {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    r = await service.handle({
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))],
      headers: headerMap(req.rawHeaders),
      body,
    });
  }
  send(res, r);
  onResponse?.({ ...r, ms: performance.now() - started });
}
