/**
 * EnableMFADevice, ResyncMFADevice, DeactivateMFADevice, ListMFADevices: assigning a TOTP
 * device (virtual, or a hardware token whose seed the endpoint imported) to a user by two
 * consecutive codes, re-synchronising it, and taking it away.
 */
import { AwsError, entityAlreadyExists, limitExceeded, noSuchEntity } from '../wire/aws-error.js';
import { authenticationCodeType, existingUserNameType, serialNumberType } from '../wire/shapes.js';
import { members } from '../wire/xml.js';
import type { IamStore, MfaDeviceRow, UserRow } from '../store/iam-store.js';
import { PAGE_INPUT, action, optional, page, pageTail, required } from './action.js';
import { checkEnrollment, checkResync } from './mfa-codes.js';
import { mfaDevice } from './render.js';
import { existingUser, targetUser } from './users.js';

/** IAM's quota: eight MFA devices (of any kind) per user. */
export const MFA_DEVICES_PER_USER = 8;

const INVALID_CODE = 'Authentication code for device is not valid.';

/** The device with `serial`, or NoSuchEntity naming it the way IAM names its kind. */
export function existingDevice(store: IamStore, serial: string): MfaDeviceRow {
  const d = store.getDevice(serial);
  if (d !== undefined) return d;
  throw noSuchEntity(serial.startsWith('arn:') ? `VirtualMFADevice with serial number ${serial} does not exist.` : `MFA Device with serial number ${serial} does not exist.`);
}

/** The device, which must be assigned to `user`. */
function deviceOf(store: IamStore, user: UserRow, serial: string): MfaDeviceRow {
  const d = existingDevice(store, serial);
  if (d.userName === null || d.userName.toLowerCase() !== user.userName.toLowerCase()) {
    throw noSuchEntity(`MFA Device with serial number ${serial} is not assigned to user ${user.userName}.`);
  }
  return d;
}

const DEVICE_INPUT = [
  { name: 'UserName', shape: existingUserNameType, required: true },
  { name: 'SerialNumber', shape: serialNumberType, required: true },
] as const;
const CODES_INPUT = [
  ...DEVICE_INPUT,
  { name: 'AuthenticationCode1', shape: authenticationCodeType, required: true },
  { name: 'AuthenticationCode2', shape: authenticationCodeType, required: true },
] as const;

export const EnableMFADevice = action({
  service: 'iam',
  input: CODES_INPUT,
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    const device = existingDevice(ctx.store, required(ctx.input, 'SerialNumber'));
    if (device.userName !== null) throw entityAlreadyExists('MFA Device is already in use.');
    if (ctx.store.countUserDevices(user.userName) >= MFA_DEVICES_PER_USER) throw limitExceeded(`Cannot exceed quota for MFADevicesPerUser: ${MFA_DEVICES_PER_USER}.`);
    const r = checkEnrollment(device, required(ctx.input, 'AuthenticationCode1'), required(ctx.input, 'AuthenticationCode2'), ctx.now, ctx.windows);
    if (!r.ok) throw new AwsError('InvalidAuthenticationCode', INVALID_CODE);
    ctx.store.assignDevice(device.serial, user.userName, ctx.now, r.state.lastStep!, r.state.offset);
    return undefined;
  },
});

export const ResyncMFADevice = action({
  service: 'iam',
  input: CODES_INPUT,
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    const device = deviceOf(ctx.store, user, required(ctx.input, 'SerialNumber'));
    const r = checkResync(device, required(ctx.input, 'AuthenticationCode1'), required(ctx.input, 'AuthenticationCode2'), ctx.now, ctx.windows);
    if (!r.ok) throw new AwsError('InvalidAuthenticationCode', INVALID_CODE);
    ctx.store.updateDeviceState(device.serial, r.state.lastStep!, r.state.offset);
    return undefined;
  },
});

export const DeactivateMFADevice = action({
  service: 'iam',
  input: DEVICE_INPUT,
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    const device = deviceOf(ctx.store, user, required(ctx.input, 'SerialNumber'));
    // The verifier state stays: steps accepted before are still spent if the device comes back.
    ctx.store.unassignDevice(device.serial);
    return undefined;
  },
});

export const ListMFADevices = action({
  service: 'iam',
  readOnly: true,
  input: [
    { name: 'UserName', shape: existingUserNameType },
    ...PAGE_INPUT,
  ],
  run(ctx) {
    const user = targetUser(ctx, optional(ctx.input, 'UserName'));
    const { after, limit } = page(ctx.input);
    // The root user's MFA devices are managed in the console only: none here.
    const rows = user === undefined ? [] : ctx.store.listUserDevices(user.userName, after, limit + 1);
    const { items, tail } = pageTail(rows, limit, (d) => d.serial);
    return members('MFADevices', items.map(mfaDevice)) + tail;
  },
});
