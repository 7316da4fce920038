/**
 * What an action handler gets and gives. An action names its service and its input members
 * (the service model's), may do asynchronous work first (`prepare`: hashing a password,
 * drawing a QR code), then `run`s synchronously inside the call's one transaction and returns
 * the content of its `<ActionResult>` (undefined for actions without output). An `AwsError`
 * thrown by `run` rolls the transaction back and is answered as it is.
 */
import type { IdMinter } from '../ids.js';
import type { Principal } from '../principal.js';
import type { IamStore } from '../store/iam-store.js';
import type { Input } from '../wire/validation.js';
import { type Member, markerType, maxItemsType } from '../wire/shapes.js';
import type { ServiceName } from '../wire/query-response.js';
import { validationError } from '../wire/aws-error.js';

/** The verifier's windows, in TOTP steps (see docs/iam-endpoint.md for why these values). */
export interface MfaWindows {
  /** Sign-in (GetSessionToken, AssumeRole): steps either side of the expected one. */
  window: number;
  /** EnableMFADevice: steps either side of now where the first code may lie. */
  enrollWindow: number;
  /** ResyncMFADevice: steps either side of the expected one searched. */
  resyncWindow: number;
}

export interface ActionContext {
  readonly store: IamStore;
  readonly account: string;
  readonly principal: Principal;
  readonly input: Input;
  /** Milliseconds since the epoch, from the endpoint's clock. */
  readonly now: number;
  readonly ids: IdMinter;
  readonly windows: MfaWindows;
}

export interface ActionSpec<P = unknown> {
  readonly service: ServiceName;
  readonly input: readonly Member[];
  /** Only reads: runs in a deferred (read) transaction. */
  readonly readOnly?: boolean;
  prepare?(ctx: Omit<ActionContext, 'store'>): Promise<P>;
  run(ctx: ActionContext, prepared: P): string | undefined;
}

/** Define an action (keeps `prepare`'s result type tied to `run`'s argument). */
export function action<P = undefined>(spec: ActionSpec<P>): ActionSpec<unknown> {
  return spec as ActionSpec<unknown>;
}

/** A string input the model marks required (validated before `run`). */
export function required(input: Input, name: string): string {
  return input[name] as string;
}

/** An optional string input. */
export function optional(input: Input, name: string): string | undefined {
  return input[name] as string | undefined;
}

/** IAM refuses to guess the user for callers that are not users (roles, federated sessions). */
export function noImplicitUser(): never {
  throw validationError('Must specify userName when calling with non-User credentials');
}

/** The paging members every listing action takes (the models' markerType and maxItemsType). */
export const PAGE_INPUT: readonly Member[] = [
  { name: 'Marker', shape: markerType },
  { name: 'MaxItems', shape: maxItemsType },
];

/** One page of a listing: `MaxItems` (default 100) and `Marker` (the last key of the previous page). */
export interface Page {
  after: string;
  limit: number;
}

export function page(input: Input): Page {
  const marker = input.Marker as string | undefined;
  let after = '';
  if (marker !== undefined) {
    after = Buffer.from(marker, 'base64url').toString('utf8');
    if (after === '') throw validationError('Invalid Marker.');
  }
  return { after, limit: (input.MaxItems as number | undefined) ?? 100 };
}

/** The `IsTruncated`/`Marker` tail of a listing fetched with `limit + 1` rows. */
export function pageTail<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; tail: string } {
  if (rows.length <= limit) return { items: rows, tail: '<IsTruncated>false</IsTruncated>' };
  const items = rows.slice(0, limit);
  const marker = Buffer.from(keyOf(items[items.length - 1]!), 'utf8').toString('base64url');
  return { items, tail: `<IsTruncated>true</IsTruncated><Marker>${marker}</Marker>` };
}
