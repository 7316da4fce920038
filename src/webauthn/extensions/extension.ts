/**
 * How the WebAuthn client maps a client extension (WebAuthn L3 §9, §10) to CTAP authenticator
 * extensions and back: one module per client extension (or per group sharing one
 * authenticator extension, as prf, hmacCreateSecret and hmacGetSecret share hmac-secret),
 * listed once in ./index.ts. Before the ceremony a module `prepare`s: it checks its client
 * input, says what to send the authenticator and which pinUvAuthToken permissions it needs;
 * after it, `finish` turns the authenticator's answer into the client extension output
 * (`getClientExtensionResults()`, in its JSON form: binary values base64url).
 *
 * @example
 * ```ts
 * export const CRED_BLOB: ClientExtension = {
 *   ids: ['credBlob', 'getCredBlob'],
 *   prepare: (inputs, ctx) => ctx.ceremony === 'create'
 *     ? { inputs: new Map([['credBlob', blob]]), finish: (r) => ({ credBlob: r.authenticatorOutputs.get('credBlob') === true }) }
 *     : undefined,
 * };
 * ```
 */
import type { CborValue } from '../../protocol/cbor.js';
import type { PinUvAuthProtocol } from '../../protocol/pin-uv-auth-protocol.js';
import type { ClientPin } from '../../ctap/client-pin.js';
import type { Ctap2, Ctap2Info, CredentialDescriptor } from '../../ctap/ctap2.js';

/** What a module knows when it prepares. */
export interface ClientExtensionContext {
  readonly ceremony: 'create' | 'get';
  readonly rpId: string;
  readonly ctap2: Ctap2;
  readonly info: Ctap2Info;
  /** create: whether the credential will be discoverable. */
  readonly residentKey: boolean;
  /** get: allowCredentials (empty for discoverable credentials). */
  readonly allowCredentials: readonly CredentialDescriptor[];
  /** Whether the ceremony will have a PIN to get a pinUvAuthToken with. */
  readonly pinGiven: boolean;
  readonly randomBytes: (n: number) => Uint8Array;
  /** A ClientPin in the authenticator's preferred PIN/UV auth protocol (for hmac-secret's key agreement). */
  clientPin(): Promise<ClientPin>;
}

/** The authenticator's answer, as `finish` sees it. */
export interface ClientExtensionResult {
  readonly ctap2: Ctap2;
  readonly info: Ctap2Info;
  /** The authenticator extension outputs in the authenticator data (empty when none). */
  readonly authenticatorOutputs: ReadonlyMap<string, CborValue>;
  /** CTAP 2.2 unsignedExtensionOutputs (empty when none). */
  readonly unsignedOutputs: ReadonlyMap<CborValue, CborValue>;
  /** The credential's largeBlobKey (makeCredential 0x05, getAssertion 0x07), when returned. */
  readonly largeBlobKey: Uint8Array | undefined;
  readonly credentialId: Uint8Array;
  /** The pinUvAuthToken the ceremony used, while it lasts (largeBlob writes need its lbw permission). */
  readonly pinUvAuth: { token: Uint8Array; protocol: PinUvAuthProtocol } | undefined;
}

/** A module's part in one ceremony. */
export interface PreparedClientExtension {
  /** Authenticator extension inputs to send, by authenticator extension identifier. */
  readonly inputs?: ReadonlyMap<string, CborValue>;
  /** pinUvAuthToken permissions beyond mc/ga the ceremony's token must have (PERMISSION.lbw). */
  readonly permissions?: number;
  /** get: the allowCredentials to send instead (after a silent probe chose the credential). */
  readonly allowCredentials?: CredentialDescriptor[];
  /** The client extension outputs from the answer. */
  finish(result: ClientExtensionResult): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Forget secrets (shared secrets), whatever happened. */
  dispose?(): void;
}

/** One WebAuthn client extension (or a group sharing an authenticator extension). */
export interface ClientExtension {
  /** The client extension identifiers it reads. */
  readonly ids: readonly string[];
  /**
   * Check the client inputs this module reads (only its ids, present ones), and prepare; undefined
   * when it has nothing to do in this ceremony. BAD_INPUT for a malformed input, UNSUPPORTED for
   * one WebAuthn says the client must refuse (NotSupportedError).
   */
  prepare(inputs: Readonly<Record<string, unknown>>, ctx: ClientExtensionContext): PreparedClientExtension | undefined | Promise<PreparedClientExtension | undefined>;
}
