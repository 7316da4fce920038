/**
 * `tokenrig rig` as a user runs it: --init writes an example (0600, never over a file without
 * --force); the rig starts from it in one process, the ready line names every device with its
 * endpoints as device specs, the api URL and the token; `tokenrig code` reads a token of the
 * rig over its endpoint, the API presses another; Ctrl-C stops it with 130.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'tokenrig-rig-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tokenrig rig', { timeout: 60_000 }, () => {
  it('--init writes a commented example, mode 0600, and refuses to overwrite it without --force', async () => {
    const file = join(tmp, 'rig.yaml');
    const r = await run(process.execPath, [BIN, 'rig', '--init', file]);
    expect(r.stdout).toMatch(/^wrote .*rig\.yaml: start it with tokenrig rig/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await run(process.execPath, [BIN, 'rig', '--init', file]).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/exists: add --force/) });
    await run(process.execPath, [BIN, 'rig', '--init', file, '--force']);
  });

  it('starts every device, names them in the ready line, serves the API, stops on Ctrl-C', async () => {
    const file = join(tmp, 'started.json');
    await run(process.execPath, [BIN, 'rig', '--init', file]);
    const child = spawn(process.execPath, [BIN, 'rig', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    try {
      const ready = JSON.parse((await lines.next()).value as string) as { event: string; devices: { serial: string; kind: string; endpoints: Record<string, string> }[]; api: string; ui: null; token: string };
      expect(ready).toMatchObject({ event: 'ready', api: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api$/), ui: null, token: expect.stringMatching(/^[\w-]{43}$/) });
      expect(ready.devices.map((d) => d.kind)).toEqual(['otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'fido', 'key']);
      const first = ready.devices[0]!;
      expect(first).toEqual({ serial: 'GAKT00000001', kind: 'otp', endpoints: { hid: expect.stringMatching(/^udp:127\.0\.0\.1:\d+$/), serial: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/) } });
      expect(ready.devices.find((d) => d.kind === 'fido')).toEqual({ serial: 'desk-key', kind: 'fido', endpoints: { hid: expect.stringMatching(/^udp:/) } });
      // A host tool reads the rig's token over its serial endpoint, as from hardware.
      const viaSerial = JSON.parse((await run(process.execPath, [BIN, 'code', '--device', first.endpoints.serial!, '--json'])).stdout) as { code: string; serial: string };
      expect(viaSerial.serial).toBe('GAKT00000001');
      // The API presses another token; without the token it refuses.
      const press = await fetch(`${ready.api}/devices/FT0000000002/press`, { method: 'POST', headers: { authorization: `Bearer ${ready.token}` } });
      expect(((await press.json()) as { code: string }).code).toMatch(/^\d{6}$/);
      expect((await fetch(`${ready.api}/devices/FT0000000002/press`, { method: 'POST' })).status).toBe(401);
      const events: Record<string, unknown>[] = [];
      child.kill('SIGINT');
      for (;;) {
        const next = await lines.next();
        if (next.done === true) break;
        events.push(JSON.parse(next.value) as Record<string, unknown>);
      }
      expect(events.filter((e) => e.event === 'press').map((e) => e.device)).toEqual(['GAKT00000001', 'FT0000000002']);
      expect(events.at(-1)).toMatchObject({ event: 'stopped', reason: 'SIGINT' });
      expect(await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (code) => r(code))))).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a bad field is one line naming its path, exit 2', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify({ devices: [{ kind: 'otp' }, { kind: 'fido', touch: 'often' }] }));
    const r = await run(process.execPath, [BIN, 'rig', file]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stderr: `tokenrig: ${file}: devices[1].touch must be one of "auto", "manual", "deny"\n` });
  });
});
