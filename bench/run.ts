/**
 * The benchmark runner. `npm run bench` prints a table of every suite; `npm run bench -- otp`
 * runs the named suites; `--json` prints one JSON array of `{suite, case, impl, opsPerSec}`
 * rows on stdout (notes go to stderr); `--time MS` sets the measuring time per case.
 *
 * Suites are loaded lazily, and only when their file exists (other work may not have
 * landed yet): 'otp' → bench/otp.ts, 'fleet' → bench/fleet.ts, 'fido' → bench/fido.ts,
 * 'iam' → bench/iam.ts, 'usb' → bench/usb.ts (it boots a VM for its kernel rows), 'rig' → bench/rig.ts.
 */
import { existsSync } from 'node:fs';
import { type BenchRow, type SuiteOptions, formatTable } from './harness.js';

type RunSuite = (options: SuiteOptions) => Promise<BenchRow[]> | BenchRow[];
/** A suite module exports `run` (or a default export that is, or has, `run`). */
interface SuiteModule {
  run?: RunSuite;
  default?: RunSuite | { run?: RunSuite };
}

function runnerOf(mod: SuiteModule): RunSuite | undefined {
  if (typeof mod.run === 'function') return mod.run;
  if (typeof mod.default === 'function') return mod.default;
  if (typeof mod.default?.run === 'function') return mod.default.run;
  return undefined;
}

const SUITES: readonly { name: string; file: string; load: () => Promise<SuiteModule> }[] = [
  { name: 'otp', file: 'otp.ts', load: () => import('./otp.js') },
  { name: 'fleet', file: 'fleet.ts', load: () => import('./fleet.js' as string) as Promise<SuiteModule> },
  { name: 'fido', file: 'fido.ts', load: () => import('./fido.js' as string) as Promise<SuiteModule> },
  { name: 'iam', file: 'iam.ts', load: () => import('./iam.js') },
  { name: 'usb', file: 'usb.ts', load: () => import('./usb.js') },
  { name: 'rig', file: 'rig.ts', load: () => import('./rig.js') },
];

function parseArgs(argv: string[]): { json: boolean; timeMs: number; names: string[] } {
  let json = false;
  let timeMs = 700;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--time') timeMs = Number(argv[++i]);
    else if (a.startsWith('--time=')) timeMs = Number(a.slice(7));
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}: use [--json] [--time MS] [suite ...]`);
    else names.push(a);
  }
  if (!(timeMs > 0)) throw new Error('--time must be a positive number of milliseconds');
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(', ')}: suites are ${SUITES.map((s) => s.name).join(', ')}`);
  return { json, timeMs, names };
}

async function main(): Promise<void> {
  const { json, timeMs, names } = parseArgs(process.argv.slice(2));
  const selected = SUITES.filter((s) => names.length === 0 || names.includes(s.name));
  const rows: BenchRow[] = [];
  for (const suite of selected) {
    if (!existsSync(new URL(`./${suite.file}`, import.meta.url))) {
      console.error(`note: suite ${suite.name} skipped: bench/${suite.file} does not exist yet`);
      continue;
    }
    if (!json) console.error(`running suite ${suite.name} ...`);
    const run = runnerOf(await suite.load());
    if (run === undefined) {
      console.error(`note: suite ${suite.name} skipped: bench/${suite.file} does not export run(options)`);
      continue;
    }
    rows.push(...(await run({ timeMs })));
  }
  if (json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else console.log(formatTable(rows));
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
