import { describe, expect, it } from 'vitest';
import { OrderedWriter } from '../../src/transports/ordered-writer.js';

describe('OrderedWriter', () => {
  it('runs writes in call order without overlap; a failure does not block later writes', async () => {
    let closed = false;
    const w = new OrderedWriter(() => closed, () => new Error('closed'));
    const log: string[] = [];
    let running = 0;
    const slow = (name: string, fail = false) => () =>
      new Promise<void>((resolve, reject) => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        setImmediate(() => {
          running--;
          log.push(`end ${name}`);
          if (fail) reject(new Error(`${name} failed`));
          else resolve();
        });
      });
    const a = w.run(slow('a'));
    const b = w.run(slow('b', true));
    const c = w.run(slow('c'));
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBeUndefined();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    // A write queued before close does not start after it; a write after close rejects at once.
    const d = w.run(slow('d'));
    closed = true;
    await expect(d).rejects.toThrow('closed');
    await expect(w.run(slow('e'))).rejects.toThrow('closed');
    expect(log).not.toContain('start d');
  });
});
