/**
 * Running a batch of checks in a real Linux kernel with ../shared/vm/vm-run (or
 * $TOKENRIG_VM_RUN): find the tool, say why when no VM can start (the tests then skip, except
 * under CI=true where they fail), run one guest script and read back its JSON results.
 *
 * @example
 * ```ts
 * const vm = vmRunner();
 * const { results } = await vm.runGuest({ script, args, forward: ['3240:41234'] });
 * ```
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, bundleForGuest } from './bundle.js';

export interface VmRunner {
  /** The vm-run path, or undefined with `reason` saying why there is none. */
  readonly path: string | undefined;
  readonly reason: string | undefined;
  /**
   * Boot a VM and run `node script RESULTS.json ...args` in it; `json` is what the script wrote
   * to RESULTS.json (a shared directory), undefined if nothing.
   */
  runGuest(o: { script: string; args: string[]; forward?: string[]; udev?: boolean; timeoutS: number; onLine?: (line: string) => void }): Promise<{ status: number | null; json: unknown; output: string }>;
}

let cached: { path: string | undefined; reason: string | undefined } | undefined;

/** Probe vm-run once per process: `vm-run -- true` must boot a VM and exit 0. */
function probe(): { path: string | undefined; reason: string | undefined } {
  if (cached !== undefined) return cached;
  const path = process.env.TOKENRIG_VM_RUN ?? resolve(REPO, '../shared/vm/vm-run');
  if (!existsSync(path)) return (cached = { path: undefined, reason: `no vm-run at ${path} (set TOKENRIG_VM_RUN)` });
  const r = spawnSync(path, ['--timeout', '300', '--', 'true'], { encoding: 'utf8', timeout: 400_000 });
  if (r.status !== 0) return (cached = { path: undefined, reason: `vm-run cannot start a VM (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-3).join(' ')}` });
  return (cached = { path, reason: undefined });
}

export function vmRunner(): VmRunner {
  const { path, reason } = probe();
  return {
    path,
    reason,
    async runGuest(o) {
      if (path === undefined) throw new Error(reason);
      const share = mkdtempSync(join(tmpdir(), 'tokenrig-vm-'));
      const resultsFile = join(share, 'results.json');
      const args = ['--timeout', String(o.timeoutS), '--share', share, ...(o.udev === true ? ['--udev'] : []), ...(o.forward ?? []).flatMap((f) => ['--forward', f]), '--', process.execPath, o.script, resultsFile, ...o.args];
      const child = spawn(path, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const onData = (d: Buffer): void => {
        const text = d.toString();
        output += text;
        for (const line of text.split('\n')) if (line !== '') o.onLine?.(line);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      const json = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as unknown) : undefined;
      return { status, json, output };
    },
  };
}

/** Skip (printing why) when no VM can start; under CI=true, fail instead. */
export function requireVm(vm: VmRunner, ctx: { skip: (note?: string) => void }): void {
  if (vm.path !== undefined) return;
  if (process.env.CI === 'true') throw new Error(`${vm.reason}: CI must run the VM tests`);
  console.warn(`skipped: ${vm.reason}`);
  ctx.skip(vm.reason);
}

/**
 * One VM for a guest script's batch of checks: bundle the script (and the CLI, whose path is
 * its first argument after the results file, then each helper script's, then `args`), boot the
 * VM in `beforeAll`, then one `it` per check name that passes when the guest recorded that
 * check as ok.
 */
export function describeGuestChecks(
  title: string,
  guest: { script: string; helpers?: string[]; args?: string[]; udev?: boolean; timeoutS?: number },
  checks: readonly string[],
): void {
  const vm = vmRunner();
  let results: { name: string; ok: boolean; detail: string }[] = [];
  let output = '';
  let status: number | null = null;
  beforeAll(async () => {
    if (vm.path === undefined) return;
    const helpers = guest.helpers ?? [];
    const bundle = await bundleForGuest([guest.script, ...helpers]);
    const timeoutS = guest.timeoutS ?? 1800;
    const args = [bundle.cli, ...helpers.map((h) => bundle.scripts[h]!), ...(guest.args ?? [])];
    const run = await vm.runGuest({ script: bundle.scripts[guest.script]!, args, udev: guest.udev === true, timeoutS, onLine: (l) => process.stdout.write(`${l}\n`) });
    ({ output, status } = run);
    results = (run.json as typeof results | undefined) ?? [];
  }, (guest.timeoutS ?? 1800) * 1000 + 60_000);
  describe(title, () => {
    it.for(checks)('%s', (name, ctx) => {
      requireVm(vm, ctx);
      const r = results.find((x) => x.name === name);
      expect(r, `the guest did not get to this check (vm-run exit ${status}); its output ended:\n${output.split('\n').slice(-25).join('\n')}`).toBeDefined();
      expect(r!.ok, r!.detail).toBe(true);
    });
  });
}
