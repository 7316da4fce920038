/**
 * Managing a real FIDO key from a script: `tokenrig fido info` and `tokenrig fido creds list`
 * as child processes, and the very same checks against `tokenrig sim fido --profile yubikey-5`
 * so they are known to work before a key is plugged in.
 *
 * Real key: TOKENRIG_FIDO_DEVICE=SPEC runs info; with TOKENRIG_FIDO_PIN (the key's PIN) also
 * lists its discoverable credentials, all of them and per relying party. Credential management
 * needs the PIN but no touch. Nothing here changes the key: no PIN is set or tried wrong (a
 * wrong one would spend a retry), no credential is deleted or renamed, no setting is changed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorProcess, startSimulator, tokenrig } from '../support/tokenrig-cli.js';

interface InfoJson {
  device: string;
  versions?: string[];
  options?: Record<string, boolean>;
  remainingDiscoverableCredentials?: number;
}

interface CredsJson {
  device: string;
  existing: number;
  remaining: number;
  credentials: { rpId: string; credentialId: string; user: { id: string; name?: string; displayName?: string }; publicKeyAlgorithm: number; credProtect?: number }[];
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function skipWith(ctx: TestContext, reason: string): never {
  console.log(`skipped: ${reason}`);
  return ctx.skip();
}

async function readInfo(device: string): Promise<InfoJson> {
  const r = await tokenrig(['fido', 'info', '--device', device, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as InfoJson;
}

/** Whether getInfo says the key has credential management (CTAP 2.1 §6.8, or the 2.1-PRE prototype). */
const managesCredentials = (info: InfoJson): boolean => info.options?.credMgmt === true || info.options?.credentialMgmtPreview === true;

/**
 * `fido creds list`: every credential once, the counts agreeing with the list and with getInfo's
 * remainingDiscoverableCredentials; `--rp` gives exactly that RP's part; the text form has one
 * line per credential. Returns what the key holds.
 */
async function checkCredsList(device: string, pin: string, info: InfoJson): Promise<CredsJson> {
  const env = { TOKENRIG_FIDO_PIN: pin };
  const r = await tokenrig(['fido', 'creds', 'list', '--device', device, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const all = JSON.parse(r.stdout) as CredsJson;
  expect(all.device).toBe(device);
  expect(all.credentials).toHaveLength(all.existing);
  if (info.remainingDiscoverableCredentials !== undefined) expect(all.remaining).toBe(info.remainingDiscoverableCredentials);
  const ids = all.credentials.map((c) => c.credentialId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const c of all.credentials) {
    expect(c.rpId).not.toBe('');
    expect(c.credentialId).toMatch(BASE64URL);
    expect(Number.isInteger(c.publicKeyAlgorithm)).toBe(true);
    if (c.credProtect !== undefined) expect([1, 2, 3]).toContain(c.credProtect);
  }

  for (const rpId of new Set(all.credentials.map((c) => c.rpId))) {
    const one = await tokenrig(['fido', 'creds', 'list', '--rp', rpId, '--device', device, '--json'], env);
    expect(one.code, one.stderr).toBe(0);
    const listed = (JSON.parse(one.stdout) as CredsJson).credentials;
    expect(listed.map((c) => c.credentialId).sort()).toEqual(all.credentials.filter((c) => c.rpId === rpId).map((c) => c.credentialId).sort());
  }

  const text = await tokenrig(['fido', 'creds', 'list', '--device', device], env);
  expect(text.code, text.stderr).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(`${device}: ${all.existing} discoverable credential${all.existing === 1 ? '' : 's'}, room for ${all.remaining} more`);
  expect(lines).toHaveLength(1 + all.existing);
  for (const id of ids) expect(text.stdout).toContain(`  ${id}`);
  return all;
}

describe('managing a real FIDO key', () => {
  const device = process.env.TOKENRIG_FIDO_DEVICE ?? '';
  const pin = process.env.TOKENRIG_FIDO_PIN ?? '';

  it('info names credential management when the key has it; creds list reads every discoverable credential', async (ctx) => {
    if (device === '') skipWith(ctx, 'set TOKENRIG_FIDO_DEVICE=hid:/dev/hidrawN (or hid:VID:PID) to run against a real key');
    const info = await readInfo(device);
    if (!managesCredentials(info)) {
      // A CTAP 2.0 or U2F-only key: the CLI says so in one line, exit 10 (UNSUPPORTED).
      const r = await tokenrig(['fido', 'creds', 'list', '--device', device], { TOKENRIG_FIDO_PIN: pin === '' ? '0000' : pin });
      expect(r.code).toBe(10);
      expect(r.stderr).toMatch(/no credential management/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      return;
    }
    if (pin === '') skipWith(ctx, 'also set TOKENRIG_FIDO_PIN to the key\'s PIN: credential management needs it');
    const held = await checkCredsList(device, pin, info);
    console.log(`${device}: ${held.existing} discoverable credentials, room for ${held.remaining} more`);
  }, 120_000);
});

describe('the same checks against the simulator (yubikey-5 personality, child processes)', () => {
  let sim: SimulatorProcess;
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-real-key-manage-'));
  const pin = '246810';

  beforeAll(async () => {
    sim = await startSimulator(['--profile', 'yubikey-5']);
  }, 60_000);

  afterAll(() => {
    sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the checks pass with three credentials of two RPs on the key', async () => {
    const device = sim.device;
    expect((await tokenrig(['fido', 'pin', 'set', '--device', device], { TOKENRIG_FIDO_PIN: pin })).code).toBe(0);
    for (const [rp, name] of [['a.example', 'alice'], ['b.example', 'bob'], ['b.example', 'carol']] as const) {
      const options = join(dir, `${name}.json`);
      writeFileSync(
        options,
        JSON.stringify({
          rp: { id: rp, name: rp },
          user: { id: randomBytes(8).toString('base64url'), name, displayName: name },
          challenge: randomBytes(32).toString('base64url'),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        }),
      );
      const reg = await tokenrig(['fido', 'register', '--options', options, '--origin', `https://${rp}`, '--device', device], { TOKENRIG_FIDO_PIN: pin });
      expect(reg.code, reg.stderr).toBe(0);
    }
    const info = await readInfo(device);
    expect(managesCredentials(info)).toBe(true);
    const held = await checkCredsList(device, pin, info);
    expect(held.existing).toBe(3);
    expect(held.credentials.map((c) => c.user.name).sort()).toEqual(['alice', 'bob', 'carol']);
  }, 180_000);
});
