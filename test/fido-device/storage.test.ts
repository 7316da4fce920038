/** Device storage: both implementations list their keys the same way; temporaries are not keys. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceStorage, FileStorage, MemoryStorage } from '../../firmware-sim/env/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileStorage(): FileStorage {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-storage-'));
  dirs.push(dir);
  return new FileStorage(dir);
}

describe.each([
  ['memory', (): DeviceStorage => new MemoryStorage()],
  ['file', (): DeviceStorage => fileStorage()],
])('%s storage keys', (_, make) => {
  it('lists what was written, by prefix, and forgets removed keys', () => {
    const s = make();
    for (const k of ['fido.counter.aa', 'fido.counter.bb', 'fido.rk']) s.write(k, Uint8Array.of(1));
    expect(s.keys().sort()).toEqual(['fido.counter.aa', 'fido.counter.bb', 'fido.rk']);
    expect(s.keys('fido.counter.').sort()).toEqual(['fido.counter.aa', 'fido.counter.bb']);
    s.remove('fido.counter.aa');
    expect(s.keys('fido.counter.')).toEqual(['fido.counter.bb']);
    expect(s.keys('otp.')).toEqual([]);
  });
});

describe('file storage', () => {
  it('does not list a write in flight', () => {
    const s = fileStorage();
    s.write('fido.pin', Uint8Array.of(1));
    writeFileSync(join(s.dir, 'fido.counter.cc.4242.0.tmp'), 'partial');
    expect(s.keys()).toEqual(['fido.pin']);
  });
});
