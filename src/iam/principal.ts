/**
 * Who is calling: the account's root user, an IAM user (a long-term access key), a session
 * from GetSessionToken (of the root or of a user), or a role session from AssumeRole; and the
 * ARNs IAM and STS name them by.
 *
 * @example
 * ```ts
 * userArn('123456789012', '/', 'alice');        // 'arn:aws:iam::123456789012:user/alice'
 * virtualMfaSerial('123456789012', '/', 'alice'); // 'arn:aws:iam::123456789012:mfa/alice'
 * ```
 */
import type { RoleRow, UserRow } from './store/iam-store.js';

export type Principal =
  | { kind: 'root'; accessKeyId: string }
  | { kind: 'user'; accessKeyId: string; user: UserRow }
  | {
      kind: 'session';
      accessKeyId: string;
      /** null: a session of the root user. */
      user: UserRow | null;
      /** Unix ms when MFA was presented for this session, or null (aws:MultiFactorAuthPresent). */
      mfaAuthTime: number | null;
    }
  | {
      kind: 'role';
      accessKeyId: string;
      role: RoleRow;
      sessionName: string;
      mfaAuthTime: number | null;
      sourceIdentity: string | null;
    };

export const rootArn = (account: string): string => `arn:aws:iam::${account}:root`;
export const userArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:user${path}${name}`;
export const roleArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:role${path}${name}`;
export const virtualMfaSerial = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:mfa${path}${name}`;
export const assumedRoleArn = (account: string, role: string, session: string): string => `arn:aws:sts::${account}:assumed-role/${role}/${session}`;

/** `arn:aws:iam::ACCOUNT:role/PATH/NAME` split, or undefined when it is not a role ARN. */
export function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007F]*\/)?)([\w+=,.@-]+)$/.exec(arn);
  return m === null ? undefined : { account: m[1]!, path: m[2]!, name: m[3]! };
}

/** The IAM user behind a principal (a session's user too), or null for root and roles. */
export function principalUser(p: Principal): UserRow | null {
  if (p.kind === 'user') return p.user;
  if (p.kind === 'session') return p.user;
  return null;
}

/** The ARN a principal is known by (GetCallerIdentity's Arn, AccessDenied messages). */
export function principalArn(p: Principal, account: string): string {
  switch (p.kind) {
    case 'root':
      return rootArn(account);
    case 'user':
      return userArn(account, p.user.path, p.user.userName);
    case 'session':
      return p.user === null ? rootArn(account) : userArn(account, p.user.path, p.user.userName);
    case 'role':
      return assumedRoleArn(account, p.role.roleName, p.sessionName);
  }
}

/** GetCallerIdentity's UserId: the account ID for root, AIDA… for users, AROA…:session for roles. */
export function principalUserId(p: Principal, account: string): string {
  switch (p.kind) {
    case 'root':
      return account;
    case 'user':
      return p.user.userId;
    case 'session':
      return p.user === null ? account : p.user.userId;
    case 'role':
      return `${p.role.roleId}:${p.sessionName}`;
  }
}
