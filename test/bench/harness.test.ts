/** The benchmark helpers that compute numbers (not the timings themselves). */
import { describe, expect, it } from 'vitest';
import { type BenchRow, formatTable, measureAsyncInterleaved, percentile } from '../../bench/harness.js';

describe('percentile', () => {
  it('takes the nearest rank of the sorted values', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(Array.from({ length: 1000 }, (_, i) => 1000 - i), 99)).toBe(990);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('formatTable', () => {
  it('prints every row and tokenrig’s ratio to the fastest peer of the same case', () => {
    const rows: BenchRow[] = [
      { suite: 'otp', case: 'generate', impl: 'tokenrig', opsPerSec: 900_000 },
      { suite: 'otp', case: 'generate', impl: 'otpauth', opsPerSec: 300_000 },
      { suite: 'otp', case: 'generate', impl: 'otplib', opsPerSec: 100_000 },
      { suite: 'otp', case: 'verify', impl: 'tokenrig', opsPerSec: 50 },
      { suite: 'otp', case: 'verify', impl: 'speakeasy', opsPerSec: 200 },
      { suite: 'fleet', case: 'press', impl: 'tokenrig', opsPerSec: 10 },
    ];
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[0]).toMatch(/^suite\s+case\s+impl\s+ops\/sec\s+vs fastest peer$/);
    expect(lines[2]).toMatch(/tokenrig\s+900,000\s+3\.00x otpauth$/);
    expect(lines[3]).toMatch(/otpauth\s+300,000$/);
    expect(lines[5]).toMatch(/tokenrig\s+50\s+0\.25x speakeasy$/);
    // No peer, no ratio.
    expect(lines[7]).toMatch(/press\s+tokenrig\s+10$/);
  });
});

describe('measureAsyncInterleaved', () => {
  it('gives every implementation a rate, and at least one call in each of its rounds', async () => {
    const calls = { a: 0, b: 0 };
    const order: string[] = [];
    const rates = await measureAsyncInterleaved(
      {
        a: async () => {
          calls.a++;
          order.push('a');
        },
        b: async () => {
          calls.b++;
          order.push('b');
        },
      },
      { timeMs: 0, warmupMs: 0, rounds: 4 },
    );
    expect(Object.keys(rates)).toEqual(['a', 'b']);
    for (const r of Object.values(rates)) expect(r).toBeGreaterThan(0);
    // One warm-up call and one call per round each, taking turns: a b, then (a b) x 4.
    expect(calls).toEqual({ a: 5, b: 5 });
    expect(order.join('')).toBe('ababababab');
  });
});
