/**
 * What the guest scripts share: run one named check at a time (a failure is recorded and the
 * next check still runs), child processes with deadlines, and a JSON file of results that the
 * host's vitest test reads back (one `it` per check). Every line of progress goes to stdout with
 * the seconds since start, which vm-run passes through to the host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found, or why it failed. */
  detail: string;
  ms: number;
  /** Numbers a benchmark or the host test uses. */
  data?: Record<string, unknown>;
}

const T0 = Date.now();

export function log(line: string): void {
  process.stdout.write(`[guest ${((Date.now() - T0) / 1000).toFixed(1)}s] ${line}\n`);
}

export class Checks {
  readonly results: CheckResult[] = [];
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  /** Run `fn`; it returns a detail line (and optional data) or throws why the check failed. */
  async run(name: string, fn: () => Promise<string | { detail: string; data: Record<string, unknown> }>): Promise<boolean> {
    // TOKENRIG_VM_ONLY=REGEX runs only the matching checks (to iterate on one).
    const only = process.env.TOKENRIG_VM_ONLY;
    if (only !== undefined && only !== '' && !new RegExp(only).test(name)) return false;
    const t = Date.now();
    log(`check: ${name}`);
    let result: CheckResult;
    try {
      const r = await fn();
      result = typeof r === 'string' ? { name, ok: true, detail: r, ms: Date.now() - t } : { name, ok: true, detail: r.detail, data: r.data, ms: Date.now() - t };
    } catch (e) {
      result = { name, ok: false, detail: e instanceof Error ? e.message : String(e), ms: Date.now() - t };
    }
    log(`${result.ok ? 'ok' : 'FAILED'}: ${name} (${result.ms} ms): ${result.detail.split('\n')[0]!.slice(0, 300)}`);
    this.results.push(result);
    // Written after every check: a VM that dies halfway still reports what it did.
    writeFileSync(this.#file, JSON.stringify(this.results, null, 1));
    return result.ok;
  }
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (never blocking this thread); `input` goes to its stdin. */
export function sh(cmd: string, args: string[], o: { timeoutMs?: number; input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.env }, ...(o.cwd === undefined ? {} : { cwd: o.cwd }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Generous: emulated (TCG) on a loaded 2-core machine, node alone takes tens of seconds to start.
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    // A command that does not read its stdin may exit before we write it (EPIPE): its status says what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
  });
}

/** `sh` that throws (with the command's stderr) unless it exits 0. */
export async function must(cmd: string, args: string[], o: Parameters<typeof sh>[2] = {}): Promise<string> {
  const r = await sh(cmd, args, o);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 1500)}`);
  return r.stdout;
}

/** Poll `probe` every 20 ms until it returns a value, or throw after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function expectThat(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** The hidraw nodes whose HID device has `HID_ID=0003:0000VVVV:0000PPPP`, with their report descriptors. */
export function hidrawNodes(vendorId: number, productId: number): { node: string; reportDescriptor: Buffer }[] {
  const id = `HID_ID=0003:${vendorId.toString(16).toUpperCase().padStart(8, '0')}:${productId.toString(16).toUpperCase().padStart(8, '0')}`;
  const out: { node: string; reportDescriptor: Buffer }[] = [];
  for (const name of existsSync('/sys/class/hidraw') ? readdirSync('/sys/class/hidraw') : []) {
    try {
      const uevent = readFileSync(`/sys/class/hidraw/${name}/device/uevent`, 'utf8');
      if (!uevent.split('\n').includes(id) || !existsSync(`/dev/${name}`)) continue;
      out.push({ node: `/dev/${name}`, reportDescriptor: readFileSync(`/sys/class/hidraw/${name}/device/report_descriptor`) });
    } catch {
      // A node that went away while we looked.
    }
  }
  return out.sort((a, b) => a.node.localeCompare(b.node, 'en', { numeric: true }));
}

/** The FIDO hidraw node (usage page 0xF1D0: report descriptor starting 06 d0 f1) of VID:PID. */
export function fidoHidraw(vendorId: number, productId: number): string | undefined {
  return hidrawNodes(vendorId, productId).find((n) => n.reportDescriptor.subarray(0, 3).equals(Buffer.from([0x06, 0xd0, 0xf1])))?.node;
}

/**
 * Start `node CLI sim ARGS...` (with `--json`, so its first line is the ready event, or the
 * error should the start fail) and wait for that line.
 */
export async function startSim(cli: string, args: string[]): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const child = spawn(process.execPath, [cli, 'sim', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`sim ${args.join(' ')} exited ${code}`)));
  });
  const closed = new Promise<void>((r) => lines.once('close', r));
  lines.on('line', (l) => sims.set(child, { last: l, closed }));
  sims.set(child, { last: '', closed });
  expectThat(ready.event === 'ready', `sim ${args.join(' ')} did not start: ${JSON.stringify(ready)}`);
  return { child, ready };
}

/** The last line each `startSim` process printed, and when its stdout ended. */
const sims = new WeakMap<ChildProcess, { last: string; closed: Promise<void> }>();

/**
 * SIGTERM `child` and wait until it has exited. A simulator from `startSim` must stop as the
 * CLI documents: its close finished, a `stopped` event naming SIGTERM last, exit status 143.
 */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const code = await exited;
  const sim = sims.get(child);
  if (sim === undefined) return;
  await sim.closed;
  const last = sims.get(child)!.last;
  expectThat(code === 143, `a simulator stopped by SIGTERM exited ${code}, not 143 (last line: ${last})`);
  expectThat(/"event":"stopped".*"reason":"SIGTERM"/.test(last), `a simulator stopped by SIGTERM did not end with a stopped event: ${last}`);
}

/** Run a guest script's `main`: exit 0 when it returns, 1 (with the stack) when it throws. */
export function runGuestMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      log(`guest script failed: ${(e as Error).stack}`);
      process.exit(1);
    },
  );
}
