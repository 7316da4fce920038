/**
 * A strict local IAM/STS endpoint for MFA flows: the AWS Query protocol (IAM 2010-05-08, STS
 * 2011-06-15) with SigV4, real TOTP checks from seeds, and an embedded SQLite store. It plays
 * the relying party: it uses the OTP core and the seed loaders, never the device side.
 * Users run it as `tokenrig iam serve`; it is not (yet) a package entry point of its own.
 *
 * @example
 * ```ts
 * import { IamStore, IamService, IamHttpEndpoint } from './src/iam/index.js';
 * const service = IamService.open({ store: IamStore.open('./iam-state') });
 * const endpoint = await IamHttpEndpoint.listen(service, { port: 0 });
 * console.log(endpoint.url, service.rootCredentials.accessKeyId);
 * ```
 */
export { IamStore, DATABASE_FILE, type IamStoreOptions } from './store/iam-store.js';
export { IamService, DEFAULT_WINDOWS, type IamServiceOptions, type ServiceResponse } from './iam-service.js';
export { IamHttpEndpoint, type EndpointOptions } from './http-endpoint.js';
export { importHardwareTokens, hardwareTokenProblem } from './seed-import.js';
export { IamQueryClient, QueryAnswer, type QueryClientOptions, type AwsErrorReply } from './query-client.js';
export { signRequest, type Credentials } from './auth/sigv4.js';
export { AwsError, AWS_ERRORS, type AwsErrorCode } from './wire/aws-error.js';
export { ACTIONS } from './actions/index.js';
export { MFA_DEVICES_PER_USER } from './actions/mfa-devices.js';
export { virtualMfaUri } from './actions/virtual-mfa-devices.js';
