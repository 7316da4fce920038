/**
 * The response documents of the AWS Query protocol, shaped as IAM and STS shape them:
 *
 * ```xml
 * <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
 *   <CreateUserResult><User>…</User></CreateUserResult>
 *   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
 * </CreateUserResponse>
 *
 * <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
 *   <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…</Message></Error>
 *   <RequestId>…</RequestId>
 * </ErrorResponse>
 * ```
 *
 * An operation without output (EnableMFADevice, DeleteUser, …) answers only its
 * `ResponseMetadata`; the `…Result` wrapper is the model's `resultWrapper`.
 */
import type { AwsError } from './aws-error.js';
import { escapeXml } from './xml.js';

/** The two services on the endpoint, with their API versions and XML namespaces. */
export const SERVICES = {
  iam: { version: '2010-05-08', namespace: 'https://iam.amazonaws.com/doc/2010-05-08/' },
  sts: { version: '2011-06-15', namespace: 'https://sts.amazonaws.com/doc/2011-06-15/' },
} as const;
export type ServiceName = keyof typeof SERVICES;

/** A successful answer; `result` is the content of `<ActionResult>`, undefined for no output. */
export function successXml(service: ServiceName, action: string, result: string | undefined, requestId: string): string {
  const wrapped = result === undefined ? '' : `\n  <${action}Result>${result}</${action}Result>`;
  return (
    `<${action}Response xmlns="${SERVICES[service].namespace}">${wrapped}\n` +
    `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`
  );
}

/** An error answer, laid out line for line as AWS lays it out. */
export function errorXml(service: ServiceName, error: AwsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${SERVICES[service].namespace}">\n` +
    `  <Error>\n    <Type>${error.type}</Type>\n    <Code>${error.code}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`
  );
}
