/**
 * IAM suite: the local IAM/STS endpoint, as the issue asks it measured.
 *
 * - GetSessionToken with an MFA code and EnableMFADevice (two codes) per second, the real
 *   @aws-sdk/client-sts / client-iam as the client over loopback HTTP, 16 calls in flight,
 *   the endpoint in its own process (bench/iam-server.ts) over a prepared state of users with
 *   hardware tokens. Every call carries a fresh valid code (each user signs in at most once a
 *   step), so every call commits: the code's step and a new session.
 * - The same with SQLite's own durability (synchronous=FULL: an fsync inside every commit) as
 *   the comparison for the group commit (synchronous=NORMAL + one WAL fdatasync per batch,
 *   awaited before answering).
 * - The endpoint's CPU time per call (from its own process.cpuUsage), as calls/s on one core.
 * - Where a GetSessionToken's time goes, each part measured alone in this process: SigV4
 *   verification (with the key lookup), Query parsing + validation, the TOTP verifier, the
 *   SQLite transaction (without fsync), minting the credentials, the XML answer, and the
 *   whole service call without HTTP.
 *
 * Run: `npm run bench -- iam` (or `--json`).
 */
import { spawn } from 'node:child_process';
import { fdatasyncSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EnableMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { checkSignIn } from '../src/iam/actions/mfa-codes.js';
import { credentials as credentialsXml } from '../src/iam/actions/render.js';
import { GetSessionToken } from '../src/iam/actions/sts.js';
import { authenticate, type SignedRequest } from '../src/iam/auth/authenticate.js';
import { SigningKeyCache, signRequest } from '../src/iam/auth/sigv4.js';
import { IdMinter, pooledRandom } from '../src/iam/ids.js';
import { DEFAULT_WINDOWS, IamService, IamStore, importHardwareTokens } from '../src/iam/index.js';
import { parseQueryParams } from '../src/iam/wire/query-params.js';
import { successXml } from '../src/iam/wire/query-response.js';
import { validateInput } from '../src/iam/wire/validation.js';
import { ManualClock } from '../src/clock/index.js';
import { Totp, cryptoRandomBytes } from '../src/otp/index.js';
import { builtinSeedProfile, generateSeeds, type TokenSeed } from '../src/seeds/index.js';
import { type BenchRow, type SuiteOptions, measure } from './harness.js';

// The SDK warns once per process that its releases after January 2027 need Node 22: noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SERVER = fileURLToPath(new URL('./iam-server.ts', import.meta.url));
const IN_FLIGHT = 16;
const GST = 'GetSessionToken + MFA code, AWS SDK over loopback HTTP';
const ENABLE = 'EnableMFADevice (2 codes), AWS SDK over loopback HTTP';

interface BenchUser {
  name: string;
  key: { accessKeyId: string; secretAccessKey: string };
  token: TokenSeed;
  totp: Totp;
}

interface Prepared {
  state: string;
  root: { accessKeyId: string; secretAccessKey: string };
  /** Users whose (imported) hardware token is not yet assigned: for EnableMFADevice. */
  toEnable: BenchUser[];
  /** Users whose token is assigned (no step spent yet): for GetSessionToken. */
  enrolled: BenchUser[];
}

/**
 * A state with `n` users of each kind, each with an access key and a hardware token. The
 * sign-in users are enrolled here, not by the EnableMFADevice phase: an enrollment whose
 * answer is late enough to cross a step boundary is (rightly) out of sync by a step.
 */
function prepare(dir: string, n: number): Prepared {
  const state = join(dir, 'state');
  const store = IamStore.open(state);
  const service = IamService.open({ store });
  const seeds = generateSeeds(2 * n, builtinSeedProfile('aws-hardware'));
  importHardwareTokens(store, seeds, Date.now());
  const ids = new IdMinter(cryptoRandomBytes);
  const users = seeds.map((token, i) => ({ name: `bench${i}`, key: { accessKeyId: ids.accessKeyId(), secretAccessKey: ids.secretAccessKey() }, token, totp: new Totp(token.secret) }));
  store.write(() => {
    for (const [i, u] of users.entries()) {
      store.insertUser({ userName: u.name, userId: ids.userId(), path: '/', createDate: Date.now(), tags: '[]' });
      store.insertAccessKey({ accessKeyId: u.key.accessKeyId, secret: u.key.secretAccessKey, userName: u.name, status: 'Active', createDate: Date.now() });
      if (i >= n) store.assignDevice(u.token.serial, u.name, Date.now(), 0, 0);
    }
  });
  const root = service.rootCredentials;
  void store.close();
  return { state, root, toEnable: users.slice(0, n), enrolled: users.slice(n) };
}

interface Server {
  endpoint: string;
  stats(): Promise<{ cpuMicros: number; syncs: number; commits: number }>;
  stop(): Promise<void>;
}

async function startServer(state: string, durability: 'group' | 'full' | 'floor'): Promise<Server> {
  const child = spawn(process.execPath, [...(process.env.BENCH_IAM_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_IAM_CPU_PROF}`]), '--no-warnings', '--import', 'tsx', SERVER, state, durability], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout });
  const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  const ready = JSON.parse(await next()) as { endpoint: string };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    endpoint: ready.endpoint,
    async stats() {
      child.stdin.write('stats\n');
      return JSON.parse(await next()) as { cpuMicros: number; syncs: number; commits: number };
    },
    async stop() {
      child.stdin.write('quit\n');
      await exited;
    },
  };
}

interface PhaseResult {
  calls: number;
  ms: number;
  serverCpuMicros: number;
  clientCpuMicros: number;
  syncs: number;
  commits: number;
}

/**
 * Run `call` with IN_FLIGHT workers until `budgetMs` has passed or `call` says there is no
 * more to do. The first `warmupMs` are not counted (the endpoint's JIT warms up); then wall
 * time, client CPU and the endpoint's CPU (from its own process) are measured.
 */
async function phase(server: Server, call: () => Promise<boolean>, warmupMs: number, budgetMs: number): Promise<PhaseResult> {
  const start = performance.now();
  let calls = 0;
  let measuring: { at: number; calls: number; client: NodeJS.CpuUsage; server: Promise<{ cpuMicros: number; syncs: number; commits: number }> } | undefined;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      if (!(await call())) {
        stop = true;
        return;
      }
      calls++;
      const elapsed = performance.now() - start;
      if (measuring === undefined && elapsed >= warmupMs) measuring = { at: performance.now(), calls, client: process.cpuUsage(), server: server.stats() };
      if (elapsed >= warmupMs + budgetMs) stop = true;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  if (measuring === undefined) throw new Error('the phase ran out of work during its warm-up: give it more users');
  const ms = performance.now() - measuring.at;
  const client = process.cpuUsage(measuring.client);
  const before = await measuring.server;
  const after = await server.stats();
  return {
    calls: calls - measuring.calls,
    ms,
    serverCpuMicros: after.cpuMicros - before.cpuMicros,
    clientCpuMicros: client.user + client.system,
    syncs: after.syncs - before.syncs,
    commits: after.commits - before.commits,
  };
}

/** POST a signed request over a keep-alive agent with node:http itself (no SDK); resolves with the status. */
function rawPost(agent: Agent, endpoint: string, req: SignedRequest): Promise<number> {
  const url = new URL(endpoint);
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) headers[k] = v.join(',');
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { ...headers, 'content-length': String(req.body.length) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

/**
 * GetSessionToken from a raw keep-alive client (pre-signed requests, no SDK), against the
 * endpoint and against the node:http floor: the endpoint's CPU per call minus the floor's is
 * what the service adds to Node's HTTP handling.
 */
async function rawPhases(p: Prepared, server: Server, floor: Server, from: number, budgetMs: number): Promise<{ endpoint: PhaseResult; floor: PhaseResult }> {
  const now = Math.floor(Date.now() / 1000);
  const reqs = p.enrolled.slice(from).map((u) => signedGetSessionToken(u.token.serial, u.totp.generate(now), u.key, server.endpoint));
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const drive = async (target: Server): Promise<PhaseResult> => {
    let next = 0;
    return phase(
      target,
      async () => {
        const r = reqs[next++];
        if (r === undefined) return false;
        const status = await rawPost(agent, target.endpoint, r);
        if (status !== 200) throw new Error(`GetSessionToken answered HTTP ${status}`);
        return true;
      },
      1000,
      budgetMs,
    );
  };
  const endpoint = await drive(server);
  const base = await drive(floor);
  agent.destroy();
  return { endpoint, floor: base };
}

async function httpPhases(users: number, durability: 'group' | 'full', budgetMs: number): Promise<{ enable: PhaseResult; signIn: PhaseResult; raw?: { endpoint: PhaseResult; floor: PhaseResult } }> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-bench-iam-'));
  try {
    const p = prepare(dir, users);
    const server = await startServer(p.state, durability);
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT * 2 });
    const iam = new IAMClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: p.root, maxAttempts: 1, requestHandler: { httpAgent: agent } });
    const now = (): number => Math.floor(Date.now() / 1000);
    let next = 0;
    // EnableMFADevice with the codes of the previous and the current step, as a person types them.
    const enable = await phase(
      server,
      async () => {
        const u = p.toEnable[next++];
        if (u === undefined) return false;
        const t = now();
        await iam.send(new EnableMFADeviceCommand({ UserName: u.name, SerialNumber: u.token.serial, AuthenticationCode1: u.totp.generate(t - 30), AuthenticationCode2: u.totp.generate(t) }));
        return true;
      },
      1000,
      Number.POSITIVE_INFINITY,
    );
    // Each user signs in once per step; the clients are made before the clock starts.
    const clients = p.enrolled.map((u) => new STSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: u.key, maxAttempts: 1, requestHandler: { httpAgent: agent } }));
    next = 0;
    const signIn = await phase(
      server,
      async () => {
        const i = next++;
        const u = p.enrolled[i];
        if (u === undefined) return false;
        await clients[i]!.send(new GetSessionTokenCommand({ SerialNumber: u.token.serial, TokenCode: u.totp.generate(now()) }));
        return true;
      },
      1000,
      budgetMs,
    );
    for (const c of [iam, ...clients]) c.destroy();
    agent.destroy();
    let raw: { endpoint: PhaseResult; floor: PhaseResult } | undefined;
    if (durability === 'group') {
      const floor = await startServer(p.state, 'floor');
      raw = await rawPhases(p, server, floor, next + IN_FLIGHT, budgetMs);
      await floor.stop();
    }
    await server.stop();
    return { enable, signIn, ...(raw === undefined ? {} : { raw }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Calls per CPU-second of `fn` (this process's user + system time, not wall time): on a
 * shared machine the wall clock also counts the time other processes had the core.
 */
function cpuRate(fn: () => unknown, timeMs: number): number {
  for (let i = 0; i < 200; i++) fn();
  const start = process.cpuUsage();
  let calls = 0;
  let spent = 0;
  while (spent < timeMs * 1000) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    const u = process.cpuUsage(start);
    spent = u.user + u.system;
  }
  return (calls * 1e6) / spent;
}

/** The parts of one GetSessionToken, each alone, in this process (per CPU-second). */
function breakdown(timeMs: number): BenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-bench-iam-parts-'));
  try {
    const store = IamStore.open(join(dir, 'state'));
    IamService.open({ store });
    const [token] = generateSeeds(1, builtinSeedProfile('aws-hardware'));
    importHardwareTokens(store, [token!], Date.now());
    // As the service mints them: CSPRNG draws pooled.
    const ids = new IdMinter(pooledRandom());
    const key = { accessKeyId: ids.accessKeyId(), secretAccessKey: ids.secretAccessKey() };
    store.write(() => {
      store.insertUser({ userName: 'parts', userId: ids.userId(), path: '/', createDate: Date.now(), tags: '[]' });
      store.insertAccessKey({ ...key, secret: key.secretAccessKey, userName: 'parts', status: 'Active', createDate: Date.now() });
      store.assignDevice(token!.serial, 'parts', Date.now(), 0, 0);
    });
    const code = new Totp(token!.secret).generate(Math.floor(Date.now() / 1000));
    const req = signedGetSessionToken(token!.serial, code, key);
    const keys = new SigningKeyCache();
    const device = store.getDevice(token!.serial)!;
    const session = { accessKeyId: ids.temporaryAccessKeyId(), secret: ids.secretAccessKey(), token: ids.sessionToken(), kind: 'session' as const, userName: 'parts', roleName: null, roleId: null, sessionName: null, sourceIdentity: null, mfaAuthTime: Date.now(), expiration: Date.now() + 43_200_000, createDate: Date.now() };
    let n = 0;
    const parts: [string, () => unknown][] = [
      // In the service the lookup shares the call's transaction; here it gets a read transaction.
      ['SigV4 verify (signing key cached, access key lookup)', () => store.read(() => authenticate(req, 'sts', store, keys, Date.now()))],
      ['Query parsing + model validation', () => validateInput(parseQueryParams(new TextDecoder().decode(req.body)), GetSessionToken.input)],
      ['TOTP verifier (window ±1)', () => checkSignIn(device, code, Date.now(), DEFAULT_WINDOWS)],
      [
        'SQLite transaction: read device, spend the step, insert the session (no fsync)',
        () =>
          store.write(() => {
            store.getDevice(token!.serial);
            store.updateDeviceState(token!.serial, n, 0);
            store.insertSession({ ...session, accessKeyId: `ASIABENCH${String(n++).padStart(11, '0')}` });
          }),
      ],
      ['mint credentials and request ID', () => [ids.temporaryAccessKeyId(), ids.secretAccessKey(), ids.sessionToken(), ids.requestId()]],
      ['XML answer', () => successXml('sts', 'GetSessionToken', credentialsXml(session), 'd5dd2148-ff06-4ec9-859f-9a245e318712')],
    ];
    const rows: BenchRow[] = parts.map(([name, fn]) => ({ suite: 'iam', case: `GetSessionToken part: ${name}`, impl: 'tokenrig', opsPerSec: cpuRate(fn, timeMs) }));
    // The WAL fdatasync alone: what one group-commit batch waits for (not on the event loop).
    const wal = openSync(join(dir, 'state', 'iam.sqlite-wal'), 'r+');
    rows.push({ suite: 'iam', case: 'GetSessionToken part: WAL fdatasync (once per batch, thread pool; wall time)', impl: 'tokenrig', opsPerSec: measure(() => fdatasyncSync(wal), { timeMs, warmupMs: 50 }) });
    closeSync(wal);
    void store.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function signedGetSessionToken(serial: string, code: string, key: { accessKeyId: string; secretAccessKey: string }, endpoint = 'http://127.0.0.1:8135/'): SignedRequest {
  const body = new URLSearchParams({ Action: 'GetSessionToken', Version: '2011-06-15', SerialNumber: serial, TokenCode: code }).toString();
  const headers = signRequest({ method: 'POST', url: new URL(endpoint), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, credentials: key, region: 'us-east-1', service: 'sts', now: Date.now() });
  return { method: 'POST', path: '/', query: [], headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])), body: new TextEncoder().encode(body) };
}

/**
 * Whole GetSessionToken calls in the service, without HTTP: 16 in flight, group commit, one
 * user whose every call carries the next step's code (the service's code clock is a
 * ManualClock moved a step before each call; signatures use the wall clock). Per CPU-second.
 */
export async function serviceCalls(calls: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-bench-iam-service-'));
  try {
    const start = Math.floor(Date.now() / 30_000) * 30_000;
    const clock = new ManualClock(start);
    const store = IamStore.open(join(dir, 'state'));
    const service = IamService.open({ store, clock });
    const [token] = generateSeeds(1, builtinSeedProfile('aws-hardware'));
    importHardwareTokens(store, [token!], start);
    const ids = new IdMinter(pooledRandom());
    const key = { accessKeyId: ids.accessKeyId(), secretAccessKey: ids.secretAccessKey() };
    store.write(() => {
      store.insertUser({ userName: 'svc', userId: ids.userId(), path: '/', createDate: start, tags: '[]' });
      store.insertAccessKey({ ...key, secret: key.secretAccessKey, userName: 'svc', status: 'Active', createDate: start });
      store.assignDevice(token!.serial, 'svc', start, 0, 0);
    });
    const totp = new Totp(token!.secret);
    const total = calls + 1000;
    const reqs = Array.from({ length: total }, (_, j) => signedGetSessionToken(token!.serial, totp.generate(start / 1000 + 30 * (j + 1)), key));
    let next = 0;
    let cpu: NodeJS.CpuUsage | undefined;
    const worker = async (): Promise<void> => {
      for (;;) {
        const j = next++;
        if (j >= total) return;
        if (j === 1000) cpu = process.cpuUsage();
        // The transaction runs before handle() first awaits: the clock is the call's.
        clock.set(start + 30_000 * (j + 1));
        const r = await service.handle(reqs[j]!);
        if (r.status !== 200) throw new Error(`GetSessionToken answered ${r.status}: ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const used = process.cpuUsage(cpu);
    await store.close();
    return (calls * 1e6) / (used.user + used.system);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function note(label: string, r: PhaseResult): void {
  const batch = r.syncs === 0 ? 'no WAL syncs (fsync inside each commit)' : `${(r.commits / r.syncs).toFixed(1)} commits per WAL fsync`;
  console.error(
    `note: ${label}: ${r.calls} calls in ${(r.ms / 1000).toFixed(2)} s; endpoint CPU ${(r.serverCpuMicros / r.calls).toFixed(0)} µs/call, client (SDK) CPU ${(r.clientCpuMicros / r.calls).toFixed(0)} µs/call; ${batch}`,
  );
}

export async function run(options: SuiteOptions): Promise<BenchRow[]> {
  const budget = Math.max(3000, options.timeMs * 4);
  const users = Number(process.env.BENCH_IAM_USERS ?? 10_000);
  const group = await httpPhases(users, 'group', budget);
  note('group commit, EnableMFADevice', group.enable);
  note('group commit, GetSessionToken', group.signIn);
  note('group commit, GetSessionToken, raw node:http client', group.raw!.endpoint);
  note('node:http floor (fixed answer), raw node:http client', group.raw!.floor);
  const full = await httpPhases(4_000, 'full', budget);
  note('synchronous=FULL, EnableMFADevice', full.enable);
  note('synchronous=FULL, GetSessionToken', full.signIn);
  const rate = (r: PhaseResult): number => (r.calls * 1000) / r.ms;
  const perCore = (r: PhaseResult): number => (r.calls * 1e6) / r.serverCpuMicros;
  return [
    { suite: 'iam', case: GST, impl: 'tokenrig', opsPerSec: rate(group.signIn) },
    { suite: 'iam', case: GST, impl: 'sqlite synchronous=FULL', opsPerSec: rate(full.signIn) },
    { suite: 'iam', case: `${GST}: endpoint CPU as calls/s on one core`, impl: 'tokenrig', opsPerSec: perCore(group.signIn) },
    { suite: 'iam', case: ENABLE, impl: 'tokenrig', opsPerSec: rate(group.enable) },
    { suite: 'iam', case: ENABLE, impl: 'sqlite synchronous=FULL', opsPerSec: rate(full.enable) },
    { suite: 'iam', case: `${ENABLE}: endpoint CPU as calls/s on one core`, impl: 'tokenrig', opsPerSec: perCore(group.enable) },
    { suite: 'iam', case: 'GetSessionToken + MFA code, raw keep-alive HTTP client (pre-signed)', impl: 'tokenrig', opsPerSec: rate(group.raw!.endpoint) },
    { suite: 'iam', case: 'GetSessionToken + MFA code, raw keep-alive HTTP client (pre-signed)', impl: 'node:http floor (fixed answer)', opsPerSec: rate(group.raw!.floor) },
    { suite: 'iam', case: 'GetSessionToken, raw client: endpoint CPU as calls/s on one core', impl: 'tokenrig', opsPerSec: perCore(group.raw!.endpoint) },
    { suite: 'iam', case: 'GetSessionToken, raw client: endpoint CPU as calls/s on one core', impl: 'node:http floor (fixed answer)', opsPerSec: perCore(group.raw!.floor) },
    { suite: 'iam', case: `GetSessionToken in the service, no HTTP (group commit), per CPU-second`, impl: 'tokenrig', opsPerSec: await serviceCalls(20_000) },
    ...breakdown(options.timeMs),
  ];
}
