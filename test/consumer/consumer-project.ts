/**
 * The package as its users get it: `npm pack` the repository (which builds dist/ through the
 * `prepare` script), then install the tarball into a temporary project of one's own, away from
 * this repository's node_modules, and run code there.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to its end (never throws for a non-zero exit: the caller checks `code`). */
export function run(cmd: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 240_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      done({ code, stdout, stderr });
    });
  });
}

/** Fail with the command's own output when it did not exit 0. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

export interface PackedFile {
  path: string;
  size: number;
}

export interface Packed {
  tarball: string;
  files: PackedFile[];
}

/** npm's JSON output, after whatever lifecycle output came before it. */
export function parseNpmJson<T>(stdout: string): T {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in npm output:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as T;
}

/** `npm pack` the repository into `dir` (runs `prepare`, which builds dist/). */
export async function packRepository(dir: string): Promise<Packed> {
  const r = ok(await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO_ROOT }), 'npm pack');
  const [entry] = parseNpmJson<{ filename: string; files: PackedFile[] }[]>(r.stdout);
  if (entry === undefined) throw new Error('npm pack reported no package');
  return { tarball: join(dir, entry.filename), files: entry.files };
}

/** The version of a package installed in this repository (so installs hit npm's cache). */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A fresh project in the temporary directory: package.json plus `files`, then `npm install`
 * (given `installTimeoutMs`, default 240 s).
 */
export async function makeProject(name: string, dependencies: Record<string, string>, files: Record<string, string>, type: 'module' | 'commonjs' = 'module', installTimeoutMs = 240_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `tokenrig-${name}-`));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type, dependencies }, null, 2)}\n`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  ok(await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeoutMs: installTimeoutMs }), `npm install in ${name}`);
  return dir;
}
