/**
 * CreateVirtualMFADevice, DeleteVirtualMFADevice, ListVirtualMFADevices. A virtual device is
 * a real TOTP seed (40 random bytes, 64 Base32 characters, SHA-1, 6 digits, 30 s, as IAM
 * issues them) with a real QR code PNG of its otpauth URI, so an authenticator app, the AWS
 * CLI's `--outfile` or `tokenrig otp code --qr` can enrol it.
 */
import { base32Encode } from '../../otp/index.js';
import { renderQrPng } from '../../seeds/index.js';
import { deleteConflict, entityAlreadyExists, noSuchEntity } from '../wire/aws-error.js';
import { assignmentStatusType, pathType, serialNumberType, tagListType, virtualMFADeviceName } from '../wire/shapes.js';
import { el, members, node } from '../wire/xml.js';
import { virtualMfaSerial } from '../principal.js';
import type { MfaDeviceRow } from '../store/iam-store.js';
import { PAGE_INPUT, action, optional, page, pageTail, required } from './action.js';
import { tagsJson, tagsXml, virtualMfaDevice } from './render.js';

/** IAM's virtual MFA seeds are 40 bytes (a 64-character Base32 string). */
export const VIRTUAL_SEED_BYTES = 40;

/**
 * The URI the QR code carries, as the API reference describes QRCodePNG:
 * `otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String`, the account
 * named by its ID.
 */
export function virtualMfaUri(name: string, account: string, base32: string): string {
  return `otpauth://totp/${encodeURIComponent(name)}@${account}?secret=${base32}`;
}

interface Bootstrap {
  secret: Uint8Array;
  base32: string;
  png: Uint8Array;
}

export const CreateVirtualMFADevice = action<Bootstrap>({
  service: 'iam',
  input: [
    { name: 'Path', shape: pathType },
    { name: 'VirtualMFADeviceName', shape: virtualMFADeviceName, required: true },
    { name: 'Tags', shape: tagListType },
  ],
  async prepare(ctx) {
    const secret = ctx.ids.mfaSeed(VIRTUAL_SEED_BYTES);
    const base32 = base32Encode(secret, { padding: false });
    return { secret, base32, png: await renderQrPng(virtualMfaUri(required(ctx.input, 'VirtualMFADeviceName'), ctx.account, base32)) };
  },
  run(ctx, boot) {
    const name = required(ctx.input, 'VirtualMFADeviceName');
    const path = optional(ctx.input, 'Path') ?? '/';
    if (ctx.store.getVirtualDeviceByName(path, name) !== undefined) throw entityAlreadyExists('MFADevice entity at the same path and name already exists.');
    const device: MfaDeviceRow = {
      serial: virtualMfaSerial(ctx.account, path, name),
      kind: 'virtual',
      name,
      path,
      secret: boot.secret,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      userName: null,
      enableDate: null,
      lastStep: null,
      stepOffset: 0,
      createDate: ctx.now,
      tags: tagsJson(ctx.input.Tags as Record<string, string>[] | undefined),
    };
    ctx.store.insertDevice(device);
    // Blobs travel base64-encoded; Base32StringSeed's bytes are the Base32 text itself.
    return node(
      'VirtualMFADevice',
      el('SerialNumber', device.serial) + el('Base32StringSeed', Buffer.from(boot.base32, 'ascii').toString('base64')) + el('QRCodePNG', Buffer.from(boot.png).toString('base64')) + tagsXml(device.tags),
    );
  },
});

export const DeleteVirtualMFADevice = action({
  service: 'iam',
  input: [{ name: 'SerialNumber', shape: serialNumberType, required: true }],
  run(ctx) {
    const serial = required(ctx.input, 'SerialNumber');
    const device = ctx.store.getDevice(serial);
    if (device === undefined || device.kind !== 'virtual') throw noSuchEntity(`VirtualMFADevice with serial number ${serial} does not exist.`);
    if (device.userName !== null) throw deleteConflict('MFA device is still in use.');
    ctx.store.deleteDevice(serial);
    return undefined;
  },
});

export const ListVirtualMFADevices = action({
  service: 'iam',
  readOnly: true,
  input: [
    { name: 'AssignmentStatus', shape: assignmentStatusType },
    ...PAGE_INPUT,
  ],
  run(ctx) {
    const status = (optional(ctx.input, 'AssignmentStatus') ?? 'Any') as 'Assigned' | 'Unassigned' | 'Any';
    const { after, limit } = page(ctx.input);
    const { items, tail } = pageTail(ctx.store.listVirtualDevices(status, after, limit + 1), limit, (d) => d.serial);
    const xml = items.map((d) => virtualMfaDevice(d, d.userName === null ? undefined : ctx.store.getUser(d.userName), ctx.account));
    return members('VirtualMFADevices', xml) + tail;
  },
});
