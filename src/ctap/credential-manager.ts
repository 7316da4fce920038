/**
 * Managing the discoverable credentials of a key (CTAP 2.1 §6.8), the flows on top of
 * `Ctap2.credentialManagement`: a pinUvAuthToken with the cm permission (or a CTAP 2.1-PRE
 * key's pinToken, on command 0x41 when it has only credentialMgmtPreview), then metadata,
 * every RP, every credential of an RP, delete and update.
 *
 * @example
 * ```ts
 * const cm = await CredentialManager.open(ctap2, '1234');
 * for (const c of await cm.list()) console.log(c.rp.id, c.user.name);
 * await cm.delete(credentialId);
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import type { CborValue } from '../protocol/cbor.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import { ClientPin } from './client-pin.js';
import { CREDENTIAL_MANAGEMENT_SUBCOMMAND as SUB, type CredentialManagementParams, type CredentialManagementResponse, credentialManagementAuthMessage } from './credential-management.js';
import type { Ctap2, Ctap2Info } from './ctap2.js';
import type { CredentialDescriptor, UserEntity } from './response-readers.js';

/** One discoverable credential as the key reports it (§6.8.4). */
export interface ManagedCredential {
  rp: { id: string; name?: string };
  rpIdHash: Uint8Array;
  user: UserEntity;
  credentialId: CredentialDescriptor;
  /** The credential public key as a COSE_Key map. */
  publicKey: Map<CborValue, CborValue>;
  /** credProtect level 1..3, when the key reports it. */
  credProtect?: number;
  largeBlobKey?: Uint8Array;
  thirdPartyPayment?: boolean;
}

export interface CredentialManagerOptions {
  /** The PIN/UV auth protocol (default: the key's preferred one). */
  protocol?: 1 | 2;
  /**
   * Read only, with CTAP 2.2's persistent token (`pcmr`, keys with perCredMgmtRO): it outlives
   * power cycles, so a platform may keep `persistentToken` and list again without the PIN
   * (`CredentialManager.withPersistentToken`). Deleting and updating are then refused by the key.
   */
  readOnly?: boolean;
  /** Bind the token to one RP: the key then lists and changes that RP's credentials only. */
  rpId?: string;
  randomBytes?: (n: number) => Uint8Array;
}

function missing(what: string): TokenrigError {
  return new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: credentialManagement ${what} missing`);
}

export class CredentialManager {
  readonly ctap2: Ctap2;
  readonly #pin: ClientPin;
  readonly #token: Uint8Array;
  readonly #prototype: boolean;
  /** The CTAP 2.2 persistent token, when opened read-only: keep it to list again without the PIN. */
  readonly persistentToken: Uint8Array | undefined;

  private constructor(ctap2: Ctap2, pin: ClientPin, token: Uint8Array, prototype: boolean, persistent: boolean) {
    this.ctap2 = ctap2;
    this.#pin = pin;
    this.#token = token;
    this.#prototype = prototype;
    this.persistentToken = persistent ? token : undefined;
  }

  /** Read a key's credentials with a persistent token an earlier `open({ readOnly: true })` got: no PIN asked. */
  static withPersistentToken(ctap2: Ctap2, persistentToken: Uint8Array, protocol: 1 | 2): CredentialManager {
    return new CredentialManager(ctap2, new ClientPin(ctap2, { protocol }), persistentToken, false, true);
  }

  /**
   * Get a token for credential management with `pin`. UNSUPPORTED when the key has no
   * credential management (no credMgmt or credentialMgmtPreview option) or no PIN set.
   */
  static async open(ctap2: Ctap2, pin: string, options: CredentialManagerOptions = {}, info?: Ctap2Info): Promise<CredentialManager> {
    const i = info ?? (await ctap2.getInfo());
    const preview = i.options.credMgmt === undefined && i.options.credentialMgmtPreview !== undefined;
    if (i.options.credMgmt === undefined && !preview) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no credential management (getInfo options lack credMgmt)');
    if (i.options.clientPin !== true) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no PIN set: credential management needs one (tokenrig fido pin set)');
    // A PIN that must be changed gets no token (CTAP 2.1 §6.5.5.7.2 step 11): say what to do.
    if (i.forcePINChange === true) throw new TokenrigError(ErrorCode.REJECTED, 'the key wants its PIN changed before it is used again (tokenrig fido pin change)');
    const protocol = options.protocol ?? (i.pinUvAuthProtocols.includes(2) ? 2 : 1);
    const cp = new ClientPin(ctap2, { protocol, ...(options.randomBytes === undefined ? {} : { randomBytes: options.randomBytes }) });
    if (options.readOnly === true) {
      if (i.options.perCredMgmtRO !== true) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no read-only persistent token (getInfo options lack perCredMgmtRO)');
      return new CredentialManager(ctap2, cp, await cp.getPinUvAuthTokenUsingPinWithPermissions(pin, ['pcmr']), preview, true);
    }
    // A key without pinUvAuthToken (CTAP 2.0 / 2.1-PRE) has no permissions: its pinToken does it all.
    const token = i.options.pinUvAuthToken === true ? await cp.getPinUvAuthTokenUsingPinWithPermissions(pin, ['cm'], options.rpId) : await cp.getPinToken(pin);
    return new CredentialManager(ctap2, cp, token, preview, false);
  }

  /** One sub-command; authenticated unless it is a GetNext. */
  #call(subCommand: number, subCommandParams?: CredentialManagementParams, authenticated = true): Promise<CredentialManagementResponse> {
    const auth = authenticated
      ? { pinUvAuthProtocol: this.#pin.protocol.version, pinUvAuthParam: this.#pin.protocol.authenticate(this.#token, credentialManagementAuthMessage(subCommand, subCommandParams)) }
      : {};
    return this.ctap2.credentialManagement({ subCommand, ...(subCommandParams === undefined ? {} : { subCommandParams }), ...auth }, { prototype: this.#prototype });
  }

  /** getCredsMetadata (§6.8.2): discoverable credentials stored, and how many more fit. */
  async metadata(): Promise<{ existing: number; remaining: number }> {
    const r = await this.#call(SUB.getCredsMetadata);
    if (r.existingResidentCredentialsCount === undefined || r.maxPossibleRemainingResidentCredentialsCount === undefined) throw missing('metadata');
    return { existing: r.existingResidentCredentialsCount, remaining: r.maxPossibleRemainingResidentCredentialsCount };
  }

  /** A Begin sub-command, then its GetNext as often as the total says; empty when the key answers NO_CREDENTIALS. */
  async #enumerate(begin: number, next: number, total: (r: CredentialManagementResponse) => number | undefined, params?: CredentialManagementParams): Promise<CredentialManagementResponse[]> {
    let first: CredentialManagementResponse;
    try {
      first = await this.#call(begin, params);
    } catch (e) {
      if (e instanceof TokenrigError && e.wireCode === CTAP2_STATUS.CTAP2_ERR_NO_CREDENTIALS) return [];
      throw e;
    }
    const out = [first];
    for (let i = 1; i < (total(first) ?? 1); i++) out.push(await this.#call(next, undefined, false));
    return out;
  }

  /** enumerateRPsBegin / GetNextRP (§6.8.3): the RPs with discoverable credentials (empty when none). */
  async relyingParties(): Promise<{ rp: { id: string; name?: string }; rpIdHash: Uint8Array }[]> {
    const rps = await this.#enumerate(SUB.enumerateRPsBegin, SUB.enumerateRPsGetNextRP, (r) => r.totalRPs);
    return rps.map((r) => {
      if (r.rp === undefined || r.rpIDHash === undefined) throw missing('rp');
      return { rp: r.rp, rpIdHash: r.rpIDHash };
    });
  }

  /** enumerateCredentialsBegin / GetNextCredential (§6.8.4) for one RP, by RP ID or its SHA-256. */
  async credentials(rp: string | Uint8Array): Promise<ManagedCredential[]> {
    const rpIdHash = typeof rp === 'string' ? sha256(new TextEncoder().encode(rp)) : rp;
    const creds = await this.#enumerate(SUB.enumerateCredentialsBegin, SUB.enumerateCredentialsGetNextCredential, (r) => r.totalCredentials, { rpIDHash: rpIdHash });
    const rpEntity = { id: typeof rp === 'string' ? rp : '' };
    return creds.map((r) => managed(r, rpEntity, rpIdHash));
  }

  /** Every discoverable credential, RP by RP. */
  async list(): Promise<ManagedCredential[]> {
    const out: ManagedCredential[] = [];
    for (const { rp, rpIdHash } of await this.relyingParties()) for (const c of await this.credentials(rpIdHash)) out.push({ ...c, rp });
    return out;
  }

  /** deleteCredential (§6.8.5). */
  async delete(credentialId: Uint8Array): Promise<void> {
    await this.#call(SUB.deleteCredential, { credentialID: { id: credentialId, type: 'public-key' } });
  }

  /** updateUserInformation (§6.8.6): `user.id` must be the credential's; an absent name or displayName is removed. */
  async updateUser(credentialId: Uint8Array, user: UserEntity): Promise<void> {
    if (!(user.id instanceof Uint8Array) || user.id.length === 0) throw badInput('user.id is required');
    await this.#call(SUB.updateUserInformation, { credentialID: { id: credentialId, type: 'public-key' }, user });
  }
}

function managed(r: CredentialManagementResponse, rp: { id: string }, rpIdHash: Uint8Array): ManagedCredential {
  if (r.user === undefined || r.credentialID === undefined || r.publicKey === undefined) throw missing('credential');
  const c: ManagedCredential = { rp, rpIdHash, user: r.user, credentialId: r.credentialID, publicKey: r.publicKey };
  if (r.credProtect !== undefined) c.credProtect = r.credProtect;
  if (r.largeBlobKey !== undefined) c.largeBlobKey = r.largeBlobKey;
  if (r.thirdPartyPayment !== undefined) c.thirdPartyPayment = r.thirdPartyPayment;
  return c;
}
