/**
 * `tokenrig fido config` on a key protected by a fingerprint alone (a YubiKey Bio personality
 * with a finger enrolled and no PIN), as child processes: the key wants a token with the acfg
 * permission, and a finger gives none without uvAcfg, which the Bio does not have; the CLI says
 * so in one line, with what to do, and exits 10. Setting the PIN then makes the same command work.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SimulatorProcess, startSimulator, tokenrig } from '../support/tokenrig-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenrig-finger-only-'));
let sim: SimulatorProcess | undefined;
afterAll(() => {
  sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function restart(): Promise<SimulatorProcess> {
  if (sim !== undefined) {
    const exited = once(sim.child, 'exit');
    sim.stop();
    await exited;
  }
  return (sim = await startSimulator(['--profile', 'yubikey-bio', '--state', dir]));
}

describe('tokenrig fido config on a finger-only key', () => {
  it('says in one line that a PIN is needed first (exit 10); with a PIN set it configures', { timeout: 90_000 }, async () => {
    // A finger can only be enrolled under the PIN (the be permission); the PIN's state file is
    // then removed, leaving the key as one whose only user verification is the finger.
    let key = await restart();
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '1234', '--device', key.device])).code).toBe(0);
    const enrolled = await tokenrig(['fido', 'bio', 'enroll', '--pin', '1234', '--device', key.device]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const exited = once(key.child, 'exit');
    key.stop();
    await exited;
    sim = undefined;
    rmSync(join(dir, 'fido.pin'));
    key = await restart();
    const info = JSON.parse((await tokenrig(['fido', 'info', '--device', key.device, '--json'])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ pin: { set: false }, uv: { enrolled: true } });

    for (const args of [['always-uv', 'on'], ['min-pin-length', '6']]) {
      const r = await tokenrig(['fido', 'config', ...args, '--device', key.device]);
      expect(r.code).toBe(10);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe("tokenrig: the key is protected by its fingerprint alone and takes no finger for configuration (no uvAcfg): set a PIN first (tokenrig fido pin set), then give it with --pin\n");
    }
    const json = await tokenrig(['fido', 'config', 'always-uv', 'on', '--device', key.device, '--json']);
    expect(json.code).toBe(10);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'UNSUPPORTED', message: expect.stringMatching(/set a PIN first/) } });

    // The advice works: with a PIN set, the same change goes through.
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '5678', '--device', key.device])).code).toBe(0);
    const done = await tokenrig(['fido', 'config', 'always-uv', 'on', '--pin', '5678', '--device', key.device]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^alwaysUv on/);
  });
});
