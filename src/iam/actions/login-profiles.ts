/**
 * CreateLoginProfile, GetLoginProfile, DeleteLoginProfile: a user's console password, for QA
 * flows that set one before enrolling MFA. The password is checked against IAM's default
 * password policy and kept only as an scrypt hash; console sign-in itself is not emulated.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { AwsError, entityAlreadyExists, noSuchEntity } from '../wire/aws-error.js';
import { booleanType, passwordType, userNameType } from '../wire/shapes.js';
import { el, isoSeconds, node } from '../wire/xml.js';
import { passwordProblem } from '../policy/password-policy.js';
import type { LoginProfileRow } from '../store/iam-store.js';
import { action, required } from './action.js';
import { existingUser } from './users.js';

/** scrypt with Node's defaults (N=16384, r=8, p=1), run on the thread pool, never in a transaction. */
function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, (e, key) => (e === null ? resolve(`scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`) : reject(e))),
  );
}

function profileXml(p: LoginProfileRow): string {
  return node('LoginProfile', el('UserName', p.userName) + el('CreateDate', isoSeconds(p.createDate)) + el('PasswordResetRequired', p.resetRequired === 1));
}

export const CreateLoginProfile = action<string>({
  service: 'iam',
  input: [
    { name: 'UserName', shape: userNameType, required: true },
    { name: 'Password', shape: passwordType, required: true },
    { name: 'PasswordResetRequired', shape: booleanType },
  ],
  async prepare(ctx) {
    const problem = passwordProblem(required(ctx.input, 'Password'), required(ctx.input, 'UserName'), ctx.account);
    if (problem !== undefined) throw new AwsError('PasswordPolicyViolation', 'Password does not conform to the account password policy.');
    return hashPassword(required(ctx.input, 'Password'));
  },
  run(ctx, hash) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    if (ctx.store.getLoginProfile(user.userName) !== undefined) throw entityAlreadyExists(`Login Profile for user ${user.userName} already exists.`);
    const row: LoginProfileRow = { userName: user.userName, passwordHash: hash, resetRequired: ctx.input.PasswordResetRequired === true ? 1 : 0, createDate: ctx.now };
    ctx.store.insertLoginProfile(row);
    return profileXml(row);
  },
});

export const GetLoginProfile = action({
  service: 'iam',
  readOnly: true,
  input: [{ name: 'UserName', shape: userNameType, required: true }],
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    const profile = ctx.store.getLoginProfile(user.userName);
    if (profile === undefined) throw noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
    return profileXml(profile);
  },
});

export const DeleteLoginProfile = action({
  service: 'iam',
  input: [{ name: 'UserName', shape: userNameType, required: true }],
  run(ctx) {
    const user = existingUser(ctx.store, required(ctx.input, 'UserName'));
    if (ctx.store.getLoginProfile(user.userName) === undefined) throw noSuchEntity(`Login Profile for User ${user.userName} cannot be found.`);
    ctx.store.deleteLoginProfile(user.userName);
    return undefined;
  },
});
