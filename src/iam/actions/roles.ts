/**
 * CreateRole, GetRole, DeleteRole: roles to assume with MFA. A role carries its trust policy
 * (checked at creation as IAM checks it, evaluated by AssumeRole) and its MaxSessionDuration;
 * permission policies are not emulated.
 */
import { entityAlreadyExists, noSuchEntity } from '../wire/aws-error.js';
import { arnType, policyDocumentType, roleDescriptionType, roleMaxSessionDurationType, roleNameType, pathType, tagListType } from '../wire/shapes.js';
import { node } from '../wire/xml.js';
import { parseTrustPolicy } from '../policy/trust-policy.js';
import { parseRoleArn } from '../principal.js';
import type { IamStore, RoleRow } from '../store/iam-store.js';
import { action, optional, required } from './action.js';
import { roleFields, tagsJson } from './render.js';

export function existingRole(store: IamStore, name: string): RoleRow {
  const r = store.getRole(name);
  if (r === undefined) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return r;
}

/** Whether a user or role ARN of `account` names an entity that exists (for trust policies). */
export function principalExists(store: IamStore, account: string, arn: string): boolean {
  const user = /^arn:aws:iam::(\d{12}):user(\/(?:[\u0021-\u007F]*\/)?)([\w+=,.@-]+)$/.exec(arn);
  if (user !== null) {
    const u = user[1] === account ? store.getUser(user[3]!) : undefined;
    return u !== undefined && u.path === user[2];
  }
  const role = parseRoleArn(arn);
  if (role !== undefined) {
    const r = role.account === account ? store.getRole(role.name) : undefined;
    return r !== undefined && r.path === role.path;
  }
  return false;
}

export const CreateRole = action({
  service: 'iam',
  input: [
    { name: 'Path', shape: pathType },
    { name: 'RoleName', shape: roleNameType, required: true },
    { name: 'AssumeRolePolicyDocument', shape: policyDocumentType, required: true },
    { name: 'Description', shape: roleDescriptionType },
    { name: 'MaxSessionDuration', shape: roleMaxSessionDurationType },
    { name: 'PermissionsBoundary', shape: arnType },
    { name: 'Tags', shape: tagListType },
  ],
  run(ctx) {
    const name = required(ctx.input, 'RoleName');
    if (ctx.store.getRole(name) !== undefined) throw entityAlreadyExists(`Role with name ${name} already exists.`);
    const trustPolicy = required(ctx.input, 'AssumeRolePolicyDocument');
    parseTrustPolicy(trustPolicy, (arn) => principalExists(ctx.store, ctx.account, arn));
    const role: RoleRow = {
      roleName: name,
      roleId: ctx.ids.roleId(),
      path: optional(ctx.input, 'Path') ?? '/',
      trustPolicy,
      description: optional(ctx.input, 'Description') ?? null,
      maxSessionDuration: (ctx.input.MaxSessionDuration as number | undefined) ?? 3600,
      createDate: ctx.now,
      tags: tagsJson(ctx.input.Tags as Record<string, string>[] | undefined),
    };
    ctx.store.insertRole(role);
    return node('Role', roleFields(role, ctx.account, true));
  },
});

export const GetRole = action({
  service: 'iam',
  readOnly: true,
  input: [{ name: 'RoleName', shape: roleNameType, required: true }],
  run(ctx) {
    return node('Role', roleFields(existingRole(ctx.store, required(ctx.input, 'RoleName')), ctx.account, true));
  },
});

export const DeleteRole = action({
  service: 'iam',
  input: [{ name: 'RoleName', shape: roleNameType, required: true }],
  run(ctx) {
    ctx.store.deleteRole(existingRole(ctx.store, required(ctx.input, 'RoleName')).roleName);
    return undefined;
  },
});
