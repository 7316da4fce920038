/**
 * Damaged state files: every file of a simulator's state directory is checked against its
 * declared schema when the simulator starts. A damaged one stops the start with one line that
 * names the file (BAD_FILE, exit 3); nothing answers CTAP1_ERR_OTHER forever, and no counter
 * restarts at 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createNodeEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');

/** A state directory with an identity, a PIN, a resident credential and its counter. */
async function fidoStateDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-damaged-'));
  const fido = await FidoAuthenticator.create(createNodeEnvironment({ stateDir: dir }));
  const device = await CtapHidDevice.open(MemoryHidTransport.connect(fido.hid));
  const ctap2 = new Ctap2(device);
  const made = await ctap2.makeCredential({
    clientDataHash: new Uint8Array(32),
    rp: { id: 'rp.example' },
    user: { id: Uint8Array.of(1), name: 'alice' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: true },
  });
  const idLength = (made.authData[53]! << 8) | made.authData[54]!;
  await ctap2.getAssertion({ rpId: 'rp.example', clientDataHash: new Uint8Array(32), allowList: [{ type: 'public-key', id: made.authData.slice(55, 55 + idLength) }] });
  writeFileSync(join(dir, 'fido.pin'), JSON.stringify({ hash: null, retries: 8 }));
  await device.close();
  return dir;
}

const keyLike = (dir: string, prefix: string): string => readdirSync(dir).find((n) => n.startsWith(prefix))!;

const DAMAGE: [string, (dir: string) => string, string][] = [
  ['garbage PIN state', () => 'fido.pin', '\u0000\u0001not json'],
  ['PIN retries out of range', () => 'fido.pin', '{"hash":null,"retries":99}'],
  ['PIN hash of the wrong size', () => 'fido.pin', '{"hash":"AAAA","retries":3}'],
  ['counter null', (d) => keyLike(d, 'fido.counter.'), 'null'],
  ['counter -100', (d) => keyLike(d, 'fido.counter.'), '-100'],
  ['counter 1.5', (d) => keyLike(d, 'fido.counter.'), '1.5'],
  ['counter as a string', (d) => keyLike(d, 'fido.counter.'), '"7"'],
  ['garbage resident credential', (d) => keyLike(d, 'fido.resident.'), '{"id":1}'],
  ['truncated identity', () => 'fido.identity', '{"masterKey":"AAAA'],
  ['fingerprint templates not an array', () => 'fido.bio', '{"id":"AAAA","finger":"finger-1"}'],
  ['a fingerprint template without its finger', () => 'fido.bio', '[{"id":"AAAA"}]'],
  ['a fingerprint template id not base64', () => 'fido.bio', '[{"id":"%%","finger":"finger-1"}]'],
  ['uvRetries above 25', () => 'fido.uv', '{"retries":26}'],
  ['PIN length of 0 code points', () => 'fido.pin', '{"hash":null,"retries":8,"codePoints":0}'],
  ['minimum PIN length as a string', () => 'fido.config', '{"minPINLength":"8"}'],
  ['minimum PIN length above 63', () => 'fido.config', '{"minPINLength":64}'],
  ['minPinLengthRPIDs not a list', () => 'fido.config', '{"minPinLengthRPIDs":"rp.example"}'],
  ['alwaysUv not a boolean', () => 'fido.config', '{"alwaysUv":1}'],
  ['enterprise attestation key of the wrong size', () => 'fido.enterprise', '{"key":"AAAA","cert":"MA=="}'],
];

describe('FIDO state is checked when the simulator starts', () => {
  for (const [what, file, content] of DAMAGE) {
    it(`${what}: refused, naming the file`, async () => {
      const dir = await fidoStateDir();
      const name = file(dir);
      writeFileSync(join(dir, name), content);
      const e = (await FidoAuthenticator.create(createNodeEnvironment({ stateDir: dir })).catch((x: unknown) => x)) as { code?: string; message?: string };
      expect(e.code).toBe('BAD_FILE');
      expect(e.message).toContain(join(dir, name));
      expect(e.message).not.toContain('\n');
    });
  }

  it('a good state directory loads', async () => {
    const dir = await fidoStateDir();
    writeFileSync(join(dir, 'fido.config'), JSON.stringify({ alwaysUv: false, ep: true, minPINLength: 8, minPinLengthRPIDs: ['rp.example'], forcePINChange: true }));
    expect((await FidoAuthenticator.create(createNodeEnvironment({ stateDir: dir }))).residentCount).toBe(1);
  });

  it('tokenrig sim fido on a damaged file: exit 3, one line naming it, no stack', async () => {
    const dir = await fidoStateDir();
    writeFileSync(join(dir, 'fido.pin'), 'garbage');
    const r = await promisify(execFile)(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--state', dir], { timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(join(dir, 'fido.pin'));
    expect(r.stderr).toContain('docs/limits.md');
  });
});

describe('OTP token state is checked when the token starts', () => {
  for (const [what, patch] of [
    ['counter -5', { counter: -5 }],
    ['secret not base32', { secret: '!!!' }],
    ['presses null', { presses: null }],
  ] as const) {
    it(`${what}: refused, naming the file`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'tokenrig-damaged-otp-'));
      const env = createNodeEnvironment({ stateDir: dir });
      OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, {});
      const state = JSON.parse(readFileSync(join(dir, 'otp-token.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'otp-token.json'), JSON.stringify({ ...state, ...patch }));
      expect(() => OtpTokenFirmware.open(createNodeEnvironment({ stateDir: dir }), AWS_TOTP_PROFILE, {})).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringContaining(join(dir, 'otp-token.json')) }));
    });
  }
});
