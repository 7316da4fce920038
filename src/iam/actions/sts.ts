/**
 * STS: GetSessionToken and AssumeRole with SerialNumber + TokenCode (each code single use,
 * checked by the strict verifier), and GetCallerIdentity. The credentials they issue work on
 * this endpoint and carry aws:MultiFactorAuthPresent: IAM refuses session credentials issued
 * without MFA, and a role whose trust policy requires MFA can be assumed with a session that
 * has it (docs/iam-endpoint.md).
 */
import { AwsError, accessDenied, validationError } from '../wire/aws-error.js';
import {
  arnType,
  durationSecondsType,
  externalIdType,
  policyDescriptorListType,
  roleDurationSecondsType,
  roleSessionNameType,
  sessionPolicyDocumentType,
  sourceIdentityType,
  stsSerialNumberType,
  tagKeyListType,
  tagListType,
  tokenCodeType,
} from '../wire/shapes.js';
import { el, node } from '../wire/xml.js';
import { trustAllows, parseTrustPolicy } from '../policy/trust-policy.js';
import { type Principal, assumedRoleArn, parseRoleArn, principalArn, principalUser, principalUserId, roleArn } from '../principal.js';
import type { SessionRow, UserRow } from '../store/iam-store.js';
import { type ActionContext, action, optional, required } from './action.js';
import { checkSignIn } from './mfa-codes.js';
import { credentials } from './render.js';
import { principalExists } from './roles.js';

/** STS's text when the device or the code fails (GetSessionToken; AssumeRole for the device). */
export const MFA_FAILED = 'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';
export const MFA_BAD_CODE = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';
export const MFA_INCOMPLETE = 'MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.';

/** Session lengths (seconds), from the GetSessionToken and AssumeRole API references. */
export const SESSION_LIMITS = { userDefault: 43_200, rootDefault: 3_600, rootMax: 3_600, roleDefault: 3_600, chainingMax: 3_600 } as const;

/**
 * Check the MFA parameters of a call: undefined when none were given; the time MFA was
 * presented when the code is right (its step is then spent); AccessDenied otherwise.
 */
function presentMfa(ctx: ActionContext, user: UserRow | null, badCode: string): number | undefined {
  const serial = optional(ctx.input, 'SerialNumber');
  const code = optional(ctx.input, 'TokenCode');
  if (serial === undefined && code === undefined) return undefined;
  if (serial === undefined || code === undefined) throw accessDenied(MFA_INCOMPLETE);
  const device = ctx.store.getDevice(serial);
  if (user === null || device === undefined || device.userName === null || device.userName.toLowerCase() !== user.userName.toLowerCase()) throw accessDenied(MFA_FAILED);
  const r = checkSignIn(device, code, ctx.now, ctx.windows);
  if (!r.ok) throw accessDenied(badCode);
  ctx.store.updateDeviceState(device.serial, r.state.lastStep!, r.state.offset);
  return ctx.now;
}

function newSession(ctx: ActionContext, fields: Pick<SessionRow, 'kind' | 'userName' | 'roleName' | 'roleId' | 'sessionName' | 'sourceIdentity' | 'mfaAuthTime'>, seconds: number): SessionRow {
  const s: SessionRow = { accessKeyId: ctx.ids.temporaryAccessKeyId(), secret: ctx.ids.secretAccessKey(), token: ctx.ids.sessionToken(), ...fields, expiration: ctx.now + seconds * 1000, createDate: ctx.now };
  ctx.store.insertSession(s);
  return s;
}

export const GetSessionToken = action({
  service: 'sts',
  input: [
    { name: 'DurationSeconds', shape: durationSecondsType },
    { name: 'SerialNumber', shape: stsSerialNumberType },
    { name: 'TokenCode', shape: tokenCodeType },
  ],
  run(ctx) {
    const user = principalUser(ctx.principal);
    const asked = ctx.input.DurationSeconds as number | undefined;
    // The root user's sessions last at most an hour; a longer request is cut to an hour.
    const seconds = user === null ? Math.min(asked ?? SESSION_LIMITS.rootDefault, SESSION_LIMITS.rootMax) : (asked ?? SESSION_LIMITS.userDefault);
    const mfaAuthTime = presentMfa(ctx, user, MFA_FAILED) ?? null;
    const s = newSession(ctx, { kind: 'session', userName: user?.userName ?? null, roleName: null, roleId: null, sessionName: null, sourceIdentity: null, mfaAuthTime }, seconds);
    return credentials(s);
  },
});

/** The MFA context of a caller who presented no code now: absent for long-term keys. */
function inheritedMfa(p: Principal): number | null | undefined {
  return p.kind === 'session' || p.kind === 'role' ? p.mfaAuthTime : undefined;
}

export const AssumeRole = action({
  service: 'sts',
  input: [
    { name: 'RoleArn', shape: arnType, required: true },
    { name: 'RoleSessionName', shape: roleSessionNameType, required: true },
    { name: 'PolicyArns', shape: policyDescriptorListType },
    { name: 'Policy', shape: sessionPolicyDocumentType },
    { name: 'DurationSeconds', shape: roleDurationSecondsType },
    { name: 'Tags', shape: tagListType },
    { name: 'TransitiveTagKeys', shape: tagKeyListType },
    { name: 'ExternalId', shape: externalIdType },
    { name: 'SerialNumber', shape: stsSerialNumberType },
    { name: 'TokenCode', shape: tokenCodeType },
    { name: 'SourceIdentity', shape: sourceIdentityType },
  ],
  run(ctx) {
    const p = ctx.principal;
    if (p.kind === 'root' || (p.kind === 'session' && p.user === null)) throw accessDenied('Roles may not be assumed by root accounts.');
    const arn = required(ctx.input, 'RoleArn');
    const parsed = parseRoleArn(arn);
    if (parsed === undefined) throw validationError('Request ARN is invalid');
    const callerArn = principalArn(p, ctx.account);
    const denied = (): AwsError => accessDenied(`User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    const role = parsed.account === ctx.account ? ctx.store.getRole(parsed.name) : undefined;
    if (role === undefined || role.path !== parsed.path) throw denied();

    const seconds = (ctx.input.DurationSeconds as number | undefined) ?? SESSION_LIMITS.roleDefault;
    if (p.kind === 'role' && seconds > SESSION_LIMITS.chainingMax) throw validationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    if (seconds > role.maxSessionDuration) throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const policy = optional(ctx.input, 'Policy');
    if (policy !== undefined) {
      try {
        JSON.parse(policy);
      } catch {
        throw new AwsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
    }

    const presented = presentMfa(ctx, principalUser(p), MFA_BAD_CODE);
    const inherited = inheritedMfa(p);
    const mfaAuthTime = presented ?? inherited ?? null;
    const mfaPresent = presented !== undefined ? true : inherited === undefined ? undefined : inherited !== null;
    const user = principalUser(p);
    const statements = parseTrustPolicy(role.trustPolicy, (a) => principalExists(ctx.store, ctx.account, a));
    const allowed = trustAllows(statements, {
      account: ctx.account,
      principalArn: callerArn,
      ...(p.kind === 'role' ? { roleArn: roleArn(ctx.account, p.role.path, p.role.roleName) } : {}),
      principalType: p.kind === 'role' ? 'AssumedRole' : 'User',
      userId: principalUserId(p, ctx.account),
      ...(user === null ? {} : { userName: user.userName }),
      mfaPresent,
      mfaAgeSeconds: mfaAuthTime === null ? undefined : Math.floor((ctx.now - mfaAuthTime) / 1000),
      ...(optional(ctx.input, 'ExternalId') === undefined ? {} : { externalId: optional(ctx.input, 'ExternalId')! }),
      ...(optional(ctx.input, 'SourceIdentity') === undefined ? {} : { sourceIdentity: optional(ctx.input, 'SourceIdentity')! }),
    });
    if (!allowed) throw denied();

    const sessionName = required(ctx.input, 'RoleSessionName');
    const sourceIdentity = optional(ctx.input, 'SourceIdentity') ?? (p.kind === 'role' ? p.sourceIdentity : null);
    const s = newSession(ctx, { kind: 'role', userName: null, roleName: role.roleName, roleId: role.roleId, sessionName, sourceIdentity, mfaAuthTime }, seconds);
    return (
      credentials(s) +
      node('AssumedRoleUser', el('AssumedRoleId', `${role.roleId}:${sessionName}`) + el('Arn', assumedRoleArn(ctx.account, role.roleName, sessionName))) +
      el('SourceIdentity', sourceIdentity)
    );
  },
});

export const GetCallerIdentity = action({
  service: 'sts',
  readOnly: true,
  input: [],
  run(ctx) {
    return el('UserId', principalUserId(ctx.principal, ctx.account)) + el('Account', ctx.account) + el('Arn', principalArn(ctx.principal, ctx.account));
  },
});
