/** The device's random sources: CryptoRandom hands out each CSPRNG byte once; SeededRandom repeats. */
import { describe, expect, it } from 'vitest';
import { CryptoRandom, SeededRandom } from '../../firmware-sim/env/index.js';

describe('CryptoRandom', () => {
  it('gives the sizes asked for, across block boundaries, never the same 32 bytes twice', () => {
    const r = new CryptoRandom();
    const seen = new Set<string>();
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const n = [12, 32, 1, 255, 256, 4096, 70000][i % 7]!;
      const b = r.bytes(n);
      expect(b.length).toBe(n);
      total += n;
      if (n === 32) {
        const hex = Buffer.from(b).toString('hex');
        expect(seen.has(hex)).toBe(false);
        seen.add(hex);
      }
    }
    expect(total).toBeGreaterThan(10_000_000);
    expect(r.bytes(0).length).toBe(0);
  });

  it('looks uniform: every byte value turns up, none far from its share', () => {
    const r = new CryptoRandom();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 8000; i++) for (const b of r.bytes(32)) counts[b]!++;
    // 256,000 bytes: 1,000 expected per value; 6 sigma is about ±190.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('SeededRandom', () => {
  it('repeats its stream for the same seed however it is sliced', () => {
    const a = new SeededRandom('seed');
    const b = new SeededRandom('seed');
    const whole = a.bytes(100);
    const parts = new Uint8Array([...b.bytes(7), ...b.bytes(32), ...b.bytes(61)]);
    expect(parts).toEqual(whole);
    expect(new SeededRandom('other').bytes(100)).not.toEqual(whole);
  });
});
