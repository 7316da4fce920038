/**
 * The rig's HTTP server on loopback: the control API (routes.ts) behind a bearer token, live
 * events as Server-Sent Events, the OpenAPI document, and the dashboard's built files (from
 * the package's dist/ui, no CDN) when asked for.
 *
 * A request without the token is refused (401) before anything else: another local user
 * cannot press someone's token. The dashboard is static and holds no secret; it reads the
 * token from its URL's fragment (`/#token=...`), which browsers never send to a server.
 *
 * @example
 * ```ts
 * const server = await RigServer.listen(rig, { port: 0, ui: true });
 * server.apiUrl; // 'http://127.0.0.1:41234/api'
 * server.token;  // the bearer token
 * await server.close();
 * ```
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { hostPortSpec } from '../../sim/endpoints.js';
import type { Rig, RigEvent } from '../rig.js';
import type { DeviceState, RigStreamEvent } from '../rig-state.js';
import { schemaChecker, validateDeviceEntry } from '../rig-file.js';
import { openApiDocument } from './openapi.js';
import { ROUTES, type Route } from './routes.js';
import { SCHEMAS } from './schemas.js';

export interface RigServerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (0: any free port). */
  port?: number;
  /** Serve the dashboard at `/`. */
  ui?: boolean;
  /** Where the dashboard's built files are (default the package's dist/ui); tests pass a fresh build. */
  uiDir?: string;
  /** The bearer token (default: 32 random bytes, base64url). */
  token?: string;
}

/** The largest request body taken (a device entry is a few hundred bytes). */
const MAX_BODY = 1 << 20;
/** A client that lets this much of the event stream pile up unread is dropped (it reconnects). */
const MAX_EVENT_BACKLOG = 8 << 20;
const KEEPALIVE_MS = 15_000;

const HTTP_STATUS: Readonly<Partial<Record<ErrorCode | 'UNAUTHORIZED', number>>> = {
  BAD_INPUT: 400,
  BAD_FILE: 400,
  UNAUTHORIZED: 401,
  REJECTED: 403,
  NOT_FOUND: 404,
  UNSUPPORTED: 409,
  DEVICE: 409,
  BUSY: 409,
  CLOSED: 409,
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** The package's root (where package.json is), from this module in src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'tokenrig') return dir;
    } catch {
      // not here: one folder up
    }
    const up = dirname(dir);
    if (up === dir) throw new TokenrigError(ErrorCode.NOT_FOUND, 'cannot find the tokenrig package root');
    dir = up;
  }
}

/** The package's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

interface CompiledRoute {
  route: Route;
  method: string;
  pattern: RegExp;
  names: string[];
  check: ((v: unknown) => unknown) | undefined;
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), '([^/]+)'))}$`);
  let check: ((v: unknown) => unknown) | undefined;
  const ref = (route.body as { $ref?: string } | undefined)?.$ref;
  if (ref === '#/components/schemas/DeviceEntry') check = (v) => validateDeviceEntry(v, 'body');
  else if (ref !== undefined) check = schemaChecker(SCHEMAS[ref.split('/').pop() as keyof typeof SCHEMAS], 'body');
  else if (route.body !== undefined) check = schemaChecker(route.body, 'body');
  return { route, method: route.method, pattern, names, check };
}

export class RigServer {
  readonly rig: Rig;
  readonly token: string;
  readonly #servers: Server[];
  readonly #routes = ROUTES.map(compile);
  readonly #streams = new Set<ServerResponse>();
  readonly #unsubscribe: () => void;
  readonly #uiDir: string | undefined;
  readonly #openapi: string;
  #keepalive: ReturnType<typeof setInterval> | undefined;

  private constructor(rig: Rig, servers: Server[], token: string, uiDir: string | undefined) {
    this.rig = rig;
    this.#servers = servers;
    this.token = token;
    this.#uiDir = uiDir;
    this.#openapi = JSON.stringify(openApiDocument(packageVersion()), null, 2);
    this.#unsubscribe = rig.subscribe((e) => this.#broadcast(e));
  }

  /**
   * Listen on `port` (and with `uiPort`, on a second port whose URL the ready line gives for
   * the dashboard; the same handler answers both). NOT_FOUND when the dashboard is asked for
   * but the package was built without it.
   */
  static async listen(rig: Rig, options: RigServerOptions & { uiPort?: number } = {}): Promise<RigServer> {
    const host = options.host ?? '127.0.0.1';
    let uiDir: string | undefined;
    if (options.ui === true || options.uiPort !== undefined) {
      uiDir = options.uiDir ?? join(packageRoot(), 'dist', 'ui');
      try {
        readFileSync(join(uiDir, 'index.html'));
      } catch {
        throw new TokenrigError(ErrorCode.NOT_FOUND, `the dashboard is not built (${join(uiDir, 'index.html')} is missing): run npm run build`);
      }
    }
    const servers: Server[] = [];
    const self = new RigServer(rig, servers, options.token ?? randomBytes(32).toString('base64url'), uiDir);
    try {
      for (const port of [options.port ?? 0, ...(options.uiPort === undefined ? [] : [options.uiPort])]) {
        const server = createServer((req, res) => void self.#handle(req, res));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        }).catch((e: unknown) => {
          const code = (e as NodeJS.ErrnoException).code;
          throw new TokenrigError(code === 'EADDRINUSE' ? ErrorCode.BUSY : ErrorCode.BAD_INPUT, `${hostPortSpec('tcp', host, port)}: ${code === 'EADDRINUSE' ? 'the port is in use: choose another, or 0 for any free one' : (e as Error).message}`, { cause: e });
        });
        servers.push(server);
      }
    } catch (e) {
      await self.close();
      throw e;
    }
    self.#keepalive = setInterval(() => {
      for (const s of self.#streams) s.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    self.#keepalive.unref();
    return self;
  }

  #url(i: number): string {
    const a = this.#servers[i]!.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** The API's base URL (`http://127.0.0.1:PORT/api`). */
  get apiUrl(): string {
    return `${this.#url(0)}/api`;
  }

  /** The dashboard's URL with the token in its fragment (undefined without the dashboard). */
  get uiUrl(): string | undefined {
    if (this.#uiDir === undefined) return undefined;
    return `${this.#url(this.#servers.length - 1)}/#token=${this.token}`;
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    for (const s of this.#streams) s.end();
    this.#streams.clear();
    await Promise.all(
      this.#servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  #authorized(req: IncomingMessage): boolean {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (m === null) return false;
    const given = Buffer.from(m[1]!);
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://rig');
      const path = url.pathname;
      if (!path.startsWith('/api/')) return await this.#static(path, req, res);
      if (path === '/api/openapi.json' && req.method === 'GET') return send(res, 200, this.#openapi, 'application/json');
      if (!this.#authorized(req)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="tokenrig rig"');
        throw new TokenrigError('BAD_INPUT', 'a bearer token is needed (the one in the rig\'s ready line): Authorization: Bearer TOKEN', { wireCode: 401 });
      }
      if (path === '/api/events' && req.method === 'GET') return this.#events(res);
      let allowed = false;
      for (const r of this.#routes) {
        const m = r.pattern.exec(path);
        if (m === null) continue;
        allowed = true;
        if (r.method !== req.method) continue;
        const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
        const body = r.check === undefined ? undefined : r.check(await readJsonBody(req));
        const result = await r.route.handle({ rig: this.rig, params, query: url.searchParams, body });
        return send(res, r.route.status ?? 200, JSON.stringify(result), 'application/json');
      }
      throw new TokenrigError(ErrorCode.NOT_FOUND, allowed ? `${req.method} is not allowed on ${path}` : `no API at ${path} (see /api/openapi.json)`, { wireCode: allowed ? 405 : 404 });
    } catch (e) {
      // A RangeError or TypeError is a value our checks let through: still the caller's mistake.
      const error = e instanceof TokenrigError ? e : e instanceof RangeError || e instanceof TypeError ? new TokenrigError(ErrorCode.BAD_INPUT, e.message) : undefined;
      const status = error === undefined ? 500 : error.wireCode === 401 ? 401 : error.wireCode === 405 ? 405 : (HTTP_STATUS[error.code] ?? 500);
      const code = error === undefined ? 'INTERNAL' : status === 401 ? 'UNAUTHORIZED' : status === 405 ? 'METHOD_NOT_ALLOWED' : error.code;
      if (!res.headersSent) send(res, status, JSON.stringify({ error: { code, message: error?.message ?? `internal error: ${(e as Error).message}` } }), 'application/json');
      else res.end();
    }
  }

  #events(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`: tokenrig rig events\n\n`);
    this.#streams.add(res);
    res.on('close', () => this.#streams.delete(res));
  }

  #broadcast(e: RigEvent): void {
    if (this.#streams.size === 0) return;
    let state: DeviceState | undefined;
    if (e.device !== undefined && e.event !== 'device_removed' && e.state === undefined) {
      try {
        state = this.rig.device(e.device).state();
      } catch {
        // removed meanwhile
      }
    }
    const sent: RigStreamEvent = { ...e, timestamp: new Date().toISOString(), ...(state === undefined ? {} : { state }) };
    const line = `data: ${JSON.stringify(sent)}\n\n`;
    for (const s of this.#streams) {
      if (s.writableLength > MAX_EVENT_BACKLOG) {
        s.destroy();
        this.#streams.delete(s);
      } else s.write(line);
    }
  }

  async #static(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#uiDir === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) throw new TokenrigError(ErrorCode.NOT_FOUND, `nothing at ${path}${this.#uiDir === undefined ? ' (the dashboard is served with --ui)' : ''}`, { wireCode: 404 });
    const rel = normalize(decodeURIComponent(path === '/' ? '/index.html' : path)).replace(/^[/\\]+/, '');
    const file = join(this.#uiDir, rel);
    if (!file.startsWith(this.#uiDir + sep)) throw new TokenrigError(ErrorCode.NOT_FOUND, `nothing at ${path}`, { wireCode: 404 });
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch {
      throw new TokenrigError(ErrorCode.NOT_FOUND, `nothing at ${path}`, { wireCode: 404 });
    }
    res.setHeader('Cache-Control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    send(res, 200, data, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw badInput(`the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badInput(`the request body is not JSON: ${(e as Error).message}`);
  }
}
