/**
 * The CLI as users run it: `tokenrig ...` in a child process with this Node. Long-running
 * commands (`iam serve`, `sim otp`) print a JSON `ready` line first and JSON events after it.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

export const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const execFileAsync = promisify(execFile);

export interface JsonProcess<R> {
  child: ChildProcessWithoutNullStreams;
  ready: R;
  events: Record<string, unknown>[];
  stderr(): string;
  /** Send `signal` and wait for the exit (10 s at most); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kill whatever a test left running (call from afterAll). */
export function killAll(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Start `tokenrig ...args` (with --json) and wait for its ready line. */
export async function startJson<R>(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<JsonProcess<R>> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const events: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const first = await new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 20 s; stderr: ${stderr}`)), 20_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolveLine(l);
    });
    void exited.then((c) => reject(new Error(`tokenrig ${args.join(' ')} exited ${c}: ${stderr}`)));
  });
  lines.on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  const ready = JSON.parse(first) as R & { event: string };
  if (ready.event !== 'ready') throw new Error(`first line is not ready: ${first}`);
  return {
    child,
    ready,
    events,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      running.delete(child);
      return code;
    },
  };
}

/** Run `tokenrig ...args` to completion. */
export async function tokenrig(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileAsync(process.execPath, [BIN, ...args], { timeout: timeoutMs, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** What `tokenrig iam serve --json` announces. */
export interface IamReady {
  timestamp: string;
  endpoint: string;
  account_id: string;
  access_key_id: string;
  secret_access_key: string;
  region: string;
  state: string;
  hardware_tokens: { imported: number; known: number };
  pid: number;
}
