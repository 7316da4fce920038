/**
 * The response structures of the service models (User, AccessKey, AccessKeyMetadata,
 * LoginProfile, MFADevice, VirtualMFADevice, Role, Credentials, Tag), members in the models'
 * order, from store rows.
 */
import { roleArn, userArn } from '../principal.js';
import type { AccessKeyRow, MfaDeviceRow, RoleRow, SessionRow, UserRow } from '../store/iam-store.js';
import { el, isoMillis, isoSeconds, members, node } from '../wire/xml.js';

export interface Tag {
  Key: string;
  Value: string;
}

/** `<Tags>` from the stored JSON, or nothing when there are none. */
export function tagsXml(json: string): string {
  const tags = JSON.parse(json) as Tag[];
  return tags.length === 0 ? '' : members('Tags', tags.map((t) => el('Key', t.Key) + el('Value', t.Value)));
}

/** Tags from validated input, as stored (later duplicates of a key replace earlier ones). */
export function tagsJson(tags: Record<string, string>[] | undefined): string {
  const byKey = new Map<string, string>();
  for (const t of tags ?? []) byKey.set(t.Key!, t.Value!);
  return JSON.stringify([...byKey].map(([Key, Value]) => ({ Key, Value })));
}

export function userFields(u: UserRow, account: string, withTags: boolean): string {
  return (
    el('Path', u.path) + el('UserName', u.userName) + el('UserId', u.userId) + el('Arn', userArn(account, u.path, u.userName)) + el('CreateDate', isoSeconds(u.createDate)) + (withTags ? tagsXml(u.tags) : '')
  );
}

export function accessKeyMetadata(k: AccessKeyRow): string {
  return el('UserName', k.userName) + el('AccessKeyId', k.accessKeyId) + el('Status', k.status) + el('CreateDate', isoSeconds(k.createDate));
}

export function mfaDevice(d: MfaDeviceRow): string {
  return el('UserName', d.userName) + el('SerialNumber', d.serial) + el('EnableDate', d.enableDate === null ? undefined : isoSeconds(d.enableDate));
}

/** A VirtualMFADevice as ListVirtualMFADevices shows it: serial, and the user and date when assigned. */
export function virtualMfaDevice(d: MfaDeviceRow, user: UserRow | undefined, account: string): string {
  return (
    el('SerialNumber', d.serial) +
    (user === undefined ? '' : node('User', userFields(user, account, false))) +
    el('EnableDate', d.enableDate === null ? undefined : isoSeconds(d.enableDate))
  );
}

export function roleFields(r: RoleRow, account: string, full: boolean): string {
  return (
    el('Path', r.path) +
    el('RoleName', r.roleName) +
    el('RoleId', r.roleId) +
    el('Arn', roleArn(account, r.path, r.roleName)) +
    el('CreateDate', isoSeconds(r.createDate)) +
    // IAM returns the trust policy URL-encoded (RFC 3986), as the SDKs then decode it.
    el('AssumeRolePolicyDocument', encodeURIComponent(r.trustPolicy)) +
    el('Description', r.description) +
    el('MaxSessionDuration', r.maxSessionDuration) +
    (full ? tagsXml(r.tags) : '')
  );
}

export function credentials(s: SessionRow): string {
  return node('Credentials', el('AccessKeyId', s.accessKeyId) + el('SecretAccessKey', s.secret) + el('SessionToken', s.token) + el('Expiration', isoMillis(s.expiration)));
}
