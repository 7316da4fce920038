/**
 * A real key with a fingerprint sensor (a YubiKey Bio), read through `tokenrig fido bio list`
 * as a child process, and the same check against `tokenrig sim fido --profile yubikey-bio` so it
 * is known to work before such a key is plugged in. Read only: nothing is enrolled or removed.
 *
 * Real key: TOKENRIG_FIDO_DEVICE=SPEC names it and TOKENRIG_FIDO_PIN is its PIN (listing the
 * fingers needs a token with the be permission).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { type TestContext, afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

function tokenrig(args: string[], pin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TOKENRIG_FIDO_PIN;
  if (pin !== undefined) env.TOKENRIG_FIDO_PIN = pin;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 45_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** `fido bio list --json` answers the sensor info and the fingers (none is a list too). */
async function checkBioList(device: string, pin: string): Promise<{ templates: { templateId: string }[] }> {
  const r = await tokenrig(['fido', 'bio', 'list', '--device', device, '--json'], pin);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { device: string; sensor: { fingerprintKind: number }; templates: { templateId: string }[] };
  expect(out.device).toBe(device);
  expect([1, 2]).toContain(out.sensor.fingerprintKind);
  expect(Array.isArray(out.templates)).toBe(true);
  for (const t of out.templates) expect(t.templateId).toMatch(/^[0-9a-f]+$/);
  return out;
}

function skipWith(ctx: TestContext, reason: string): never {
  console.log(`skipped: ${reason}`);
  return ctx.skip();
}

describe('tokenrig fido bio list', () => {
  it('against the simulated yubikey-bio', async () => {
    const sim = spawn(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json', '--profile', 'yubikey-bio'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sim);
    const ready = await new Promise<{ endpoints: { hid: string } }>((resolve) => createInterface({ input: sim.stdout! }).once('line', (l) => resolve(JSON.parse(l) as { endpoints: { hid: string } })));
    const device = ready.endpoints.hid;
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '1234', '--device', device])).code).toBe(0);
    expect((await checkBioList(device, '1234')).templates).toEqual([]);
  }, 60_000);

  it('against a real key (TOKENRIG_FIDO_DEVICE, TOKENRIG_FIDO_PIN)', async (ctx) => {
    const device = process.env.TOKENRIG_FIDO_DEVICE;
    const pin = process.env.TOKENRIG_FIDO_PIN;
    if (device === undefined || device === '') skipWith(ctx, 'set TOKENRIG_FIDO_DEVICE=hid:/dev/hidrawN (a key with a fingerprint sensor) and TOKENRIG_FIDO_PIN to run against a real key');
    const info = await tokenrig(['fido', 'info', '--device', device, '--json']);
    const options = (JSON.parse(info.stdout) as { options?: Record<string, boolean> }).options ?? {};
    if (options.bioEnroll === undefined && options.userVerificationMgmtPreview === undefined) skipWith(ctx, `${device} has no fingerprint sensor`);
    if (pin === undefined || pin === '') skipWith(ctx, 'set TOKENRIG_FIDO_PIN to list the fingers of the real key');
    await checkBioList(device, pin);
  }, 60_000);
});
