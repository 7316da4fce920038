/**
 * STS with MFA, driven by the real @aws-sdk/client-sts (and client-iam): GetSessionToken and
 * AssumeRole with SerialNumber + TokenCode, single-use codes, AWS's AccessDenied texts,
 * DurationSeconds limits, what session credentials may call, aws:MultiFactorAuthPresent and
 * aws:MultiFactorAuthAge in trust policies, GetCallerIdentity.
 */
import { CreateRoleCommand, EnableMFADeviceCommand, type IAMClient, ListMFADevicesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsCredentials, type IamHarness, codeAt, createUserWithKey, createVirtualDevice, refusal, startIamHarness } from '../support/iam-harness.js';

const MFA_FAILED = 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';

let h: IamHarness;
let iam: IAMClient;
let alice: AwsCredentials;
let device: { serial: string; secret: Uint8Array };

beforeEach(async () => {
  h = await startIamHarness();
  iam = h.iam();
  alice = await userWithKey('alice');
  device = await enrolledDevice('alice');
  // The enrollment spent this step's code; sign-ins start with the next one.
  h.clock.advance(30_000);
});
afterEach(async () => {
  await h.close();
});

const userWithKey = (name: string): Promise<AwsCredentials> => createUserWithKey(iam, name);

async function enrolledDevice(user: string): Promise<{ serial: string; secret: Uint8Array }> {
  const d = await createVirtualDevice(iam, user);
  await iam.send(new EnableMFADeviceCommand({ UserName: user, SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, -1), AuthenticationCode2: codeAt(d.secret, h.clock) }));
  return d;
}

function credentialsOf(c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): AwsCredentials {
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
}

describe('GetSessionToken with MFA', () => {
  it('issues temporary credentials (ASIA…, 12 hours by default) for a valid code', async () => {
    const c = (await h.sts(alice).send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }))).Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey).toHaveLength(40);
    expect(c.SessionToken).toBeTruthy();
    expect(c.Expiration!.getTime()).toBe(Math.floor(h.clock.now()) + 43_200_000);
  });

  it('a code is single use: the same code again is AccessDenied with AWS text', async () => {
    const sts = h.sts(alice);
    const code = codeAt(device.secret, h.clock);
    await sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: code }));
    expect(await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: code })))).toEqual({ code: 'AccessDenied', message: MFA_FAILED, status: 403 });
    // An older code of a step already passed is spent too.
    expect((await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock, -1) })))).message).toBe(MFA_FAILED);
  });

  it('refuses a wrong code, a device of another user, and a serial without a code', async () => {
    const sts = h.sts(alice);
    const right = codeAt(device.secret, h.clock);
    expect(await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: right === '000000' ? '111111' : '000000' })))).toEqual({ code: 'AccessDenied', message: MFA_FAILED, status: 403 });
    const bob = await userWithKey('bob');
    expect(await refusal(h.sts(bob).send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: right })))).toEqual({ code: 'AccessDenied', message: MFA_FAILED, status: 403 });
    expect(await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial })))).toEqual({
      code: 'AccessDenied',
      message: 'MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.',
      status: 403,
    });
    // None of these spent the code.
    await sts.send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: right }));
  });

  it('DurationSeconds: 900 to 129600 for users (ValidationError outside); the root user is cut to an hour', async () => {
    const sts = h.sts(alice);
    expect(await refusal(sts.send(new GetSessionTokenCommand({ DurationSeconds: 899 })))).toEqual({
      code: 'ValidationError',
      message: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      status: 400,
    });
    expect((await refusal(sts.send(new GetSessionTokenCommand({ DurationSeconds: 129_601 })))).message).toBe(
      "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600",
    );
    const short = (await sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials!;
    expect(short.Expiration!.getTime()).toBe(h.clock.now() + 900_000);
    const root = (await h.sts().send(new GetSessionTokenCommand({ DurationSeconds: 129_600 }))).Credentials!;
    expect(root.Expiration!.getTime()).toBe(h.clock.now() + 3_600_000);
  });

  it('session credentials without MFA cannot call IAM (InvalidClientTokenId); with MFA they can', async () => {
    const plain = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({}))).Credentials);
    expect(await refusal(h.iam(plain).send(new ListMFADevicesCommand({})))).toEqual({ code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid', status: 403 });
    const mfa = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }))).Credentials);
    expect((await h.iam(mfa).send(new ListMFADevicesCommand({}))).MFADevices?.map((d) => d.SerialNumber)).toEqual([device.serial]);
  });

  it('session credentials may call GetCallerIdentity, not GetSessionToken; expired ones are ExpiredToken', async () => {
    const s = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials);
    expect(await h.sts(s, 'eu-west-1').send(new GetCallerIdentityCommand({}))).toMatchObject({ Arn: `arn:aws:iam::${h.account}:user/alice`, Account: h.account });
    expect(await refusal(h.sts(s).send(new GetSessionTokenCommand({})))).toEqual({ code: 'AccessDenied', message: 'Cannot call GetSessionToken with session credentials', status: 403 });
    h.clock.advance(901_000);
    expect(await refusal(h.sts(s).send(new GetCallerIdentityCommand({})))).toEqual({ code: 'ExpiredToken', message: 'The security token included in the request is expired', status: 403 });
  });

  it('a session token that does not belong to the key is InvalidClientTokenId (STS words it with a period)', async () => {
    const s = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({}))).Credentials);
    expect(await refusal(h.sts({ ...s, sessionToken: 'forged' }).send(new GetCallerIdentityCommand({})))).toEqual({
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
  });
});

describe('AssumeRole', () => {
  const mfaTrust = (account: string, condition: Record<string, unknown>): string =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole', Condition: condition }] });

  beforeEach(async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'needs-mfa', AssumeRolePolicyDocument: mfaTrust(h.account, { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }), MaxSessionDuration: 7200 }));
  });

  const arn = (): string => `arn:aws:iam::${h.account}:role/needs-mfa`;

  it('a role that requires MFA refuses a caller without it, and accepts SerialNumber + TokenCode', async () => {
    const sts = h.sts(alice);
    expect(await refusal(sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 's1' })))).toEqual({
      code: 'AccessDenied',
      message: `User: arn:aws:iam::${h.account}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${arn()}`,
      status: 403,
    });
    const r = await sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 's1', SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }));
    expect(r.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${h.account}:assumed-role/needs-mfa/s1`);
    expect(r.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:s1$/);
    const who = await h.sts(credentialsOf(r.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(who).toMatchObject({ Arn: `arn:aws:sts::${h.account}:assumed-role/needs-mfa/s1`, UserId: r.AssumedRoleUser?.AssumedRoleId });
  });

  it('a wrong or replayed code is AccessDenied "with invalid MFA one time pass code"', async () => {
    const sts = h.sts(alice);
    const code = codeAt(device.secret, h.clock);
    await sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 's1', SerialNumber: device.serial, TokenCode: code }));
    expect(await refusal(sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 's2', SerialNumber: device.serial, TokenCode: code })))).toEqual({
      code: 'AccessDenied',
      message: 'MultiFactorAuthentication failed with invalid MFA one time pass code.',
      status: 403,
    });
  });

  it('sessions carry aws:MultiFactorAuthPresent: an MFA session assumes the role without a code, a plain one cannot', async () => {
    const withMfa = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }))).Credentials);
    const without = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({}))).Credentials);
    expect((await h.sts(withMfa).send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'chain' }))).AssumedRoleUser?.Arn).toContain('needs-mfa/chain');
    expect((await refusal(h.sts(without).send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'chain' })))).code).toBe('AccessDenied');
  });

  it('aws:MultiFactorAuthAge: a role allowing MFA at most an hour old refuses an older MFA session', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'fresh-mfa', AssumeRolePolicyDocument: mfaTrust(h.account, { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }) }));
    const fresh = `arn:aws:iam::${h.account}:role/fresh-mfa`;
    const s = credentialsOf((await h.sts(alice).send(new GetSessionTokenCommand({ SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }))).Credentials);
    await h.sts(s).send(new AssumeRoleCommand({ RoleArn: fresh, RoleSessionName: 'aa' }));
    h.clock.advance(2 * 3_600_000);
    expect((await refusal(h.sts(s).send(new AssumeRoleCommand({ RoleArn: fresh, RoleSessionName: 'bb' })))).code).toBe('AccessDenied');
  });

  it('DurationSeconds beyond the role MaxSessionDuration, or beyond an hour when chaining, is ValidationError', async () => {
    const sts = h.sts(alice);
    expect(await refusal(sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'qa', DurationSeconds: 7201, SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) })))).toEqual({
      code: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      status: 400,
    });
    const r = await sts.send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'qa', DurationSeconds: 7200, SerialNumber: device.serial, TokenCode: codeAt(device.secret, h.clock) }));
    expect(r.Credentials?.Expiration?.getTime()).toBe(h.clock.now() + 7_200_000);
    expect(await refusal(h.sts(credentialsOf(r.Credentials)).send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'ch', DurationSeconds: 3601 })))).toEqual({
      code: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      status: 400,
    });
  });

  it('the root user cannot assume roles; an unknown role is AccessDenied; a malformed ARN is ValidationError', async () => {
    expect(await refusal(h.sts().send(new AssumeRoleCommand({ RoleArn: arn(), RoleSessionName: 'qa' })))).toEqual({ code: 'AccessDenied', message: 'Roles may not be assumed by root accounts.', status: 403 });
    const ghost = `arn:aws:iam::${h.account}:role/ghost`;
    expect((await refusal(h.sts(alice).send(new AssumeRoleCommand({ RoleArn: ghost, RoleSessionName: 'qa' })))).message).toBe(
      `User: arn:aws:iam::${h.account}:user/alice is not authorized to perform: sts:AssumeRole on resource: ${ghost}`,
    );
    expect(await refusal(h.sts(alice).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::role/not-a-role-arn', RoleSessionName: 'qa' })))).toEqual({ code: 'ValidationError', message: 'Request ARN is invalid', status: 400 });
  });

  it('sts:ExternalId conditions are checked', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'vendor', AssumeRolePolicyDocument: mfaTrust(h.account, { StringEquals: { 'sts:ExternalId': 'ticket-42' } }) }));
    const vendor = `arn:aws:iam::${h.account}:role/vendor`;
    expect((await refusal(h.sts(alice).send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'qa', ExternalId: 'ticket-41' })))).code).toBe('AccessDenied');
    await h.sts(alice).send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'qa', ExternalId: 'ticket-42' }));
  });
});

describe('GetCallerIdentity', () => {
  it('names the root user and IAM users', async () => {
    expect(await h.sts().send(new GetCallerIdentityCommand({}))).toMatchObject({ UserId: h.account, Account: h.account, Arn: `arn:aws:iam::${h.account}:root` });
    expect((await h.sts(alice).send(new GetCallerIdentityCommand({}))).UserId).toMatch(/^AIDA/);
  });
});
