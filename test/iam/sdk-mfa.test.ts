/**
 * The MFA actions of the endpoint, driven by the real @aws-sdk/client-iam and client-sts over
 * HTTP: CreateVirtualMFADevice (a real seed and QR code), EnableMFADevice (two consecutive
 * codes, the strict verifier), ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice,
 * ListMFADevices, ListVirtualMFADevices, hardware tokens known from a seed file. Each AWS
 * semantic the issue names is one test.
 */
import {
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  type IAMClient,
  ListMFADevicesCommand,
  ListVirtualMFADevicesCommand,
  ResyncMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeQrPng, generateSeeds, builtinSeedProfile, type TokenSeed } from '../../src/seeds/index.js';
import { type AwsCredentials, type IamHarness, codeAt, createUserWithKey, createVirtualDevice, refusal, refusalWithException, startIamHarness } from '../support/iam-harness.js';

const INVALID_CODE = { code: 'InvalidAuthenticationCode', message: 'Authentication code for device is not valid.', status: 403 };
const MFA_FAILED = 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';

let h: IamHarness;
let iam: IAMClient;
let tokens: TokenSeed[];

beforeEach(async () => {
  tokens = generateSeeds(10, builtinSeedProfile('aws-hardware'));
  h = await startIamHarness({ seeds: tokens });
  iam = h.iam();
});
afterEach(async () => {
  await h.close();
});

const createUser = (name: string): Promise<AwsCredentials> => createUserWithKey(iam, name);
const createVirtual = (name: string, path?: string): ReturnType<typeof createVirtualDevice> => createVirtualDevice(iam, name, path);

/** Enable with the codes of the previous and the current step, the way a person types them. */
async function enable(user: string, serial: string, secret: Uint8Array): Promise<void> {
  await iam.send(new EnableMFADeviceCommand({ UserName: user, SerialNumber: serial, AuthenticationCode1: codeAt(secret, h.clock, -1), AuthenticationCode2: codeAt(secret, h.clock, 0) }));
}

describe('CreateVirtualMFADevice', () => {
  it('returns a real 40-byte Base32 seed and a QR code PNG of otpauth://totp/NAME@ACCOUNT?secret=SEED', async () => {
    const d = await createVirtual('alice');
    expect(d.serial).toBe(`arn:aws:iam::${h.account}:mfa/alice`);
    expect(d.base32).toMatch(/^[A-Z2-7]{64}$/);
    expect(d.secret).toHaveLength(40);
    expect(decodeQrPng(d.png)).toBe(`otpauth://totp/alice@${h.account}?secret=${d.base32}`);
  });

  it('puts the path into the serial, and refuses a second device of the same path and name (any case) with 409', async () => {
    const d = await createVirtual('ci-device', '/qa/');
    expect(d.serial).toBe(`arn:aws:iam::${h.account}:mfa/qa/ci-device`);
    expect(await refusal(iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'CI-Device', Path: '/qa/' })))).toEqual({
      code: 'EntityAlreadyExists',
      message: 'MFADevice entity at the same path and name already exists.',
      status: 409,
    });
    // Another path is another device.
    await createVirtual('ci-device', '/other/');
  });

  it('refuses a name outside the model pattern with the ValidationError AWS words', async () => {
    expect(await refusal(iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'has space' })))).toEqual({
      code: 'ValidationError',
      message: "1 validation error detected: Value 'has space' at 'virtualMFADeviceName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      status: 400,
    });
  });
});

describe('EnableMFADevice', () => {
  it('assigns a virtual device with two consecutive codes; ListMFADevices shows it', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    await enable('alice', d.serial, d.secret);
    const listed = await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(listed.MFADevices).toEqual([{ UserName: 'alice', SerialNumber: d.serial, EnableDate: new Date(Math.floor(h.clock.now() / 1000) * 1000) }]);
  });

  it('refuses a wrong code with HTTP 403 InvalidAuthenticationCode, and leaves the device unassigned', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    const wrong = codeAt(d.secret, h.clock, 0) === '000000' ? '111111' : '000000';
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, -1), AuthenticationCode2: wrong })))).toEqual(INVALID_CODE);
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }))).MFADevices).toEqual([]);
  });

  it('refuses two valid codes that are not consecutive', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, -2), AuthenticationCode2: codeAt(d.secret, h.clock, 0) })))).toEqual(INVALID_CODE);
  });

  it('refuses codes far outside the enrollment window (an hour old)', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, -121), AuthenticationCode2: codeAt(d.secret, h.clock, -120) })))).toEqual(INVALID_CODE);
  });

  it('codes typed minutes late still enable the device, which is then out of sync until resync (the API reference warning)', async () => {
    const creds = await createUser('alice');
    const d = await createVirtual('alice');
    await iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, -6), AuthenticationCode2: codeAt(d.secret, h.clock, -5) }));
    h.clock.advance(30_000);
    const sts = h.sts(creds);
    expect((await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: d.serial, TokenCode: codeAt(d.secret, h.clock) })))).message).toBe(MFA_FAILED);
    await iam.send(new ResyncMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial, AuthenticationCode1: codeAt(d.secret, h.clock, 0), AuthenticationCode2: codeAt(d.secret, h.clock, 1) }));
    h.clock.advance(60_000);
    expect((await sts.send(new GetSessionTokenCommand({ SerialNumber: d.serial, TokenCode: codeAt(d.secret, h.clock) }))).Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('knows a hardware token only when its seed was imported: an unknown serial is 404 NoSuchEntity', async () => {
    await createUser('alice');
    const token = tokens[0]!;
    await enable('alice', token.serial, token.secret);
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }))).MFADevices?.map((m) => m.SerialNumber)).toEqual([token.serial]);
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: 'GAKT99999999', AuthenticationCode1: '123456', AuthenticationCode2: '654321' })))).toEqual({
      code: 'NoSuchEntity',
      message: 'MFA Device with serial number GAKT99999999 does not exist.',
      status: 404,
    });
    const ghost = `arn:aws:iam::${h.account}:mfa/ghost`;
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: ghost, AuthenticationCode1: '123456', AuthenticationCode2: '654321' })))).toEqual({
      code: 'NoSuchEntity',
      message: `VirtualMFADevice with serial number ${ghost} does not exist.`,
      status: 404,
    });
  });

  it('refuses a device already assigned to another user with 409 EntityAlreadyExists', async () => {
    await createUser('alice');
    await createUser('bob');
    const token = tokens[0]!;
    await enable('alice', token.serial, token.secret);
    h.clock.advance(60_000);
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'bob', SerialNumber: token.serial, AuthenticationCode1: codeAt(token.secret, h.clock, -1), AuthenticationCode2: codeAt(token.secret, h.clock, 0) })))).toEqual({
      code: 'EntityAlreadyExists',
      message: 'MFA Device is already in use.',
      status: 409,
    });
  });

  it('allows 8 MFA devices per user; the ninth is 409 LimitExceeded', async () => {
    await createUser('alice');
    for (const t of tokens.slice(0, 8)) await enable('alice', t.serial, t.secret);
    const ninth = tokens[8]!;
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: ninth.serial, AuthenticationCode1: codeAt(ninth.secret, h.clock, -1), AuthenticationCode2: codeAt(ninth.secret, h.clock, 0) })))).toEqual({
      code: 'LimitExceeded',
      message: 'Cannot exceed quota for MFADevicesPerUser: 8.',
      status: 409,
    });
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }))).MFADevices).toHaveLength(8);
  });

  it('refuses an unknown user with 404, and codes that are not six digits with 400 ValidationError', async () => {
    const token = tokens[0]!;
    const unknown = await refusalWithException(iam.send(new EnableMFADeviceCommand({ UserName: 'nobody', SerialNumber: token.serial, AuthenticationCode1: '123456', AuthenticationCode2: '654321' })));
    expect(unknown.refusal).toEqual({ code: 'NoSuchEntity', message: 'The user with name nobody cannot be found.', status: 404 });
    // The SDK recognised the code as the model's NoSuchEntityException.
    expect(unknown.exception).toBe('NoSuchEntityException');
    await createUser('alice');
    expect(await refusal(iam.send(new EnableMFADeviceCommand({ UserName: 'alice', SerialNumber: token.serial, AuthenticationCode1: '12345', AuthenticationCode2: 'abcdef' })))).toEqual({
      code: 'ValidationError',
      message:
        "2 validation errors detected: Value '12345' at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6; Value 'abcdef' at 'authenticationCode2' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+",
      status: 400,
    });
  });

  it('codes spent by an earlier assignment stay spent after deactivation', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    await enable('alice', d.serial, d.secret);
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial }));
    expect(await refusal(enable('alice', d.serial, d.secret))).toEqual(INVALID_CODE);
    h.clock.advance(60_000);
    await enable('alice', d.serial, d.secret);
  });
});

describe('ResyncMFADevice', () => {
  it('a token drifted 10 minutes fails sign-in; two consecutive codes resync it over the large window, storing the drift', async () => {
    const creds = await createUser('alice');
    const token = tokens[0]!;
    await enable('alice', token.serial, token.secret);
    const sts = h.sts(creds);
    h.clock.advance(30_000);
    // The token's crystal now runs 10 minutes (20 steps) fast.
    const drift = 20;
    expect((await refusal(sts.send(new GetSessionTokenCommand({ SerialNumber: token.serial, TokenCode: codeAt(token.secret, h.clock, drift) })))).message).toBe(MFA_FAILED);
    await iam.send(new ResyncMFADeviceCommand({ UserName: 'alice', SerialNumber: token.serial, AuthenticationCode1: codeAt(token.secret, h.clock, drift), AuthenticationCode2: codeAt(token.secret, h.clock, drift + 1) }));
    h.clock.advance(60_000);
    expect((await sts.send(new GetSessionTokenCommand({ SerialNumber: token.serial, TokenCode: codeAt(token.secret, h.clock, drift) }))).Credentials?.SessionToken).toBeTruthy();
    // The drift is remembered: later codes of the fast token keep working.
    h.clock.advance(300_000);
    expect((await sts.send(new GetSessionTokenCommand({ SerialNumber: token.serial, TokenCode: codeAt(token.secret, h.clock, drift) }))).Credentials?.SessionToken).toBeTruthy();
  });

  it('refuses wrong codes with 403, and a device not assigned to the user with 404', async () => {
    await createUser('alice');
    await createUser('bob');
    const token = tokens[0]!;
    await enable('alice', token.serial, token.secret);
    expect(await refusal(iam.send(new ResyncMFADeviceCommand({ UserName: 'alice', SerialNumber: token.serial, AuthenticationCode1: codeAt(token.secret, h.clock, 5), AuthenticationCode2: codeAt(token.secret, h.clock, 7) })))).toEqual(INVALID_CODE);
    expect(await refusal(iam.send(new ResyncMFADeviceCommand({ UserName: 'bob', SerialNumber: token.serial, AuthenticationCode1: '123456', AuthenticationCode2: '654321' })))).toEqual({
      code: 'NoSuchEntity',
      message: `MFA Device with serial number ${token.serial} is not assigned to user bob.`,
      status: 404,
    });
  });
});

describe('DeactivateMFADevice and DeleteVirtualMFADevice', () => {
  it('deactivation takes the device away from sign-in and from the user', async () => {
    const creds = await createUser('alice');
    const d = await createVirtual('alice');
    await enable('alice', d.serial, d.secret);
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial }));
    expect((await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }))).MFADevices).toEqual([]);
    h.clock.advance(30_000);
    expect((await refusal(h.sts(creds).send(new GetSessionTokenCommand({ SerialNumber: d.serial, TokenCode: codeAt(d.secret, h.clock) })))).message).toBe(MFA_FAILED);
    expect((await refusal(iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial })))).code).toBe('NoSuchEntity');
  });

  it('a virtual device cannot be deleted while assigned (409 DeleteConflict); afterwards it can, once', async () => {
    await createUser('alice');
    const d = await createVirtual('alice');
    await enable('alice', d.serial, d.secret);
    expect(await refusal(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial })))).toEqual({ code: 'DeleteConflict', message: 'MFA device is still in use.', status: 409 });
    await iam.send(new DeactivateMFADeviceCommand({ UserName: 'alice', SerialNumber: d.serial }));
    await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial }));
    expect(await refusal(iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial })))).toEqual({
      code: 'NoSuchEntity',
      message: `VirtualMFADevice with serial number ${d.serial} does not exist.`,
      status: 404,
    });
  });
});

describe('ListVirtualMFADevices', () => {
  it('filters by AssignmentStatus (default Any) and shows the user of assigned devices', async () => {
    await createUser('alice');
    const a = await createVirtual('alice');
    const b = await createVirtual('spare');
    await enable('alice', a.serial, a.secret);
    const list = async (status?: 'Assigned' | 'Unassigned' | 'Any'): Promise<string[]> =>
      ((await iam.send(new ListVirtualMFADevicesCommand(status === undefined ? {} : { AssignmentStatus: status }))).VirtualMFADevices ?? []).map((v) => v.SerialNumber!);
    expect(await list()).toEqual([a.serial, b.serial].sort());
    expect(await list('Any')).toEqual([a.serial, b.serial].sort());
    expect(await list('Assigned')).toEqual([a.serial]);
    expect(await list('Unassigned')).toEqual([b.serial]);
    const assigned = (await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }))).VirtualMFADevices![0]!;
    expect(assigned.User).toMatchObject({ UserName: 'alice', Arn: `arn:aws:iam::${h.account}:user/alice` });
    expect(assigned.EnableDate).toBeInstanceOf(Date);
    // Hardware tokens are not virtual devices.
    expect(await list()).not.toContain(tokens[0]!.serial);
  });

  it('pages with MaxItems and Marker', async () => {
    for (const n of ['d1', 'd2', 'd3']) await createVirtual(n);
    const first = await iam.send(new ListVirtualMFADevicesCommand({ MaxItems: 2 }));
    expect(first.VirtualMFADevices).toHaveLength(2);
    expect(first.IsTruncated).toBe(true);
    const rest = await iam.send(new ListVirtualMFADevicesCommand({ MaxItems: 2, Marker: first.Marker! }));
    expect(rest.IsTruncated).toBe(false);
    expect([...first.VirtualMFADevices!, ...rest.VirtualMFADevices!].map((v) => v.SerialNumber!.split('/').pop())).toEqual(['d1', 'd2', 'd3']);
  });
});
