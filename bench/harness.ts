/**
 * A small measuring helper for benchmarks (not tests: nothing here asserts). Each case is
 * warmed up, then run in batches sized to ~10 ms until the time budget is spent; the result
 * is operations per second over all measured batches. `latency` samples single calls for
 * p50/p99 where a suite wants them.
 *
 * A suite module (bench/otp.ts, bench/fleet.ts, bench/fido.ts) exports
 * `run(options: SuiteOptions): Promise<BenchRow[]>`; bench/run.ts loads it lazily.
 *
 * @example
 * ```ts
 * const opsPerSec = measure(() => totp.generate(now));
 * ```
 */
import { performance } from 'node:perf_hooks';

/** One result: how fast `impl` does `case` of `suite`. */
export interface BenchRow {
  suite: string;
  case: string;
  impl: string;
  opsPerSec: number;
}

export interface SuiteOptions {
  /** Measuring time per case, in milliseconds (default 700). */
  timeMs: number;
}

export interface MeasureOptions {
  /** Time spent measuring, after warm-up (default 700 ms). */
  timeMs?: number;
  /** Time spent warming up, so the JIT has optimised the code (default 150 ms). */
  warmupMs?: number;
}

/** A value the optimiser cannot prove unused. */
let sink: unknown;
export function blackhole(v: unknown): void {
  sink = v;
}
export function lastSink(): unknown {
  return sink;
}

/** Run `fn` in a tight loop for `iterations`; returns elapsed milliseconds. */
function batch(fn: () => unknown, iterations: number): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn();
  return performance.now() - start;
}

/** Operations per second of a synchronous `fn`. */
export function measure(fn: () => unknown, options: MeasureOptions = {}): number {
  const timeMs = options.timeMs ?? 700;
  const warmupMs = options.warmupMs ?? 150;
  // Calibrate a batch size of about 10 ms, warming up on the way.
  let n = 1;
  let spent = 0;
  for (;;) {
    const t = batch(fn, n);
    spent += t;
    if (t >= 10 || n >= 1 << 30) break;
    n = t <= 0.5 ? n * 8 : Math.ceil((n * 10) / t);
  }
  while (spent < warmupMs) spent += batch(fn, n);
  let ops = 0;
  let elapsed = 0;
  while (elapsed < timeMs) {
    elapsed += batch(fn, n);
    ops += n;
  }
  return (ops * 1000) / elapsed;
}

/**
 * Operations per second of several implementations of one case, measured in interleaved
 * rounds (A B C, A B C, ...) and summarised by each one's median round. On a shared machine
 * the load changes from second to second; interleaving makes every implementation see the
 * same load, so their ratio is stable even when the absolute numbers are not.
 */
export function measureInterleaved(fns: Readonly<Record<string, () => unknown>>, options: MeasureOptions & { rounds?: number } = {}): Record<string, number> {
  const names = Object.keys(fns);
  const rounds = options.rounds ?? 7;
  const timeMs = options.timeMs ?? 700;
  const warmupMs = options.warmupMs ?? 150;
  const sizes: Record<string, number> = {};
  for (const name of names) {
    const fn = fns[name]!;
    let n = 1;
    let spent = 0;
    for (;;) {
      const t = batch(fn, n);
      spent += t;
      if (t >= 5 || n >= 1 << 30) break;
      n = t <= 0.25 ? n * 8 : Math.ceil((n * 5) / t);
    }
    while (spent < warmupMs) spent += batch(fn, n);
    sizes[name] = n;
  }
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const perRound = timeMs / rounds;
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      let ops = 0;
      let elapsed = 0;
      while (elapsed < perRound) {
        elapsed += batch(fns[name]!, sizes[name]!);
        ops += sizes[name]!;
      }
      rates[name]!.push((ops * 1000) / elapsed);
    }
  }
  return Object.fromEntries(names.map((n) => [n, percentile(rates[n]!, 50)]));
}

/**
 * Calls per second of `fn`, awaited one at a time for `ms`; at least one call, so a slow
 * implementation still yields a rate.
 */
async function asyncRate(fn: () => Promise<unknown>, ms: number): Promise<number> {
  let ops = 0;
  const start = performance.now();
  let now = start;
  do {
    sink = await fn();
    ops++;
    now = performance.now();
  } while (now - start < ms);
  return (ops * 1000) / (now - start);
}

/** Operations per second of an asynchronous `fn` (awaited one at a time). */
export async function measureAsync(fn: () => Promise<unknown>, options: MeasureOptions = {}): Promise<number> {
  await asyncRate(fn, options.warmupMs ?? 150);
  return asyncRate(fn, options.timeMs ?? 700);
}

/**
 * `measureInterleaved` for asynchronous functions (each awaited one at a time): every
 * implementation is warmed up, then they take turns for `rounds` rounds and each is
 * summarised by its median round, so a ratio between them holds on a noisy machine.
 */
export async function measureAsyncInterleaved(
  fns: Readonly<Record<string, () => Promise<unknown>>>,
  options: MeasureOptions & { rounds?: number } = {},
): Promise<Record<string, number>> {
  const names = Object.keys(fns);
  const rounds = options.rounds ?? 7;
  const perRound = (options.timeMs ?? 700) / rounds;
  for (const name of names) await asyncRate(fns[name]!, options.warmupMs ?? 150);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const name of names) rates[name]!.push(await asyncRate(fns[name]!, perRound));
  return Object.fromEntries(names.map((n) => [n, percentile(rates[n]!, 50)]));
}

/** Single-call latencies in milliseconds, `samples` of them after `warmup` calls. */
export function latency(fn: () => unknown, samples = 1000, warmup = 100): number[] {
  for (let i = 0; i < warmup; i++) sink = fn();
  const out = new Array<number>(samples);
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    sink = fn();
    out[i] = performance.now() - start;
  }
  return out;
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** `{ p50, p99 }` of single-call latencies, in milliseconds. */
export function latencySummary(fn: () => unknown, samples = 1000): { p50: number; p99: number } {
  const l = latency(fn, samples);
  return { p50: percentile(l, 50), p99: percentile(l, 99) };
}

/** The implementation whose speed the table reports against the fastest other one. */
const OURS = 'tokenrig';

/** Format ops/sec with thousands separators. */
function ops(n: number): string {
  // Slow cases (a VM's emulated kernel, a PING per second) keep two significant digits.
  return n < 10 ? n.toPrecision(2) : Math.round(n).toLocaleString('en-US');
}

/** Rows per (suite, case), with tokenrig / fastest-peer ratios. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines: string[] = [];
  const header = ['suite', 'case', 'impl', 'ops/sec', 'vs fastest peer'];
  const body: string[][] = [];
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const k = `${r.suite}\u0000${r.case}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const group of groups.values()) {
    const peers = group.filter((r) => r.impl !== OURS);
    const fastestPeer = peers.reduce<BenchRow | undefined>((best, r) => (best === undefined || r.opsPerSec > best.opsPerSec ? r : best), undefined);
    for (const r of group) {
      const ratio = r.impl === OURS && fastestPeer !== undefined ? `${(r.opsPerSec / fastestPeer.opsPerSec).toFixed(2)}x ${fastestPeer.impl}` : '';
      body.push([r.suite, r.case, r.impl, ops(r.opsPerSec), ratio]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) lines.push(line(b));
  return lines.join('\n');
}
