/**
 * CreateUser, GetUser, ListUsers, DeleteUser: the minimal user lifecycle the MFA flows need.
 * Messages are IAM's (docs/iam-endpoint.md lists them).
 */
import { entityAlreadyExists, deleteConflict, noSuchEntity } from '../wire/aws-error.js';
import { existingUserNameType, pathPrefixType, pathType, tagListType, userNameType, arnType } from '../wire/shapes.js';
import { el, isoSeconds, members, node } from '../wire/xml.js';
import { rootArn } from '../principal.js';
import type { IamStore, UserRow } from '../store/iam-store.js';
import { type ActionContext, PAGE_INPUT, action, noImplicitUser, optional, page, pageTail, required } from './action.js';
import { tagsJson, userFields } from './render.js';

/** The user `name`, or IAM's NoSuchEntity. */
export function existingUser(store: IamStore, name: string): UserRow {
  const u = store.getUser(name);
  if (u === undefined) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return u;
}

/** The user an action is about: the named one, else the caller (undefined: the root user). */
export function targetUser(ctx: ActionContext, name: string | undefined): UserRow | undefined {
  if (name !== undefined) return existingUser(ctx.store, name);
  const p = ctx.principal;
  if (p.kind === 'user') return p.user;
  if (p.kind === 'session') return p.user ?? undefined;
  if (p.kind === 'root') return undefined;
  return noImplicitUser();
}

export const CreateUser = action({
  service: 'iam',
  input: [
    { name: 'Path', shape: pathType },
    { name: 'UserName', shape: userNameType, required: true },
    { name: 'PermissionsBoundary', shape: arnType },
    { name: 'Tags', shape: tagListType },
  ],
  run(ctx) {
    const name = required(ctx.input, 'UserName');
    if (ctx.store.getUser(name) !== undefined) throw entityAlreadyExists(`User with name ${name} already exists.`);
    const user: UserRow = { userName: name, userId: ctx.ids.userId(), path: optional(ctx.input, 'Path') ?? '/', createDate: ctx.now, tags: tagsJson(ctx.input.Tags as Record<string, string>[] | undefined) };
    ctx.store.insertUser(user);
    return node('User', userFields(user, ctx.account, true));
  },
});

export const GetUser = action({
  service: 'iam',
  readOnly: true,
  input: [{ name: 'UserName', shape: existingUserNameType }],
  run(ctx) {
    const user = targetUser(ctx, optional(ctx.input, 'UserName'));
    if (user === undefined) {
      // The root user has no name: IAM answers its ID (the account's) and ARN.
      const created = Number(ctx.store.getMeta('created') ?? ctx.now);
      return node('User', el('UserId', ctx.account) + el('Arn', rootArn(ctx.account)) + el('CreateDate', isoSeconds(created)));
    }
    return node('User', userFields(user, ctx.account, true));
  },
});

export const ListUsers = action({
  service: 'iam',
  readOnly: true,
  input: [
    { name: 'PathPrefix', shape: pathPrefixType },
    ...PAGE_INPUT,
  ],
  run(ctx) {
    const { after, limit } = page(ctx.input);
    const rows = ctx.store.listUsers(optional(ctx.input, 'PathPrefix') ?? '/', after, limit + 1);
    const { items, tail } = pageTail(rows, limit, (u) => u.userName);
    return members('Users', items.map((u) => userFields(u, ctx.account, false))) + tail;
  },
});

export const DeleteUser = action({
  service: 'iam',
  input: [{ name: 'UserName', shape: existingUserNameType, required: true }],
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    // IAM refuses to delete a user that still has subordinate entities, naming the first it finds.
    if (ctx.store.getLoginProfile(user.userName) !== undefined) throw deleteConflict('Cannot delete entity, must delete login profile first.');
    if (ctx.store.countAccessKeys(user.userName) > 0) throw deleteConflict('Cannot delete entity, must delete access keys first.');
    if (ctx.store.countUserDevices(user.userName) > 0) throw deleteConflict('Cannot delete entity, must delete MFA device first.');
    ctx.store.deleteUser(user.userName);
    return undefined;
  },
});
