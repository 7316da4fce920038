/**
 * A role's trust policy (AssumeRolePolicyDocument): checked when the role is created, and
 * evaluated when someone calls AssumeRole, with the IAM policy language's rules for the part
 * a trust policy uses (IAM User Guide, "IAM JSON policy elements reference"): Effect, Action,
 * Principal (AWS principals), Condition; an explicit Deny wins, an Allow is needed, nothing
 * else allows.
 *
 * Conditions: the operators String(Not)Equals(IgnoreCase), String(Not)Like, Bool, Numeric*,
 * Null, each (but Null) with `…IfExists`, over the keys aws:MultiFactorAuthPresent,
 * aws:MultiFactorAuthAge, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
 * aws:userid, aws:username, sts:ExternalId and sts:SourceIdentity. A key the request does not
 * carry is absent (a negated operator is then true, `IfExists` true, others false); an
 * operator outside that list never matches, so an unknown condition can only refuse.
 *
 * @example
 * ```ts
 * const policy = parseTrustPolicy(doc, (arn) => store has it);
 * trustAllows(policy, { principalArn, account, mfaPresent: true, mfaAgeSeconds: 0, ... });
 * ```
 */
import { AwsError } from '../wire/aws-error.js';

export interface TrustStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  /** AWS principal values ('*' for everyone); other principal kinds never match a caller here. */
  principals: string[];
  conditions: { operator: string; key: string; values: string[] }[];
}

/** What a trust policy is evaluated against. */
export interface TrustRequest {
  account: string;
  /** The caller's ARN (user, or assumed-role session for role chaining). */
  principalArn: string;
  /** For a role session: the role's own ARN, which a policy may name. */
  roleArn?: string;
  principalType: 'User' | 'AssumedRole';
  userId: string;
  userName?: string;
  /** undefined: the key is absent (long-term credentials without MFA). */
  mfaPresent: boolean | undefined;
  mfaAgeSeconds: number | undefined;
  externalId?: string;
  sourceIdentity?: string;
}

const malformed = (message: string): AwsError => new AwsError('MalformedPolicyDocument', message);

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function strings(v: unknown): string[] | undefined {
  const list = asList(v);
  return list.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') ? list.map(String) : undefined;
}

/**
 * Parse and check a trust policy, as CreateRole does. `principalExists` tells whether a user
 * or role ARN names an entity that exists (IAM refuses a trust policy naming one that does
 * not: `Invalid principal in policy`).
 */
export function parseTrustPolicy(document: string, principalExists: (arn: string) => boolean): TrustStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(document);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed('This policy contains invalid Json');
  const statements = (doc as Record<string, unknown>).Statement;
  if (statements === undefined || (typeof statements !== 'object' && !Array.isArray(statements)) || statements === null) throw malformed('Syntax errors in policy.');
  return asList(statements).map((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw malformed('Syntax errors in policy.');
    const s = raw as Record<string, unknown>;
    if ('Resource' in s || 'NotResource' in s) throw malformed(`Has prohibited field ${'Resource' in s ? 'Resource' : 'NotResource'}`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Syntax errors in policy.');
    const actions = strings(s.Action);
    if (actions === undefined || actions.length === 0) throw malformed('Syntax errors in policy.');
    if (!('Principal' in s)) throw malformed('Missing required field Principal');
    const principals: string[] = [];
    if (s.Principal === '*') principals.push('*');
    else if (typeof s.Principal === 'object' && s.Principal !== null && !Array.isArray(s.Principal)) {
      for (const [kind, value] of Object.entries(s.Principal as Record<string, unknown>)) {
        const values = strings(value);
        if (values === undefined) throw malformed('Syntax errors in policy.');
        if (kind !== 'AWS') continue; // Service and Federated principals never match a caller of this endpoint.
        for (const v of values) {
          if (v !== '*' && !/^\d{12}$/.test(v) && !/^arn:aws:(iam|sts)::\d{12}:/.test(v)) throw malformed(`Invalid principal in policy: "AWS":"${v}"`);
          if (/^arn:aws:iam::\d{12}:(user|role)\//.test(v) && !principalExists(v)) throw malformed(`Invalid principal in policy: "AWS":"${v}"`);
          principals.push(v);
        }
      }
    } else throw malformed('Syntax errors in policy.');
    const conditions: TrustStatement['conditions'] = [];
    if (s.Condition !== undefined) {
      if (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition)) throw malformed('Syntax errors in policy.');
      for (const [operator, block] of Object.entries(s.Condition as Record<string, unknown>)) {
        if (typeof block !== 'object' || block === null || Array.isArray(block)) throw malformed('Syntax errors in policy.');
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          const values = strings(value);
          if (values === undefined) throw malformed('Syntax errors in policy.');
          conditions.push({ operator, key, values });
        }
      }
    }
    return { effect: s.Effect, actions, principals, conditions };
  });
}

/** IAM's wildcards: `*` any run, `?` one character; case-insensitive for actions. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
  return re.test(value);
}

function principalMatches(value: string, req: TrustRequest): boolean {
  if (value === '*') return true;
  if (value === req.account || value === `arn:aws:iam::${req.account}:root`) return true;
  return value === req.principalArn || (req.roleArn !== undefined && value === req.roleArn);
}

/** The value of a condition key in the request, or undefined when it is absent. */
function contextValue(key: string, req: TrustRequest): string | undefined {
  switch (key.toLowerCase()) {
    case 'aws:multifactorauthpresent':
      return req.mfaPresent === undefined ? undefined : String(req.mfaPresent);
    case 'aws:multifactorauthage':
      return req.mfaAgeSeconds === undefined ? undefined : String(req.mfaAgeSeconds);
    case 'aws:principalarn':
      return req.roleArn ?? req.principalArn;
    case 'aws:principalaccount':
      return req.account;
    case 'aws:principaltype':
      return req.principalType;
    case 'aws:userid':
      return req.userId;
    case 'aws:username':
      return req.userName;
    case 'sts:externalid':
      return req.externalId;
    case 'sts:sourceidentity':
      return req.sourceIdentity;
    default:
      return undefined;
  }
}

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  NumericEquals: (a, b) => a === b,
  NumericNotEquals: (a, b) => a !== b,
  NumericLessThan: (a, b) => a < b,
  NumericLessThanEquals: (a, b) => a <= b,
  NumericGreaterThan: (a, b) => a > b,
  NumericGreaterThanEquals: (a, b) => a >= b,
};

function conditionHolds(c: TrustStatement['conditions'][number], req: TrustRequest): boolean {
  const value = contextValue(c.key, req);
  if (c.operator === 'Null') return c.values.some((v) => (v.toLowerCase() === 'true') === (value === undefined));
  const ifExists = c.operator.endsWith('IfExists');
  const op = ifExists ? c.operator.slice(0, -'IfExists'.length) : c.operator;
  const negated = op === 'StringNotEquals' || op === 'StringNotEqualsIgnoreCase' || op === 'StringNotLike' || op === 'NumericNotEquals';
  const known = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike', 'Bool', ...Object.keys(NUMERIC)].includes(op);
  if (!known) return false;
  if (value === undefined) return ifExists || negated;
  switch (op) {
    case 'StringEquals':
      return c.values.includes(value);
    case 'StringNotEquals':
      return !c.values.includes(value);
    case 'StringEqualsIgnoreCase':
      return c.values.some((v) => v.toLowerCase() === value.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return !c.values.some((v) => v.toLowerCase() === value.toLowerCase());
    case 'StringLike':
      return c.values.some((v) => wildcard(v, value, false));
    case 'StringNotLike':
      return !c.values.some((v) => wildcard(v, value, false));
    case 'Bool':
      return c.values.some((v) => v.toLowerCase() === value);
    default: {
      const n = Number(value);
      const cmp = NUMERIC[op]!;
      return op === 'NumericNotEquals' ? c.values.every((v) => cmp(n, Number(v))) : c.values.some((v) => cmp(n, Number(v)));
    }
  }
}

function applies(s: TrustStatement, req: TrustRequest): boolean {
  return s.actions.some((a) => wildcard(a, 'sts:AssumeRole', true)) && s.principals.some((p) => principalMatches(p, req)) && s.conditions.every((c) => conditionHolds(c, req));
}

/** True when the policy lets the caller assume the role: an Allow applies and no Deny does. */
export function trustAllows(statements: readonly TrustStatement[], req: TrustRequest): boolean {
  let allowed = false;
  for (const s of statements) {
    if (!applies(s, req)) continue;
    if (s.effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
