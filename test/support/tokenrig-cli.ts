/**
 * The `tokenrig` CLI as child processes: one command run to its end, or a `tokenrig sim fido`
 * left serving until the test stops it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tokenrig ARGS` with `env` added to this process's environment (secrets go here, not in `ps`). */
export function tokenrig(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** The ready event of `tokenrig sim fido --json`. */
export interface SimulatorReady {
  endpoints: { hid: string };
  profile: string;
  aaguid: string;
}

export interface SimulatorProcess {
  /** The device spec of its HID endpoint, for `--device`. */
  device: string;
  ready: SimulatorReady;
  child: ChildProcess;
  stop(): void;
}

/** Start `tokenrig sim fido --hid udp:0 --json --quiet ARGS`; resolves once it is ready. */
export async function startSimulator(args: string[] = []): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<SimulatorReady>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as SimulatorReady));
    child.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  return { device: ready.endpoints.hid, ready, child, stop: () => child.kill('SIGTERM') };
}
