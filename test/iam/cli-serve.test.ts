/**
 * `tokenrig iam serve` and `tokenrig iam import-seeds` as child processes: the ready event
 * (endpoint and the test account's keys), request events, the state kept across restarts with
 * safe modes, hardware tokens from an encrypted PSKC file, SIGTERM, and one-line errors.
 */
import { CreateUserCommand, EnableMFADeviceCommand, IAMClient, ListMFADevicesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinSeedProfile, generateSeeds, writeSeedFile } from '../../src/seeds/index.js';
import { codeAt } from '../support/iam-harness.js';
import { type IamReady, killAll, startJson, tokenrig } from '../support/cli-process.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tokenrig-iam-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function clients(ready: IamReady): { iam: IAMClient; sts: STSClient } {
  const credentials = { accessKeyId: ready.access_key_id, secretAccessKey: ready.secret_access_key };
  return {
    iam: new IAMClient({ endpoint: ready.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
    sts: new STSClient({ endpoint: ready.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
  };
}

describe('tokenrig iam serve', () => {
  it('announces the endpoint and the account keys, logs each request, keeps its state across restarts, stops on SIGTERM', async () => {
    const state = join(tempDir(), 'state');
    const server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state]);
    const r = server.ready;
    expect(r.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.access_key_id).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(r.secret_access_key).toHaveLength(40);
    expect(r.account_id).toMatch(/^[1-9]\d{11}$/);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'iam.sqlite')).mode & 0o777).toBe(0o600);
    const { iam, sts } = clients(r);
    await iam.send(new CreateUserCommand({ UserName: 'kept' }));
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: r.account_id, Arn: `arn:aws:iam::${r.account_id}:root` });
    iam.destroy();
    sts.destroy();
    expect(await server.stop()).toBe(143);
    expect(server.events.filter((e) => e.event === 'request').map((e) => [e.action, e.status])).toEqual([
      ['CreateUser', 200],
      ['GetCallerIdentity', 200],
    ]);
    expect(server.events.at(-1)).toMatchObject({ event: 'stopped', reason: 'SIGTERM' });

    const again = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--quiet']);
    expect(again.ready).toMatchObject({ account_id: r.account_id, access_key_id: r.access_key_id, secret_access_key: r.secret_access_key });
    const c = clients(again.ready);
    expect((await c.iam.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toEqual(['kept']);
    c.iam.destroy();
    c.sts.destroy();
    expect(await again.stop('SIGINT')).toBe(130);
    expect(again.events.filter((e) => e.event === 'request')).toEqual([]);
  }, 120_000);

  it('uses a root key given with --access-key/--secret-key', async () => {
    const server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', join(tempDir(), 's'), '--access-key', 'AKIATOKENRIGTEST0001', '--secret-key', 'test-secret-key']);
    expect(server.ready).toMatchObject({ access_key_id: 'AKIATOKENRIGTEST0001', secret_access_key: 'test-secret-key' });
    const { sts } = clients(server.ready);
    expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toMatch(/:root$/);
    sts.destroy();
    expect(await server.stop()).toBe(143);
  }, 120_000);

  it('imports hardware tokens from an encrypted PSKC file at start, and with import-seeds while running', async () => {
    const dir = tempDir();
    const state = join(dir, 'state');
    const batch1 = generateSeeds(3, builtinSeedProfile('aws-hardware'));
    const batch2 = generateSeeds(2, builtinSeedProfile('aws-hardware'));
    await writeSeedFile(join(dir, 'b1.pskc'), batch1, 'pskc', { password: 'long pass phrase' });
    await writeSeedFile(join(dir, 'b2.csv'), batch2, 'csv-privacyidea');
    const server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--seed-file', join(dir, 'b1.pskc'), '--password', 'long pass phrase', '--quiet']);
    expect(server.ready.hardware_tokens).toEqual({ imported: 3, known: 0 });
    const added = await tokenrig(['iam', 'import-seeds', '--state', state, join(dir, 'b2.csv'), '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ imported: 2, known: 0 });
    const repeat = await tokenrig(['iam', 'import-seeds', '--state', state, join(dir, 'b2.csv')]);
    expect(repeat.stdout).toContain('0 hardware tokens imported, 2 already known');
    // The running endpoint knows a token imported from the start file and one added since.
    const { iam, sts } = clients(server.ready);
    await iam.send(new CreateUserCommand({ UserName: 'hw' }));
    const wall = { now: () => Date.now() };
    for (const t of [batch1[0]!, batch2[0]!]) {
      await iam.send(new EnableMFADeviceCommand({ UserName: 'hw', SerialNumber: t.serial, AuthenticationCode1: codeAt(t.secret, wall, -1), AuthenticationCode2: codeAt(t.secret, wall) }));
    }
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'hw' }))).MFADevices?.map((d) => d.SerialNumber).sort()).toEqual([batch1[0]!.serial, batch2[0]!.serial].sort());
    iam.destroy();
    sts.destroy();
    expect(await server.stop()).toBe(143);
  }, 120_000);

  it('refuses what IAM cannot use, and bad options, with one line and a documented exit status', async () => {
    const dir = tempDir();
    await writeSeedFile(join(dir, 'hotp.csv'), generateSeeds(1, builtinSeedProfile('hotp')), 'csv-privacyidea');
    const hotp = await tokenrig(['iam', 'import-seeds', '--state', join(dir, 's'), join(dir, 'hotp.csv')]);
    expect(hotp.code).toBe(2);
    expect(hotp.stderr).toMatch(/^tokenrig: token EVT\d+: it is an HOTP token; IAM assigns TOTP tokens only\n$/);
    const half = await tokenrig(['iam', 'serve', '--access-key', 'AKIATOKENRIGTEST0001']);
    expect(half.code).toBe(2);
    expect(half.stderr).toBe('tokenrig: give --access-key and --secret-key together\n');
    const port = await tokenrig(['iam', 'serve', '--port', '70000']);
    expect(port.stderr).toBe('tokenrig: --port must be between 0 and 65535, got 70000\n');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const taken = (busy.address() as { port: number }).port;
    const inUse = await tokenrig(['iam', 'serve', '--port', String(taken), '--state', join(dir, 's2')]);
    busy.close();
    expect(inUse.code).toBe(11);
    expect(inUse.stderr).toBe(`tokenrig: port ${taken} is in use on 127.0.0.1: choose another with --port (0 = any free port)\n`);
  }, 120_000);

  it('enroll-token says plainly what went wrong: another token, nothing listening, a refused signature, an unknown user', async () => {
    const dir = tempDir();
    const [seed] = generateSeeds(1, builtinSeedProfile('aws-hardware'));
    await writeSeedFile(join(dir, 't.csv'), [seed!], 'csv-privacyidea');
    const server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', join(dir, 's'), '--seed-file', join(dir, 't.csv'), '--quiet']);
    const sim = await startJson<{ endpoints: { serial: string } }>(['sim', 'otp', '--seed-file', join(dir, 't.csv'), '--serial-port', 'tcp:0']);
    const device = sim.ready.endpoints.serial;
    const base = ['iam', 'enroll-token', '--user', 'nobody', '--device', device, '--endpoint-url', server.ready.endpoint];
    const env = { ...process.env, AWS_ACCESS_KEY_ID: server.ready.access_key_id, AWS_SECRET_ACCESS_KEY: server.ready.secret_access_key };

    const other = await tokenrig([...base, '--serial', 'GAKT00000000'], env);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`tokenrig: the token on ${device} has serial ${seed!.serial}, not GAKT00000000\n`);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const nobodyHome = await tokenrig(['iam', 'enroll-token', '--user', 'u', '--serial', seed!.serial, '--device', device, '--endpoint-url', `http://127.0.0.1:${port}`], env);
    expect(nobodyHome.code).toBe(7);
    expect(nobodyHome.stderr).toContain(`tokenrig: http://127.0.0.1:${port}: cannot reach it (ECONNREFUSED)`);

    const badKey = await tokenrig([...base, '--serial', seed!.serial], { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(badKey.code).toBe(9);
    expect(badKey.stderr).toMatch(/\ntokenrig: EnableMFADevice: SignatureDoesNotMatch: The request signature we calculated does not match .* \(HTTP 403, request [0-9a-f-]{36}\)\n$/);

    const unknownUser = await tokenrig([...base, '--serial', seed!.serial, '--json'], env);
    expect(unknownUser.code).toBe(7);
    expect(unknownUser.stdout.trim().split('\n').at(-1)).toContain('"wire_code":"NoSuchEntity"');
    expect(await sim.stop()).toBe(143);
    expect(await server.stop()).toBe(143);
  }, 120_000);
});
