/**
 * The store's promises under pressure, with `tokenrig iam serve` as real processes:
 * - 50 concurrent GetSessionToken calls with the same valid code: exactly one succeeds; the
 *   same across two endpoint processes sharing one state directory;
 * - SIGKILL during a burst of EnableMFADevice calls: after a restart every acknowledged
 *   assignment is there, and no device is half-written.
 */
import { CreateAccessKeyCommand, CreateUserCommand, EnableMFADeviceCommand, IAMClient, ListMFADevicesCommand } from '@aws-sdk/client-iam';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinSeedProfile, generateSeeds, writeSeedFile, type TokenSeed } from '../../src/seeds/index.js';
import { type IamReady, type JsonProcess, killAll, startJson } from '../support/cli-process.js';
import { codeAt } from '../support/iam-harness.js';

const MFA_FAILED = 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';
const wall = { now: () => Date.now() };
const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup(count: number): Promise<{ dir: string; state: string; seeds: TokenSeed[]; seedFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenrig-iam-stress-'));
  dirs.push(dir);
  const seeds = generateSeeds(count, builtinSeedProfile('aws-hardware'));
  const seedFile = join(dir, 'tokens.csv');
  await writeSeedFile(seedFile, seeds, 'csv-privacyidea');
  return { dir, state: join(dir, 'state'), seeds, seedFile };
}

function rootClient(ready: IamReady): IAMClient {
  return new IAMClient({ endpoint: ready.endpoint, region: 'us-east-1', credentials: { accessKeyId: ready.access_key_id, secretAccessKey: ready.secret_access_key }, maxAttempts: 1 });
}

describe('concurrent sign-ins with one code', () => {
  it('50 concurrent GetSessionToken calls with the same valid code: exactly one succeeds, even across two endpoint processes', async () => {
    const { state, seeds, seedFile } = await setup(1);
    const token = seeds[0]!;
    const a = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--seed-file', seedFile, '--quiet']);
    const iam = rootClient(a.ready);
    await iam.send(new CreateUserCommand({ UserName: 'racer' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'racer' }))).AccessKey!;
    const creds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    // Enrolled with the codes of two and one steps ago: the current step's code is fresh.
    await iam.send(new EnableMFADeviceCommand({ UserName: 'racer', SerialNumber: token.serial, AuthenticationCode1: codeAt(token.secret, wall, -2), AuthenticationCode2: codeAt(token.secret, wall, -1) }));
    const b = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--quiet']);

    const race = async (endpoints: string[], code: string): Promise<PromiseSettledResult<unknown>[]> => {
      const clients = endpoints.map((endpoint) => new STSClient({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 }));
      const calls = Array.from({ length: 50 }, (_, i) => clients[i % clients.length]!.send(new GetSessionTokenCommand({ SerialNumber: token.serial, TokenCode: code })));
      const settled = await Promise.allSettled(calls);
      for (const c of clients) c.destroy();
      return settled;
    };
    const check = (settled: PromiseSettledResult<unknown>[]): void => {
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => (s.reason as { Code?: string; message: string }));
      expect(refused).toHaveLength(49);
      for (const r of refused) expect(r).toMatchObject({ Code: 'AccessDenied', message: MFA_FAILED });
    };
    // One endpoint: the current step's code.
    check(await race([a.ready.endpoint], codeAt(token.secret, wall)));
    // Two processes on one database: the next step's code (within the ±1 window), 25 calls each.
    check(await race([a.ready.endpoint, b.ready.endpoint], codeAt(token.secret, wall, 1)));
    iam.destroy();
    expect(await a.stop()).toBe(143);
    expect(await b.stop()).toBe(143);
  }, 120_000);
});

describe('SIGKILL during a burst of EnableMFADevice', () => {
  it('after restart every acknowledged assignment is there and none is half-written', async () => {
    const users = 150;
    const { state, seeds, seedFile } = await setup(users);
    let server: JsonProcess<IamReady> = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--seed-file', seedFile, '--quiet']);
    let iam = rootClient(server.ready);
    for (let i = 0; i < users; i++) await iam.send(new CreateUserCommand({ UserName: `u${i}` }));

    const acknowledged = new Set<number>();
    let next = 0;
    for (let round = 0; round < 3 && next < users; round++) {
      // A burst of 12 calls in flight at a time; SIGKILL once 30 more have been acknowledged.
      const target = acknowledged.size + 30;
      let killed = false;
      const worker = async (client: IAMClient): Promise<void> => {
        while (!killed && next < users) {
          const i = next++;
          const t = seeds[i]!;
          try {
            await client.send(new EnableMFADeviceCommand({ UserName: `u${i}`, SerialNumber: t.serial, AuthenticationCode1: codeAt(t.secret, wall, -1), AuthenticationCode2: codeAt(t.secret, wall) }));
            acknowledged.add(i);
            if (acknowledged.size >= target && !killed) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          } catch {
            // Refused or cut off by the kill: not acknowledged.
          }
        }
      };
      await Promise.all(Array.from({ length: 12 }, () => worker(iam)));
      iam.destroy();
      if (killed) expect(await server.stop('SIGKILL')).toBeNull();
      else expect(await server.stop()).toBe(143);
      server = await startJson<IamReady>(['iam', 'serve', '--port', '0', '--state', state, '--quiet']);
      iam = rootClient(server.ready);
      // Every acknowledged assignment survived the kill.
      for (const i of acknowledged) {
        const listed = (await iam.send(new ListMFADevicesCommand({ UserName: `u${i}` }))).MFADevices ?? [];
        expect(listed.map((d) => d.SerialNumber)).toEqual([seeds[i]!.serial]);
      }
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(60);
    iam.destroy();
    expect(await server.stop()).toBe(143);

    // No device is half-written: assigned iff it has a user, a date and a verifier state.
    const db = new Database(join(state, 'iam.sqlite'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db.prepare("SELECT serial, user_name AS u, enable_date AS d, last_step AS s FROM mfa_devices WHERE kind = 'hardware'").all() as { serial: string; u: string | null; d: number | null; s: number | null }[];
      expect(rows).toHaveLength(users);
      for (const r of rows) {
        const assigned = r.u !== null;
        expect([r.d !== null, r.s !== null]).toEqual([assigned, assigned]);
      }
      const assigned = new Set(rows.filter((r) => r.u !== null).map((r) => r.serial));
      for (const i of acknowledged) expect(assigned.has(seeds[i]!.serial)).toBe(true);
      // Each assignment names the user the call named.
      for (const r of rows.filter((x) => x.u !== null)) expect(r.u).toBe(`u${seeds.findIndex((s) => s.serial === r.serial)}`);
    } finally {
      db.close();
    }
  }, 180_000);
});
