/** CreateAccessKey, ListAccessKeys, DeleteAccessKey: the long-term keys users sign with. */
import { limitExceeded, noSuchEntity } from '../wire/aws-error.js';
import { accessKeyIdType, existingUserNameType } from '../wire/shapes.js';
import { el, isoSeconds, members, node } from '../wire/xml.js';
import type { AccessKeyRow } from '../store/iam-store.js';
import { PAGE_INPUT, action, optional, page, pageTail, required } from './action.js';
import { accessKeyMetadata } from './render.js';
import { targetUser } from './users.js';

/** IAM's quota: two access keys per user (and per root user). */
export const ACCESS_KEYS_PER_USER = 2;

export const CreateAccessKey = action({
  service: 'iam',
  input: [{ name: 'UserName', shape: existingUserNameType }],
  run(ctx) {
    const owner = targetUser(ctx, optional(ctx.input, 'UserName'))?.userName ?? null;
    if (ctx.store.countAccessKeys(owner) >= ACCESS_KEYS_PER_USER) throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
    const key: AccessKeyRow = { accessKeyId: ctx.ids.accessKeyId(), secret: ctx.ids.secretAccessKey(), userName: owner, status: 'Active', createDate: ctx.now };
    ctx.store.insertAccessKey(key);
    return node('AccessKey', el('UserName', key.userName) + el('AccessKeyId', key.accessKeyId) + el('Status', key.status) + el('SecretAccessKey', key.secret) + el('CreateDate', isoSeconds(key.createDate)));
  },
});

export const ListAccessKeys = action({
  service: 'iam',
  readOnly: true,
  input: [
    { name: 'UserName', shape: existingUserNameType },
    ...PAGE_INPUT,
  ],
  run(ctx) {
    const owner = targetUser(ctx, optional(ctx.input, 'UserName'))?.userName ?? null;
    const { after, limit } = page(ctx.input);
    const { items, tail } = pageTail(ctx.store.listAccessKeys(owner, after, limit + 1), limit, (k) => k.accessKeyId);
    return members('AccessKeyMetadata', items.map(accessKeyMetadata)) + tail;
  },
});

export const DeleteAccessKey = action({
  service: 'iam',
  input: [
    { name: 'UserName', shape: existingUserNameType },
    { name: 'AccessKeyId', shape: accessKeyIdType, required: true },
  ],
  run(ctx) {
    const owner = targetUser(ctx, optional(ctx.input, 'UserName'))?.userName ?? null;
    const id = required(ctx.input, 'AccessKeyId');
    const key = ctx.store.getAccessKey(id);
    const same = key !== undefined && (key.userName === null ? owner === null : owner !== null && key.userName.toLowerCase() === owner.toLowerCase());
    if (!same) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    ctx.store.deleteAccessKey(id);
    return undefined;
  },
});
