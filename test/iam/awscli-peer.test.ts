/**
 * The AWS CLI (Debian's awscli, an independent client with its own SigV4 signer and Query
 * parser) pointed at `tokenrig iam serve` with --endpoint-url, running the virtual MFA flow of
 * AWS's documentation: create a virtual device with `--outfile QRCode.png --bootstrap-method
 * QRCodePNG`, read its codes with `tokenrig otp code --qr QRCode.png`, enable it with two
 * codes, `sts get-session-token` with a code, and the refusals the CLI prints.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IamReady, type JsonProcess, killAll, startJson, tokenrig } from '../support/cli-process.js';
import { AWS_CLI, peers } from '../support/peer.js';

const run = promisify(execFile);
/** The AWS CLI (Python) takes seconds to start on a loaded machine: a dozen calls get 5 minutes. */
const FLOW_MS = 300_000;
let dir: string;
let server: JsonProcess<IamReady> | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokenrig-awscli-'));
  if (peers.awscli.available) server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', join(dir, 'state'), '--quiet']);
});
afterAll(async () => {
  await server?.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Run the AWS CLI against the endpoint with `keys` (the account's root keys by default). */
async function aws(args: string[], keys?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = server!.ready;
  const k = keys ?? { accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: k.accessKeyId,
    AWS_SECRET_ACCESS_KEY: k.secretAccessKey,
    ...(k.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: k.sessionToken }),
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  try {
    const out = await run(AWS_CLI, ['--endpoint-url', r.endpoint, '--output', 'json', ...args], { env, cwd: dir, timeout: 60_000 });
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function ok(args: string[], keys?: Parameters<typeof aws>[1]): Promise<Record<string, unknown>> {
  const r = await aws(args, keys);
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}

/** The code `tokenrig otp code` reads from a bootstrap file at Unix time `t`. */
async function codeFrom(option: '--qr' | '--seed-file', file: string, t: number): Promise<string> {
  const r = await tokenrig(['otp', 'code', option, file, '--time', String(t)]);
  expect(r.code).toBe(0);
  return r.stdout.split('\n')[0]!;
}

describe('the AWS CLI against tokenrig iam serve', () => {
  it('virtual MFA: QR code file → tokenrig otp code → enable with two codes → sts get-session-token with a code', async (ctx) => {
    peers.awscli.require(ctx);
    await ok(['iam', 'create-user', '--user-name', 'qa']);
    const key = (await ok(['iam', 'create-access-key', '--user-name', 'qa'])).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    const qa = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    const created = await ok(['iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'qa', '--outfile', 'QRCode.png', '--bootstrap-method', 'QRCodePNG']);
    const serial = (created.VirtualMFADevice as { SerialNumber: string }).SerialNumber;
    expect(serial).toBe(`arn:aws:iam::${server!.ready.account_id}:mfa/qa`);
    expect(readFileSync(join(dir, 'QRCode.png')).subarray(1, 4).toString()).toBe('PNG');

    const t = Math.floor(Date.now() / 1000);
    const qr = join(dir, 'QRCode.png');
    await ok(['iam', 'enable-mfa-device', '--user-name', 'qa', '--serial-number', serial, '--authentication-code1', await codeFrom('--qr', qr, t - 30), '--authentication-code2', await codeFrom('--qr', qr, t)]);
    const listed = (await ok(['iam', 'list-mfa-devices', '--user-name', 'qa'])).MFADevices as { SerialNumber: string }[];
    expect(listed.map((d) => d.SerialNumber)).toEqual([serial]);

    const code = await codeFrom('--qr', qr, t + 30);
    const session = (await ok(['sts', 'get-session-token', '--serial-number', serial, '--token-code', code, '--duration-seconds', '900'], qa)).Credentials as Record<string, string>;
    expect(session.AccessKeyId).toMatch(/^ASIA/);
    const who = await ok(['sts', 'get-caller-identity'], { accessKeyId: session.AccessKeyId!, secretAccessKey: session.SecretAccessKey!, sessionToken: session.SessionToken! });
    expect(who.Arn).toBe(`arn:aws:iam::${server!.ready.account_id}:user/qa`);

    const replay = await aws(['sts', 'get-session-token', '--serial-number', serial, '--token-code', code], qa);
    expect(replay.code).toBe(254);
    expect(replay.stderr.trim()).toBe(
      'An error occurred (AccessDenied) when calling the GetSessionToken operation: MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.',
    );
  }, FLOW_MS);

  it('Base32StringSeed bootstrap file, list/resync/deactivate/delete, and the errors the CLI prints', async (ctx) => {
    peers.awscli.require(ctx);
    await ok(['iam', 'create-user', '--user-name', 'ops']);
    const serial = ((await ok(['iam', 'create-virtual-mfa-device', '--virtual-mfa-device-name', 'ops', '--outfile', 'seed.txt', '--bootstrap-method', 'Base32StringSeed'])).VirtualMFADevice as { SerialNumber: string })
      .SerialNumber;
    expect(readFileSync(join(dir, 'seed.txt'), 'utf8')).toMatch(/^[A-Z2-7]{64}$/);
    const seed = join(dir, 'seed.txt');
    const unassigned = (await ok(['iam', 'list-virtual-mfa-devices', '--assignment-status', 'Unassigned'])).VirtualMFADevices as { SerialNumber: string }[];
    expect(unassigned.map((d) => d.SerialNumber)).toContain(serial);

    const t = Math.floor(Date.now() / 1000);
    const wrong = await aws(['iam', 'enable-mfa-device', '--user-name', 'ops', '--serial-number', serial, '--authentication-code1', await codeFrom('--seed-file', seed, t - 30), '--authentication-code2', await codeFrom('--seed-file', seed, t - 90)]);
    expect(wrong.code).toBe(254);
    expect(wrong.stderr.trim()).toBe('An error occurred (InvalidAuthenticationCode) when calling the EnableMFADevice operation: Authentication code for device is not valid.');
    await ok(['iam', 'enable-mfa-device', '--user-name', 'ops', '--serial-number', serial, '--authentication-code1', await codeFrom('--seed-file', seed, t - 30), '--authentication-code2', await codeFrom('--seed-file', seed, t)]);
    await ok(['iam', 'resync-mfa-device', '--user-name', 'ops', '--serial-number', serial, '--authentication-code1', await codeFrom('--seed-file', seed, t + 600), '--authentication-code2', await codeFrom('--seed-file', seed, t + 630)]);

    const conflict = await aws(['iam', 'delete-virtual-mfa-device', '--serial-number', serial]);
    expect(conflict.stderr.trim()).toBe('An error occurred (DeleteConflict) when calling the DeleteVirtualMFADevice operation: MFA device is still in use.');
    await ok(['iam', 'deactivate-mfa-device', '--user-name', 'ops', '--serial-number', serial]);
    await ok(['iam', 'delete-virtual-mfa-device', '--serial-number', serial]);

    const unknown = await aws(['iam', 'get-user', '--user-name', 'nobody']);
    expect(unknown.stderr.trim()).toBe('An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name nobody cannot be found.');
    const badKey = await aws(['iam', 'list-users'], { accessKeyId: server!.ready.access_key_id, secretAccessKey: 'wrong-secret' });
    expect(badKey.stderr.trim()).toBe(
      'An error occurred (SignatureDoesNotMatch) when calling the ListUsers operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
    const unknownKey = await aws(['sts', 'get-caller-identity'], { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' });
    expect(unknownKey.stderr.trim()).toBe('An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid.');
  }, FLOW_MS);
});
