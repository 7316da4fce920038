/**
 * The input shapes of the actions the endpoint serves, with their constraints exactly as the
 * service models give them (botocore `iam/2010-05-08/service-2.json` and
 * `sts/2011-06-15/service-2.json`: `min`, `max`, `pattern`, `enum`). `pattern` is the model's
 * own (Java) text, quoted verbatim in validation messages; `regex` is its JavaScript form,
 * matched against the whole value as Java's `matches()` does.
 */

export interface StringShape {
  readonly type: 'string';
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly regex?: RegExp;
  readonly enum?: readonly string[];
  /** The model marks it `sensitive`: its value is never echoed in a message. */
  readonly sensitive?: boolean;
}
export interface IntegerShape {
  readonly type: 'integer';
  readonly min?: number;
  readonly max?: number;
}
export interface BooleanShape {
  readonly type: 'boolean';
}
/** A list of structures (`Tags.member.N.Key`) or of scalars (`fields` empty). */
export interface ListShape {
  readonly type: 'list';
  readonly max?: number;
  readonly fields: Readonly<Record<string, StringShape>>;
  readonly required?: readonly string[];
}
export type Shape = StringShape | IntegerShape | BooleanShape | ListShape;

/** One input member of an operation. */
export interface Member {
  readonly name: string;
  readonly shape: Shape;
  readonly required?: boolean;
}

const str = (min: number | undefined, max: number | undefined, pattern?: string, regex?: RegExp, extra: Partial<StringShape> = {}): StringShape => ({
  type: 'string',
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
  ...(pattern === undefined ? {} : { pattern, regex: regex! }),
  ...extra,
});

// IAM 2010-05-08
export const userNameType = str(1, 64, '[\\w+=,.@-]+', /^[\w+=,.@-]+$/);
export const existingUserNameType = str(1, 128, '[\\w+=,.@-]+', /^[\w+=,.@-]+$/);
export const pathType = str(1, 512, '(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)', /^(?:\/|\/[\u0021-\u007F]+\/)$/);
export const pathPrefixType = str(1, 512, '\\u002F[\\u0021-\\u007F]*', /^\/[\u0021-\u007F]*$/);
export const serialNumberType = str(9, 256, '[\\w+=/:,.@-]+', /^[\w+=/:,.@-]+$/);
export const authenticationCodeType = str(6, 6, '[\\d]+', /^\d+$/);
export const virtualMFADeviceName = str(1, undefined, '[\\w+=,.@-]+', /^[\w+=,.@-]+$/);
export const assignmentStatusType: StringShape = { type: 'string', enum: ['Assigned', 'Unassigned', 'Any'] };
export const markerType = str(1, 320, '[\\u0020-\\u00FF]+', /^[\u0020-\u00FF]+$/);
export const maxItemsType: IntegerShape = { type: 'integer', min: 1, max: 1000 };
export const accessKeyIdType = str(16, 128, '[\\w]+', /^\w+$/);
export const passwordType = str(1, 128, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', /^[\t\n\r\u0020-\u00FF]+$/, { sensitive: true });
export const booleanType: BooleanShape = { type: 'boolean' };
export const roleNameType = str(1, 64, '[\\w+=,.@-]+', /^[\w+=,.@-]+$/);
export const policyDocumentType = str(1, 131072, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', /^[\t\n\r\u0020-\u00FF]+$/);
export const roleDescriptionType = str(undefined, 1000, '[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*', /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u);
export const roleMaxSessionDurationType: IntegerShape = { type: 'integer', min: 3600, max: 43200 };
export const arnType = str(
  20,
  2048,
  '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+',
  /^[\t\n\r\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u,
);
const tagKeyType = str(1, 128, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+', /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u);
const tagValueType = str(0, 256, '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*', /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
export const tagListType: ListShape = { type: 'list', max: 50, fields: { Key: tagKeyType, Value: tagValueType }, required: ['Key', 'Value'] };

// STS 2011-06-15
export const durationSecondsType: IntegerShape = { type: 'integer', min: 900, max: 129600 };
export const roleDurationSecondsType: IntegerShape = { type: 'integer', min: 900, max: 43200 };
export const stsSerialNumberType = str(9, 256, '[\\w+=/:,.@-]*', /^[\w+=/:,.@-]*$/);
export const tokenCodeType = str(6, 6, '[\\d]*', /^\d*$/);
export const roleSessionNameType = str(2, 64, '[\\w+=,.@-]*', /^[\w+=,.@-]*$/);
export const sessionPolicyDocumentType = str(1, 2048, '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', /^[\t\n\r\u0020-\u00FF]+$/);
export const externalIdType = str(2, 1224, '[\\w+=,.@:\\/-]*', /^[\w+=,.@:/-]*$/);
export const sourceIdentityType = str(2, 64, '[\\w+=,.@-]*', /^[\w+=,.@-]*$/);
export const policyDescriptorListType: ListShape = { type: 'list', fields: { arn: arnType } };
export const tagKeyListType: ListShape = { type: 'list', max: 50, fields: { '': tagKeyType } };
