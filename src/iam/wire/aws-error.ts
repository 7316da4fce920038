/**
 * Errors as AWS sends them: a wire code, an HTTP status and a message, answered as the Query
 * protocol's `<ErrorResponse>`. The codes and statuses of the service-specific errors come
 * from the IAM (2010-05-08) and STS (2011-06-15) service models (the `error` trait of each
 * exception shape: `NoSuchEntityException` is code `NoSuchEntity`, HTTP 404); the common
 * errors (authentication, validation, unknown action) from AWS's Common Errors reference.
 *
 * @example
 * ```ts
 * throw noSuchEntity(`The user with name ${name} cannot be found.`);
 * ```
 */

/** Every error code the endpoint answers, with its HTTP status. */
export const AWS_ERRORS = {
  // IAM service model (error shapes of the operations the endpoint serves).
  EntityAlreadyExists: 409,
  EntityTemporarilyUnmodifiable: 409,
  InvalidAuthenticationCode: 403,
  LimitExceeded: 409,
  NoSuchEntity: 404,
  DeleteConflict: 409,
  InvalidInput: 400,
  PasswordPolicyViolation: 400,
  MalformedPolicyDocument: 400,
  ServiceFailure: 500,
  // STS: authorization failures of AssumeRole/GetSessionToken (the operations' documented
  // "access denied"), and expired session credentials.
  AccessDenied: 403,
  ExpiredToken: 403,
  // Common errors of every Query API.
  ValidationError: 400,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  IncompleteSignature: 400,
  MissingAuthenticationToken: 403,
  InvalidAction: 400,
  MissingAction: 400,
  InternalFailure: 500,
  // Not an AWS code: a request body over the endpoint's limit (see docs/iam-endpoint.md).
  RequestEntityTooLarge: 413,
} as const;
export type AwsErrorCode = keyof typeof AWS_ERRORS;

/** An error answered on the wire; `type` is Sender for 4xx, Receiver for 5xx (Query protocol). */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  readonly code: AwsErrorCode;
  readonly status: number;

  constructor(code: AwsErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = AWS_ERRORS[code];
  }

  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

export const noSuchEntity = (message: string): AwsError => new AwsError('NoSuchEntity', message);
export const entityAlreadyExists = (message: string): AwsError => new AwsError('EntityAlreadyExists', message);
export const deleteConflict = (message: string): AwsError => new AwsError('DeleteConflict', message);
export const limitExceeded = (message: string): AwsError => new AwsError('LimitExceeded', message);
export const accessDenied = (message: string): AwsError => new AwsError('AccessDenied', message);
export const validationError = (message: string): AwsError => new AwsError('ValidationError', message);
