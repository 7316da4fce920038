/**
 * The full hardware-token flow, every part a real process: a seed file is imported into
 * `tokenrig iam serve`; `tokenrig sim otp` runs the token from the same file on a real pty;
 * `tokenrig iam enroll-token` reads two consecutive codes over the serial port (moving the
 * simulator's clock and back) and enables it; then the token's crystal drifts 10 minutes,
 * sign-in fails, `tokenrig iam resync-token` resyncs it with two codes, sign-in succeeds, and
 * a replayed code is refused. Sign-ins go through the real @aws-sdk/client-sts.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListMFADevicesCommand } from '@aws-sdk/client-iam';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type OtpTokenDriver, SerialOtpTokenDriver, openOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { builtinSeedProfile, generateSeeds, writeSeedFile } from '../../src/seeds/index.js';
import { type IamReady, killAll, startJson, tokenrig } from '../support/cli-process.js';
import { refusal } from '../support/iam-harness.js';
import { peers } from '../support/peer.js';

const MFA_FAILED = 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-hw-flow-'));
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('hardware token: seed file → endpoint and simulator → enroll over serial → drift → resync → sign in', () => {
  it('runs end to end with real processes, a real pty and the AWS SDK', async (ctx) => {
    peers.socat.require(ctx);
    const seeds = generateSeeds(3, builtinSeedProfile('aws-hardware'));
    const token = seeds[1]!;
    const seedFile = join(dir, 'tokens.pskc');
    await writeSeedFile(seedFile, seeds, 'pskc', { password: 'shipping manifest' });
    const state = join(dir, 'state');

    const server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--seed-file', seedFile, '--password', 'shipping manifest', '--quiet']);
    const sim = await startJson<{ serial: string; endpoints: { serial: string } }>(['sim', 'otp', '--seed-file', seedFile, '--password', 'shipping manifest', '--serial', token.serial, '--serial-port', 'pty']);
    expect(server.ready.hardware_tokens.imported).toBe(3);
    expect(sim.ready.serial).toBe(token.serial);
    const device = sim.ready.endpoints.serial;

    const root = { accessKeyId: server.ready.access_key_id, secretAccessKey: server.ready.secret_access_key };
    const iam = new IAMClient({ endpoint: server.ready.endpoint, region: 'us-east-1', credentials: root, maxAttempts: 1 });
    await iam.send(new CreateUserCommand({ UserName: 'field-tech' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'field-tech' }))).AccessKey!;
    const sts = new STSClient({ endpoint: server.ready.endpoint, region: 'us-east-1', credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    const signIn = (code: string): Promise<unknown> => sts.send(new GetSessionTokenCommand({ SerialNumber: token.serial, TokenCode: code }));

    // Enroll: two consecutive codes read over the serial port by the CLI helper.
    const helperArgs = ['--user', 'field-tech', '--serial', token.serial, '--device', device, '--endpoint-url', server.ready.endpoint, '--state', state, '--json'];
    const enrolled = await tokenrig(['iam', 'enroll-token', ...helperArgs]);
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(0);
    const events = enrolled.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(['token', 'code', 'code', 'calling', 'enabled']);
    expect(events.at(-1)).toMatchObject({ user: 'field-tech', serial: token.serial, simulator: true });
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'field-tech' }))).MFADevices?.map((d) => d.SerialNumber)).toEqual([token.serial]);

    const driver: OtpTokenDriver = await openOtpTokenDriver(device);
    try {
      expect(driver).toBeInstanceOf(SerialOtpTokenDriver);
      const sim = driver as SerialOtpTokenDriver;
      // The helper moved the token's clock and back: it still shows the endpoint's time.
      expect(Math.abs(Number(await sim.command('SIM:TIME?')) - Date.now() / 1000)).toBeLessThan(5);

      // The crystal drifts 10 minutes: the code is 20 steps ahead, outside the sign-in window.
      await sim.command('SIM:ADV 600');
      expect(await refusal(signIn(await driver.press()))).toEqual({ code: 'AccessDenied', message: MFA_FAILED, status: 403 });
    } finally {
      await driver.close();
    }

    // Resync with two consecutive codes, over the large window; the drift is stored.
    const resynced = await tokenrig(['iam', 'resync-token', ...helperArgs]);
    expect(resynced.code).toBe(0);
    expect(resynced.stdout.trim().split('\n').at(-1)).toContain('"event":"resynced"');

    const again = (await openOtpTokenDriver(device)) as SerialOtpTokenDriver;
    try {
      // The resync spent the token's current step; its next step signs in.
      await again.command('SIM:ADV 30');
      const code = await again.press();
      const session = (await signIn(code)) as { Credentials?: { AccessKeyId?: string } };
      expect(session.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      // A replayed code is refused.
      expect(await refusal(signIn(code))).toEqual({ code: 'AccessDenied', message: MFA_FAILED, status: 403 });
    } finally {
      await again.close();
    }
    iam.destroy();
    sts.destroy();
    expect(await sim.stop()).toBe(143);
    expect(await server.stop()).toBe(143);
  }, 120_000);
});
