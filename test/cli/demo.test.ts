/** `npm start` is `tokenrig demo`: run it as a user does and check the story it tells. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');

describe('tokenrig demo (child process)', () => {
  it('runs the OTP and FIDO stories over real transports and ends by itself', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'demo', '--json'], { timeout: 30_000 });
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const kinds = events.map((e) => e.event);
    // The OTP story: enrolled, signed in, replay refused, the 10-minute drift resynced.
    expect(events.find((e) => e.event === 'enroll')).toMatchObject({ ok: true });
    expect(events.find((e) => e.event === 'replay')).toMatchObject({ ok: false, reason: 'replay' });
    expect(events.find((e) => e.event === 'resync')).toMatchObject({ ok: true, drift: 20 });
    // The FIDO story: one registration, two verified assertions with increasing counters.
    expect(events.find((e) => e.event === 'fido_register')).toMatchObject({ ok: true });
    const auths = events.filter((e) => e.event === 'fido_authenticate');
    expect(auths).toMatchObject([{ event: 'fido_authenticate', ok: true, sign_count: 1 }, { event: 'fido_authenticate', ok: true, sign_count: 2 }]);
    // One style for every event: snake_case names and fields, and a timestamp.
    for (const e of events) {
      expect(Object.keys(e).filter((k) => !/^[a-z0-9_]+$/.test(k))).toEqual([]);
      expect(e.event).toMatch(/^[a-z0-9_]+$/);
      expect(Date.parse(e.timestamp as string)).toBeGreaterThan(0);
    }
    expect(kinds.at(-1)).toBe('done');
    // The seed never appears.
    expect(stdout).not.toContain('GEZDGNBVGY3TQOJQ');
  });

  it('prints a human story without --json', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'demo'], { timeout: 30_000 });
    expect(stdout).toMatch(/EnableMFADevice: accepted/);
    expect(stdout).toMatch(/ResyncMFADevice .* accepted/);
    expect(stdout).toMatch(/signature verified, sign counter 2/);
    expect(stdout).toMatch(/demo finished/);
  });
});
