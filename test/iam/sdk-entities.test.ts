/**
 * Users, access keys, login profiles and roles, driven by the real @aws-sdk/client-iam:
 * the minimal lifecycle the MFA flows need, with IAM's codes, statuses and messages.
 */
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DeactivateMFADeviceCommand,
  EnableMFADeviceCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/otp/index.js';
import { type IamHarness, codeAt, refusal, startIamHarness } from '../support/iam-harness.js';

let h: IamHarness;
let iam: IAMClient;

beforeEach(async () => {
  h = await startIamHarness();
  iam = h.iam();
});
afterEach(async () => {
  await h.close();
});

describe('users', () => {
  it('CreateUser answers the User (path, ID, ARN, tags); a second user of the same name, in any case, is 409', async () => {
    const u = (await iam.send(new CreateUserCommand({ UserName: 'Alice', Path: '/qa/', Tags: [{ Key: 'team', Value: 'mfa' }] }))).User!;
    expect(u).toMatchObject({ UserName: 'Alice', Path: '/qa/', Arn: `arn:aws:iam::${h.account}:user/qa/Alice`, Tags: [{ Key: 'team', Value: 'mfa' }] });
    expect(u.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(await refusal(iam.send(new CreateUserCommand({ UserName: 'alice' })))).toEqual({ code: 'EntityAlreadyExists', message: 'User with name alice already exists.', status: 409 });
  });

  it('GetUser by name, for the calling user, and for the root user; an unknown name is 404', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    expect((await iam.send(new GetUserCommand({ UserName: 'ALICE' }))).User?.UserName).toBe('alice');
    expect((await iam.send(new GetUserCommand({}))).User).toMatchObject({ UserId: h.account, Arn: `arn:aws:iam::${h.account}:root` });
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    const asAlice = h.iam({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
    expect((await asAlice.send(new GetUserCommand({}))).User?.UserName).toBe('alice');
    expect(await refusal(iam.send(new GetUserCommand({ UserName: 'bob' })))).toEqual({ code: 'NoSuchEntity', message: 'The user with name bob cannot be found.', status: 404 });
  });

  it('ListUsers filters by PathPrefix and pages with MaxItems/Marker', async () => {
    for (const [n, p] of [['a1', '/qa/'], ['a2', '/qa/'], ['b1', '/dev/'], ['a3', '/qa/']] as const) await iam.send(new CreateUserCommand({ UserName: n, Path: p }));
    const first = await iam.send(new ListUsersCommand({ PathPrefix: '/qa/', MaxItems: 2 }));
    expect(first.Users?.map((u) => u.UserName)).toEqual(['a1', 'a2']);
    expect(first.IsTruncated).toBe(true);
    const next = await iam.send(new ListUsersCommand({ PathPrefix: '/qa/', MaxItems: 2, Marker: first.Marker! }));
    expect(next.Users?.map((u) => u.UserName)).toEqual(['a3']);
    expect(next.IsTruncated).toBe(false);
    expect((await iam.send(new ListUsersCommand({}))).Users).toHaveLength(4);
  });

  it('DeleteUser refuses while a login profile, access keys or an MFA device remain (409 DeleteConflict), then deletes', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-42' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    const d = (await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'alice' }))).VirtualMFADevice!;
    const secret = base32Decode(new TextDecoder().decode(d.Base32StringSeed));
    await iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: d.SerialNumber, AuthenticationCode1: codeAt(secret, h.clock, -1), AuthenticationCode2: codeAt(secret, h.clock) }));
    const conflict = async (): Promise<string> => {
      const r = await refusal(iam.send(new DeleteUserCommand({ UserName: 'alice' })));
      expect(r.code).toBe('DeleteConflict');
      expect(r.status).toBe(409);
      return r.message;
    };
    expect(await conflict()).toBe('Cannot delete entity, must delete login profile first.');
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'alice' }));
    expect(await conflict()).toBe('Cannot delete entity, must delete access keys first.');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKeyId! }));
    expect(await conflict()).toBe('Cannot delete entity, must delete MFA device first.');
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: d.SerialNumber! }));
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    expect((await refusal(iam.send(new DeleteUserCommand({ UserName: 'alice' })))).code).toBe('NoSuchEntity');
  });

  it('refuses names that break the model constraints with ValidationError, naming every broken constraint', async () => {
    expect(await refusal(iam.send(new CreateUserCommand({ UserName: 'x'.repeat(65) })))).toEqual({
      code: 'ValidationError',
      message: `1 validation error detected: Value '${'x'.repeat(65)}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64`,
      status: 400,
    });
    expect(await refusal(iam.send(new CreateUserCommand({ UserName: 'a b', Path: 'nope' })))).toEqual({
      code: 'ValidationError',
      message:
        "2 validation errors detected: Value 'nope' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F); Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      status: 400,
    });
  });
});

describe('access keys', () => {
  it('CreateAccessKey makes keys that sign; two per user, the third is 409 LimitExceeded', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    expect(k1).toMatchObject({ UserName: 'alice', Status: 'Active' });
    expect(k1.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k1.SecretAccessKey).toHaveLength(40);
    const who = await h.sts({ accessKeyId: k1.AccessKeyId!, secretAccessKey: k1.SecretAccessKey! }).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Account: h.account, Arn: `arn:aws:iam::${h.account}:user/alice` });
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    expect(await refusal(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })))).toEqual({ code: 'LimitExceeded', message: 'Cannot exceed quota for AccessKeysPerUser: 2', status: 409 });
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }))).AccessKeyMetadata).toHaveLength(2);
  });

  it('DeleteAccessKey: a key of another user is 404; a deleted key no longer signs (InvalidClientTokenId)', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    expect(await refusal(iam.send(new DeleteAccessKeyCommand({ UserName: 'bob', AccessKeyId: k.AccessKeyId! })))).toEqual({
      code: 'NoSuchEntity',
      message: `The Access Key with id ${k.AccessKeyId!} cannot be found.`,
      status: 404,
    });
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: k.AccessKeyId! }));
    const asAlice = h.iam({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! });
    expect(await refusal(asAlice.send(new GetUserCommand({})))).toEqual({ code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid', status: 403 });
  });
});

describe('login profiles', () => {
  it('CreateLoginProfile checks the default password policy; Get answers it; a second is 409; a missing one is 404', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    expect(await refusal(iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'password' })))).toEqual({
      code: 'PasswordPolicyViolation',
      message: 'Password does not conform to the account password policy.',
      status: 400,
    });
    const p = (await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-42', PasswordResetRequired: true }))).LoginProfile!;
    expect(p).toMatchObject({ UserName: 'alice', PasswordResetRequired: true });
    expect((await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }))).LoginProfile?.UserName).toBe('alice');
    expect(await refusal(iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-43' })))).toEqual({
      code: 'EntityAlreadyExists',
      message: 'Login Profile for user alice already exists.',
      status: 409,
    });
    await iam.send(new CreateUserCommand({ UserName: 'bob' }));
    expect(await refusal(iam.send(new GetLoginProfileCommand({ UserName: 'bob' })))).toEqual({ code: 'NoSuchEntity', message: 'Login Profile for User bob cannot be found.', status: 404 });
    // The password is kept only as a hash.
    const stored = h.store.getLoginProfile('alice')!.passwordHash;
    expect(stored).toMatch(/^scrypt\$/);
    expect(stored).not.toContain('Correct-Horse-42');
  });
});

describe('roles', () => {
  const trust = (statement: Record<string, unknown>): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] });

  it('CreateRole, GetRole (the trust policy URL-encoded, as IAM returns it), DeleteRole; unknown role 404', async () => {
    const doc = trust({ Principal: { AWS: `arn:aws:iam::${h.account}:root` } });
    const r = (await iam.send(new CreateRoleCommand({ RoleName: 'admin', AssumeRolePolicyDocument: doc, MaxSessionDuration: 7200 }))).Role!;
    expect(r).toMatchObject({ RoleName: 'admin', Arn: `arn:aws:iam::${h.account}:role/admin`, MaxSessionDuration: 7200 });
    expect(r.RoleId).toMatch(/^AROA/);
    const got = (await iam.send(new GetRoleCommand({ RoleName: 'admin' }))).Role!;
    expect(decodeURIComponent(got.AssumeRolePolicyDocument!)).toBe(doc);
    expect(await refusal(iam.send(new CreateRoleCommand({ RoleName: 'ADMIN', AssumeRolePolicyDocument: doc })))).toEqual({ code: 'EntityAlreadyExists', message: 'Role with name ADMIN already exists.', status: 409 });
    await iam.send(new DeleteRoleCommand({ RoleName: 'admin' }));
    expect(await refusal(iam.send(new GetRoleCommand({ RoleName: 'admin' })))).toEqual({ code: 'NoSuchEntity', message: 'The role with name admin cannot be found.', status: 404 });
  });

  it('refuses malformed trust policies with MalformedPolicyDocument, as IAM words it', async () => {
    const create = (doc: string): Promise<unknown> => iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: doc }));
    expect(await refusal(create('{not json'))).toEqual({ code: 'MalformedPolicyDocument', message: 'This policy contains invalid Json', status: 400 });
    expect((await refusal(create(trust({ Principal: { AWS: '*' }, Resource: '*' })))).message).toBe('Has prohibited field Resource');
    expect((await refusal(create(trust({})))).message).toBe('Missing required field Principal');
    const ghost = `arn:aws:iam::${h.account}:user/ghost`;
    expect((await refusal(create(trust({ Principal: { AWS: ghost } })))).message).toBe(`Invalid principal in policy: "AWS":"${ghost}"`);
    await iam.send(new CreateUserCommand({ UserName: 'ghost' }));
    await create(trust({ Principal: { AWS: ghost } }));
  });
});
