/**
 * The IAM/STS service, transport-free: a signed Query request in, the status and XML document
 * AWS would answer out. Order of checks, as AWS applies them: authentication (SigV4 and the
 * access key), the action and its API version, what the credentials may call (session
 * credentials without MFA may not call IAM; session credentials may call only AssumeRole and
 * GetCallerIdentity of STS), the input against the service model, then the action in one
 * transaction. The answer is released only once every commit it may reflect is on disk.
 *
 * @example
 * ```ts
 * const service = IamService.open({ store: IamStore.open(dir) });
 * const { status, body } = await service.handle(signedRequest);
 * ```
 */
import { type Clock, systemClock } from '../clock/index.js';
import { badInput } from '../errors.js';
import type { RandomBytes } from '../otp/index.js';
import { ACTIONS, type ActionContext, type MfaWindows } from './actions/index.js';
import { authenticate, invalidClientToken, scopedService, type SignedRequest } from './auth/authenticate.js';
import { SigningKeyCache } from './auth/sigv4.js';
import { IdMinter, pooledRandom } from './ids.js';
import type { Principal } from './principal.js';
import type { IamStore } from './store/iam-store.js';
import { AwsError, accessDenied } from './wire/aws-error.js';
import { parseQueryParams } from './wire/query-params.js';
import { SERVICES, type ServiceName, errorXml, successXml } from './wire/query-response.js';
import { validateInput } from './wire/validation.js';

/**
 * The verifier's windows (TOTP steps). Sign-in: ±1 (±30 s). Enable: the first code may lie
 * ±10 steps from now, and the offset it shows is stored, so codes typed minutes late still
 * enable the device and leave it out of sync, as the EnableMFADevice reference warns. Resync:
 * ±3000 steps (25 hours) around the expected step.
 */
export const DEFAULT_WINDOWS: MfaWindows = { window: 1, enrollWindow: 10, resyncWindow: 3000 };

export interface IamServiceOptions {
  store: IamStore;
  /** The clock codes and session expiry are checked against (default: the system clock). */
  clock?: Clock;
  /** The clock request signatures' times are checked against (default: the system clock). */
  requestClock?: Clock;
  random?: RandomBytes;
  windows?: Partial<MfaWindows>;
  /** The account's root access key (created with the account when absent, random when not given). */
  accessKey?: { accessKeyId: string; secretAccessKey: string };
  /** The account ID for a new state (default: random). */
  accountId?: string;
}

/** The answer to one request. */
export interface ServiceResponse {
  status: number;
  body: string;
  requestId: string;
  action: string | undefined;
  /** The error code, when the answer is an error. */
  errorCode?: string;
  /** An unexpected fault (answered as a 500), for the log. */
  fault?: unknown;
}

const STS_FOR_SESSIONS = new Set(['AssumeRole', 'GetCallerIdentity']);

export class IamService {
  readonly store: IamStore;
  readonly account: string;
  readonly rootCredentials: { accessKeyId: string; secretAccessKey: string };
  readonly #clock: Clock;
  readonly #requestClock: Clock;
  readonly #ids: IdMinter;
  readonly #windows: MfaWindows;
  readonly #keys = new SigningKeyCache();

  private constructor(options: IamServiceOptions, account: string, root: { accessKeyId: string; secretAccessKey: string }, ids: IdMinter) {
    this.store = options.store;
    this.account = account;
    this.rootCredentials = root;
    this.#clock = options.clock ?? systemClock;
    this.#requestClock = options.requestClock ?? systemClock;
    this.#ids = ids;
    this.#windows = { ...DEFAULT_WINDOWS, ...options.windows };
  }

  /** The service over `store`, creating the account (ID, root key) on first use. */
  static open(options: IamServiceOptions): IamService {
    const ids = new IdMinter(options.random ?? pooledRandom());
    const store = options.store;
    const now = (options.clock ?? systemClock).now();
    const { account, root } = store.write(() => {
      let account = store.getMeta('account');
      if (account === undefined) {
        account = options.accountId ?? ids.accountId();
        store.setMeta('account', account);
        store.setMeta('created', String(now));
      }
      let root: { accessKeyId: string; secretAccessKey: string };
      const given = options.accessKey;
      if (given !== undefined) {
        const existing = store.getAccessKey(given.accessKeyId);
        if (existing !== undefined && existing.userName !== null) throw badInput(`access key ${given.accessKeyId} belongs to user ${existing.userName}, not to the account's root user`);
        if (existing === undefined) store.insertAccessKey({ accessKeyId: given.accessKeyId, secret: given.secretAccessKey, userName: null, status: 'Active', createDate: now });
        else if (existing.secret !== given.secretAccessKey) store.setAccessKeySecret(given.accessKeyId, given.secretAccessKey);
        root = given;
      } else {
        const first = store.listAccessKeys(null, '', 1)[0];
        if (first !== undefined) root = { accessKeyId: first.accessKeyId, secretAccessKey: first.secret };
        else {
          root = { accessKeyId: ids.accessKeyId(), secretAccessKey: ids.secretAccessKey() };
          store.insertAccessKey({ accessKeyId: root.accessKeyId, secret: root.secretAccessKey, userName: null, status: 'Active', createDate: now });
        }
      }
      return { account, root };
    });
    return new IamService(options, account, root, ids);
  }

  /** Answer one request. Never throws: faults become 500 answers (with `fault` set). */
  async handle(req: SignedRequest): Promise<ServiceResponse> {
    const requestId = this.#ids.requestId();
    let service: ServiceName = 'iam';
    let action: string | undefined;
    let out: ServiceResponse;
    try {
      const params = parseQueryParams(req.query, formBody(req));
      action = params.get('Action');
      const spec = action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action]! : undefined;
      service = spec?.service ?? scopedService(req) ?? 'iam';
      const now = this.#clock.now();
      // Everything a call reads and writes happens in one transaction: the key lookup, the
      // checks and the action (one set of SQLite locks, and a consistent view). Only an action
      // with asynchronous preparation (hashing a password, drawing a QR code) authenticates
      // in a read transaction first, then runs in its own.
      const admit = (): ActionContext => {
        const principal = authenticate(req, service, this.store, this.#keys, this.#requestClock.now(), now);
        if (action === undefined || action === '') throw new AwsError('MissingAction', 'Missing Action');
        const version = params.get('Version');
        if (spec === undefined || version !== SERVICES[spec.service].version) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
        this.#checkCredentialsMayCall(principal, spec.service, action);
        const input = validateInput(params, spec.input);
        return { store: this.store, account: this.account, principal, input, now, ids: this.#ids, windows: this.#windows };
      };
      let result: string | undefined;
      if (spec?.prepare === undefined) {
        const once = (): string | undefined => {
          const ctx = admit(); // throws InvalidAction when there is no such action
          return spec!.run(ctx, undefined);
        };
        result = spec === undefined || spec.readOnly === true ? this.store.read(once) : this.store.write(once);
      } else {
        const ctx = this.store.read(admit);
        const prepared = await spec.prepare(ctx);
        result = this.store.write(() => spec.run(ctx, prepared));
      }
      out = { status: 200, body: successXml(service, action!, result, requestId), requestId, action };
    } catch (e) {
      const error = e instanceof AwsError ? e : new AwsError(service === 'iam' ? 'ServiceFailure' : 'InternalFailure', 'An internal error occurred.');
      out = { status: error.status, body: errorXml(service, error, requestId), requestId, action, errorCode: error.code, ...(e instanceof AwsError ? {} : { fault: e }) };
    }
    // Even an error may reflect a commit not yet on disk (EntityAlreadyExists for a user just made).
    await this.store.durable();
    return out;
  }

  /** GetSessionToken's documented limits on the credentials it issues, and STS's on role sessions. */
  #checkCredentialsMayCall(p: Principal, service: ServiceName, action: string): void {
    if (service === 'iam') {
      // "You cannot call any IAM API operations unless MFA authentication information is
      // included in the request" (GetSessionToken); IAM answers InvalidClientTokenId.
      if (p.kind === 'session' && p.mfaAuthTime === null) throw invalidClientToken('iam');
      return;
    }
    if ((p.kind === 'session' || p.kind === 'role') && !STS_FOR_SESSIONS.has(action)) throw accessDenied(`Cannot call ${action} with session credentials`);
  }
}

/** The form-encoded body of a POST (the Query protocol's usual carrier), as text. */
function formBody(req: SignedRequest): string {
  if (req.method !== 'POST' || req.body.length === 0) return '';
  const type = req.headers.get('content-type')?.[0] ?? 'application/x-www-form-urlencoded';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return '';
  return Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8');
}
