/**
 * `tokenrig fido creds|config|info` as child processes against `tokenrig sim fido --profile NAME`
 * in another child process: the CLI's real wiring, UDP sockets, JSON output and exit codes;
 * and `sim fido --help` listing the key personalities.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIDO_PROFILES } from '../../firmware-sim/fido/index.js';
import { type SimulatorProcess, type SimulatorReady, startSimulator, tokenrig } from '../support/tokenrig-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenrig-fido-manage-'));
const sims: SimulatorProcess[] = [];

/** Start `sim fido` with `args`; resolves to its ready event. */
async function simulator(args: string[]): Promise<SimulatorReady> {
  const sim = await startSimulator(args);
  sims.push(sim);
  return sim.ready;
}

afterAll(() => {
  for (const s of sims) s.stop();
});

describe('tokenrig sim fido --profile', () => {
  it('--help lists every key personality; an unknown name is one line and exit 2', async () => {
    const help = await tokenrig(['sim', 'fido', '--help']);
    expect(help.code).toBe(0);
    for (const [name, p] of Object.entries(FIDO_PROFILES)) expect(help.stdout).toContain(`${name.padEnd(12)} ${p.description}`);
    expect(help.stdout).toContain('composite-key');
    const bad = await tokenrig(['sim', 'fido', '--profile', 'yubikey-9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/tokenrig, yubikey-5, yubikey-bio, ctap20, u2f-only, solo1\) or a device with a FIDO interface \(composite-key\)/);
  }, 90_000);
});

describe('tokenrig fido creds, config and info (child processes)', () => {
  it('manages a yubikey-5 personality: info, PIN, register, creds list/update/delete, config', async () => {
    const ready = await simulator(['--profile', 'yubikey-5']);
    expect(ready.aaguid).toBe('a25342c03cdc44148e46f4807fca511c');
    expect(ready.profile).toBe('yubikey-5');
    const spec = ready.endpoints.hid;
    const dev = ['--device', spec];
    const info = await tokenrig(['fido', 'info', ...dev, '--json']);
    expect(info.code, info.stderr).toBe(0);
    const i = JSON.parse(info.stdout);
    expect(i).toMatchObject({ versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'], firmwareVersion: 0x050701, maxMsgSize: 1280, remainingDiscoverableCredentials: 100, minPINLength: 4, forcePINChange: false, transports: ['nfc', 'usb'] });
    expect(i.options).toMatchObject({ credMgmt: true, authnrCfg: true, credentialMgmtPreview: true, ep: false, alwaysUv: false });
    const text = (await tokenrig(['fido', 'info', ...dev])).stdout;
    expect(text).toMatch(/^ {2}firmware: +5\.7\.1 \(getInfo 0x050701\)$/m);
    expect(text).toMatch(/^ {2}remaining discoverable creds: +100$/m);
    expect(text).toMatch(/^ {2}options: +noep, rk, up, noplat, noalwaysUv, credMgmt, .*credentialMgmtPreview$/m);

    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '123456', ...dev])).code).toBe(0);
    const create = join(dir, 'create.json');
    writeFileSync(create, JSON.stringify({ rp: { id: 'rp.example', name: 'RP' }, user: { id: 'AQID', name: 'alice', displayName: 'Alice' }, challenge: 'AAAA', pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, extensions: { credProps: true, credentialProtectionPolicy: 'userVerificationRequired' } }));
    const reg = await tokenrig(['fido', 'register', '--options', create, '--origin', 'https://rp.example', ...dev], { TOKENRIG_FIDO_PIN: '123456' });
    expect(reg.code, reg.stderr).toBe(0);
    const id = JSON.parse(reg.stdout).id as string;
    expect(JSON.parse(reg.stdout).clientExtensionResults).toEqual({ credProps: { rk: true } });

    const noPin = await tokenrig(['fido', 'creds', 'list', ...dev]);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/--pin is required/);
    expect(noPin.stderr.trim().split('\n')).toHaveLength(1);
    const list = await tokenrig(['fido', 'creds', 'list', '--pin', '123456', ...dev, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ device: spec, existing: 1, remaining: 99, credentials: [{ rpId: 'rp.example', credentialId: id, user: { id: 'AQID', name: 'alice', displayName: 'Alice' }, publicKeyAlgorithm: -7, credProtect: 3 }] });
    const update = await tokenrig(['fido', 'creds', 'update', id, '--display-name', 'Alice Smith', ...dev], { TOKENRIG_FIDO_PIN: '123456' });
    expect(update.stdout).toBe(`updated ${id}: alice (Alice Smith)\n`);
    const listed = await tokenrig(['fido', 'creds', 'list', '--rp', 'rp.example', '--pin', '123456', ...dev]);
    expect(listed.stdout).toContain(`rp.example  alice (Alice Smith)  ${id}  credProtect 3`);

    const minPin = await tokenrig(['fido', 'config', 'min-pin-length', '8', '--rp-id', 'rp.example', '--pin', '123456', ...dev, '--json']);
    expect(minPin.code, minPin.stderr).toBe(0);
    expect(JSON.parse(minPin.stdout)).toEqual({ device: spec, minPINLength: 8, forcePINChange: true, minPinLengthRPIDs: ['rp.example'] });
    const refused = await tokenrig(['fido', 'creds', 'list', '--pin', '123456', ...dev]);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toMatch(/PIN changed/);
    expect((await tokenrig(['fido', 'pin', 'change', '--pin', '123456', '--new-pin', '12345678', ...dev])).code).toBe(0);
    const ep = await tokenrig(['fido', 'config', 'enterprise-attestation', 'enable', '--pin', '12345678', ...dev, '--json']);
    expect(JSON.parse(ep.stdout)).toEqual({ device: spec, enterpriseAttestation: true });
    const alwaysUv = await tokenrig(['fido', 'config', 'always-uv', 'on', '--pin', '12345678', ...dev]);
    expect(alwaysUv.stdout).toBe('alwaysUv on: every operation needs the PIN\n');

    const del = await tokenrig(['fido', 'creds', 'delete', id, '--pin', '12345678', ...dev]);
    expect(del.stdout).toBe(`deleted ${id}\n`);
    const again = await tokenrig(['fido', 'creds', 'delete', id, '--pin', '12345678', ...dev]);
    expect(again.code).toBe(7);
    expect(again.stderr).toMatch(/NO_CREDENTIALS/);
  }, 180_000);

  it('a CTAP 2.0 key: creds and config are UNSUPPORTED (exit 10), user mistakes exit 2 before the key is touched', async () => {
    const ready = await simulator(['--profile', 'ctap20']);
    const dev = ['--device', ready.endpoints.hid];
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '1234', ...dev])).code).toBe(0);
    const creds = await tokenrig(['fido', 'creds', 'list', '--pin', '1234', ...dev]);
    expect(creds.code).toBe(10);
    expect(creds.stderr).toMatch(/no credential management/);
    const config = await tokenrig(['fido', 'config', 'always-uv', 'on', '--pin', '1234', ...dev]);
    expect(config.code).toBe(10);
    for (const args of [['creds', 'frobnicate'], ['creds', 'delete', '--pin', '1'], ['config', 'always-uv', 'maybe'], ['config', 'min-pin-length', '3']]) {
      const r = await tokenrig(['fido', ...args, '--device', 'udp:127.0.0.1:9']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 180_000);
});
