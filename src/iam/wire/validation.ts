/**
 * Input validation against the service model's constraints, answered the way AWS's Query
 * services answer it: HTTP 400 `ValidationError` with
 * `N validation error(s) detected: Value 'x' at 'memberName' failed to satisfy constraint: …`,
 * one clause per broken constraint, joined by `; `. The member is named in lower camel case
 * (`UserName` → `userName`), as AWS names it; a sensitive member's value is never echoed.
 *
 * @example
 * ```ts
 * const input = validateInput(params, [{ name: 'UserName', shape: userNameType, required: true }]);
 * input.UserName; // 'alice'
 * ```
 */
import { validationError } from './aws-error.js';
import { listMembers, hasList, type QueryParams } from './query-params.js';
import type { IntegerShape, ListShape, Member, StringShape } from './shapes.js';

export type InputValue = string | number | boolean | Record<string, string>[];
export type Input = Record<string, InputValue | undefined>;

/** `UserName` → `userName`, `QRCodePNG` → `qRCodePNG` (AWS lowers only the first letter). */
function wireName(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

function clause(value: string | null, at: string, constraint: string, sensitive = false): string {
  const shown = value === null ? 'Value null' : sensitive ? 'Value' : `Value '${value}'`;
  return `${shown} at '${at}' failed to satisfy constraint: Member ${constraint}`;
}

function checkString(value: string, shape: StringShape, at: string, problems: string[]): void {
  const sensitive = shape.sensitive === true;
  if (shape.enum !== undefined && !shape.enum.includes(value)) problems.push(clause(value, at, `must satisfy enum value set: [${shape.enum.join(', ')}]`, sensitive));
  if (shape.regex !== undefined && !shape.regex.test(value)) problems.push(clause(value, at, `must satisfy regular expression pattern: ${shape.pattern!}`, sensitive));
  if (shape.min !== undefined && value.length < shape.min) problems.push(clause(value, at, `must have length greater than or equal to ${shape.min}`, sensitive));
  if (shape.max !== undefined && value.length > shape.max) problems.push(clause(value, at, `must have length less than or equal to ${shape.max}`, sensitive));
}

function checkInteger(text: string, shape: IntegerShape, at: string, problems: string[]): number | undefined {
  // The Query protocol carries numbers as text; one that is not an integer cannot be bound.
  if (!/^-?\d{1,15}$/.test(text.trim())) {
    problems.push(clause(text, at, 'must be an integer'));
    return undefined;
  }
  const n = Number(text);
  if (shape.min !== undefined && n < shape.min) problems.push(clause(text, at, `must have value greater than or equal to ${shape.min}`));
  if (shape.max !== undefined && n > shape.max) problems.push(clause(text, at, `must have value less than or equal to ${shape.max}`));
  return n;
}

function checkList(params: QueryParams, name: string, shape: ListShape, at: string, problems: string[]): Record<string, string>[] {
  const items = listMembers(params, name);
  if (shape.max !== undefined && items.length > shape.max) problems.push(clause(`[${items.length} items]`, at, `must have length less than or equal to ${shape.max}`));
  items.forEach((item, i) => {
    for (const [field, fieldShape] of Object.entries(shape.fields)) {
      const fieldAt = field === '' ? `${at}.${i + 1}.member` : `${at}.${i + 1}.member.${wireName(field)}`;
      const v = item[field];
      if (v === undefined) {
        if (shape.required?.includes(field) === true) problems.push(clause(null, fieldAt, 'must not be null'));
        continue;
      }
      checkString(v, fieldShape, fieldAt, problems);
    }
  });
  return items;
}

/**
 * The typed input of an operation, or a `ValidationError` listing every broken constraint.
 * Parameters the operation does not declare are ignored, as AWS ignores them.
 */
export function validateInput(params: QueryParams, members: readonly Member[]): Input {
  const out: Input = {};
  const problems: string[] = [];
  for (const m of members) {
    const at = wireName(m.name);
    if (m.shape.type === 'list') {
      if (hasList(params, m.name)) out[m.name] = checkList(params, m.name, m.shape, at, problems);
      else if (m.required === true) problems.push(clause(null, at, 'must not be null'));
      continue;
    }
    const raw = params.get(m.name);
    if (raw === undefined) {
      if (m.required === true) problems.push(clause(null, at, 'must not be null'));
      continue;
    }
    switch (m.shape.type) {
      case 'string':
        checkString(raw, m.shape, at, problems);
        out[m.name] = raw;
        break;
      case 'integer':
        out[m.name] = checkInteger(raw, m.shape, at, problems);
        break;
      case 'boolean':
        if (raw !== 'true' && raw !== 'false') problems.push(clause(raw, at, 'must be a boolean (true or false)'));
        out[m.name] = raw === 'true';
        break;
    }
  }
  if (problems.length > 0) {
    throw validationError(`${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
  return out;
}
