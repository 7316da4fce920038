/**
 * A simulated FIDO2/U2F authenticator: a pure message machine over a DeviceEnvironment.
 * CTAP2 messages are parsed into a tagged union (requests.ts) and dispatched to one handler
 * per command; every failure becomes a CTAP2 status byte in `#handleCbor`, the one place
 * where errors are mapped. U2F APDUs (CTAPHID_MSG) are served by u2f.ts with the same keys.
 *
 * @example
 * ```ts
 * const authenticator = await FidoAuthenticator.create(createNodeEnvironment({ stateDir }));
 * const endpoint = await UdpEndpoint.listen(authenticator.hid, { port: 8111 });
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type CborValue, encodeCbor } from '../../src/protocol/cbor.js';
import type { CtapHidContext } from '../ctaphid/index.js';
import { CtapHidFirmware } from '../ctaphid/index.js';
import type { DeviceEnvironment } from '../env/index.js';
import { KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import { COSE_ALG, decodeEc2CoseKey, encodeEc2CoseKey } from '../../src/protocol/cose.js';
import { type PinUvAuthProtocol, constantTimeEqual as equalBytes, p256PublicKeyOf, pinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import { buildAttestationCertificate } from './attestation-cert.js';
import { CREDENTIAL_ID_LENGTH, unwrapCredential, wrapCredential } from './credential-id.js';
import { CtapStatusError, S, fail } from './errors.js';
import { type Es256Key, generateEs256, importEs256, signEs256 } from './es256.js';
import { type FidoProfile, fidoProfile } from './profile.js';
import { type Ctap2Request, type CredentialDescriptor, parseCtap2Request } from './requests.js';
import { type Identity, FidoStateStore, MAX_PIN_RETRIES, type ResidentCredential } from './state.js';
import { type U2fDevice, handleU2fApdu } from './u2f.js';

/** How long the authenticator waits for a touch before giving up (CTAP 2.1 suggests 30 s). */
export const USER_PRESENCE_TIMEOUT_MS = 30_000;
/** authenticatorReset is allowed only this long after power-up (CTAP 2.1 §6.6). */
export const RESET_WINDOW_MS = 10_000;
/** getNextAssertion must come within 30 s of the previous assertion (CTAP 2.1 §6.3). */
const NEXT_ASSERTION_TIMEOUT_MS = 30_000;
const MAX_RESIDENT_CREDENTIALS = 256;
const MAX_CREDENTIALS_IN_LIST = 16;
/** Three wrong PINs in a row block PIN auth until the next power cycle (CTAP 2.1 §6.5.2.2). */
const MAX_CONSECUTIVE_PIN_FAILURES = 3;

const PERMISSION = { mc: 0x01, ga: 0x02 } as const;
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

interface PinToken {
  token: Uint8Array;
  permissions: number;
  rpId: string | undefined;
  /** CTAP 2.1 §6.5.2.1: a token lives at most 10 minutes (the usage timer's maximum). */
  expiresMs: number;
}

const PIN_TOKEN_LIFETIME_MS = 10 * 60_000;

interface NextAssertions {
  credentials: { id: Uint8Array; key: Uint8Array; resident: ResidentCredential | undefined }[];
  index: number;
  rpIdHash: Uint8Array;
  clientDataHash: Uint8Array;
  flags: number;
  expiresMs: number;
}

/** An event the authenticator reports (for the CLI's event stream); never carries secrets. */
export interface FidoEvent {
  event: string;
  [field: string]: unknown;
}

export class FidoAuthenticator {
  readonly profile: FidoProfile;
  readonly hid: CtapHidFirmware;
  readonly #env: DeviceEnvironment;
  readonly #store: FidoStateStore;
  #identity: Identity;
  #attestationKey: Es256Key;
  readonly #aaguid: Uint8Array;
  // Volatile state, dropped on power cycle.
  #powerUpMs = 0;
  #keyAgreement: { d: Uint8Array; x: Uint8Array; y: Uint8Array };
  #pinToken: PinToken;
  #consecutivePinFailures = 0;
  #next: NextAssertions | undefined;
  /** Listeners for events (credential made, assertion, PIN changes, reset, waiting for touch). */
  onEvent: ((e: FidoEvent) => void) | undefined;

  private constructor(env: DeviceEnvironment, profile: FidoProfile, store: FidoStateStore, identity: Identity, attestationKey: Es256Key) {
    this.#env = env;
    this.profile = profile;
    this.#store = store;
    this.#identity = identity;
    this.#attestationKey = attestationKey;
    this.#aaguid = new Uint8Array(Buffer.from(profile.aaguid, 'hex'));
    this.#keyAgreement = this.#newKeyAgreement();
    this.#pinToken = { token: env.random.bytes(32), permissions: 0, rpId: undefined, expiresMs: 0 };
    this.#powerUpMs = env.clock.now();
    this.hid = new CtapHidFirmware(
      env,
      {
        cbor: (data, ctx) => this.#handleCbor(data, ctx),
        msg: (data, ctx) => handleU2fApdu(this.#u2fDevice, data, ctx),
        wink: () => this.#emit({ event: 'wink' }),
        powerCycle: () => this.#powerUp(),
      },
      { version: profile.firmwareVersion },
    );
  }

  /** Load or create the persistent identity (master key, attestation key and certificate). */
  static async create(env: DeviceEnvironment, profile: Partial<FidoProfile> = {}): Promise<FidoAuthenticator> {
    const p = fidoProfile(profile);
    const store = new FidoStateStore(env.storage);
    let identity = store.readIdentity();
    let attestationKey: Es256Key;
    if (identity === undefined) {
      attestationKey = await generateEs256(env.random);
      const now = new Date(env.clock.now());
      const cert = await buildAttestationCertificate({
        key: attestationKey,
        subject: { country: 'US', organization: p.manufacturer, commonName: `${p.product} batch` },
        aaguid: new Uint8Array(Buffer.from(p.aaguid, 'hex')),
        serial: env.random.bytes(16),
        notBefore: new Date(Date.UTC(now.getUTCFullYear() - 1, 0, 1)),
        notAfter: new Date(Date.UTC(now.getUTCFullYear() + 30, 0, 1)),
      });
      identity = { masterKey: env.random.bytes(32), attestationKey: attestationKey.d, attestationCert: cert };
      store.writeIdentity(identity);
    } else {
      attestationKey = await importEs256(identity.attestationKey);
    }
    return new FidoAuthenticator(env, p, store, identity, attestationKey);
  }

  /** The DER attestation certificate (batch attestation). */
  get attestationCertificate(): Uint8Array {
    return this.#identity.attestationCert.slice();
  }

  /** Number of resident credentials stored. */
  get residentCount(): number {
    return this.#store.residentCredentials().length;
  }

  /** The resident (discoverable) credentials stored: ids, relying parties and users, no keys. */
  residentCredentials(): readonly ResidentCredential[] {
    return this.#store.residentCredentials();
  }

  /** Power cycle the device (same as the endpoint's power cycle). */
  powerCycle(): void {
    this.hid.powerCycle();
  }

  #emit(e: FidoEvent): void {
    this.#env.log.log('info', e.event, e);
    this.onEvent?.(e);
  }

  #powerUp(): void {
    this.#powerUpMs = this.#env.clock.now();
    this.#keyAgreement = this.#newKeyAgreement();
    this.#pinToken = { token: this.#env.random.bytes(32), permissions: 0, rpId: undefined, expiresMs: 0 };
    this.#consecutivePinFailures = 0;
    this.#next = undefined;
    this.#emit({ event: 'power_cycle' });
  }

  #newKeyAgreement(): { d: Uint8Array; x: Uint8Array; y: Uint8Array } {
    for (;;) {
      const d = this.#env.random.bytes(32);
      try {
        return { d, ...p256PublicKeyOf(d) };
      } catch {
        // out-of-range scalar: draw again
      }
    }
  }

  // ---- user presence -------------------------------------------------------------------

  /** Ask for a touch with keepalives UPNEEDED; throws the status the spec gives for each outcome. */
  async #requireTouch(ctx: CtapHidContext, why: string): Promise<void> {
    ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
    this.#emit({ event: 'touch_requested', reason: why });
    const touched = await this.#env.presence.waitForTouch({ timeoutMs: USER_PRESENCE_TIMEOUT_MS, signal: ctx.signal });
    ctx.keepalive(KEEPALIVE_STATUS.PROCESSING);
    if (ctx.signal.aborted) throw fail(S.CTAP2_ERR_KEEPALIVE_CANCEL);
    if (!touched) {
      this.#emit({ event: 'touch_denied', reason: why });
      throw fail(S.CTAP2_ERR_OPERATION_DENIED);
    }
    this.#emit({ event: 'touched', reason: why });
  }

  // ---- dispatch ------------------------------------------------------------------------

  async #handleCbor(data: Uint8Array, ctx: CtapHidContext): Promise<Uint8Array> {
    try {
      const request = parseCtap2Request(data);
      const response = await this.#dispatch(request, ctx);
      if (response === undefined) return Uint8Array.of(S.CTAP2_OK);
      const body = encodeCbor(response);
      const out = new Uint8Array(1 + body.length);
      out.set(body, 1);
      return out;
    } catch (e) {
      // The one place errors become status codes.
      if (e instanceof CtapStatusError) {
        this.#env.log.log('debug', 'ctap2.status', { status: e.message });
        return Uint8Array.of(e.status);
      }
      if (ctx.signal.aborted) return Uint8Array.of(S.CTAP2_ERR_KEEPALIVE_CANCEL);
      this.#env.log.log('error', 'ctap2.internal', { error: e instanceof Error ? e.message : String(e) });
      return Uint8Array.of(S.CTAP1_ERR_OTHER);
    }
  }

  #dispatch(request: Ctap2Request, ctx: CtapHidContext): Promise<Map<CborValue, unknown> | undefined> | Map<CborValue, unknown> | undefined {
    switch (request.command) {
      case 'getInfo':
        return this.#getInfo();
      case 'makeCredential':
        return this.#makeCredential(request, ctx);
      case 'getAssertion':
        return this.#getAssertion(request, ctx);
      case 'getNextAssertion':
        return this.#getNextAssertion();
      case 'clientPin':
        return this.#clientPin(request);
      case 'reset':
        return this.#reset(ctx);
      case 'selection':
        return this.#requireTouch(ctx, 'selection').then(() => undefined);
    }
  }

  // ---- getInfo -------------------------------------------------------------------------

  #getInfo(): Map<CborValue, unknown> {
    const pinSet = this.#store.readPin().hash !== undefined;
    return new Map<CborValue, unknown>([
      [0x01, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']],
      [0x03, this.#aaguid],
      [
        0x04,
        new Map<string, boolean>([
          ['rk', true],
          ['up', true],
          ['plat', false],
          ['clientPin', pinSet],
          ['pinUvAuthToken', true],
        ]),
      ],
      [0x05, 7609],
      [0x06, [2, 1]],
      [0x07, MAX_CREDENTIALS_IN_LIST],
      [0x08, CREDENTIAL_ID_LENGTH],
      [0x0a, [new Map<string, unknown>([['alg', COSE_ALG.ES256], ['type', 'public-key']])]],
      [0x0e, this.profile.firmwareVersion[0] * 10000 + this.profile.firmwareVersion[1] * 100 + this.profile.firmwareVersion[2]],
    ]);
  }

  // ---- PIN/UV auth token checks (makeCredential, getAssertion) ---------------------------

  /** CTAP 2.1 §6.1.2 steps 1–11 (and §6.2.2): returns whether UV was established. */
  async #checkPinAuth(req: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number; clientDataHash: Uint8Array }, rpId: string, permission: number, ctx: CtapHidContext, requirePin: boolean): Promise<boolean> {
    const pinSet = this.#store.readPin().hash !== undefined;
    if (req.pinUvAuthParam !== undefined && req.pinUvAuthParam.length === 0) {
      // A zero-length pinUvAuthParam asks the user to pick this authenticator (§6.1.2 step 1).
      await this.#requireTouch(ctx, 'select');
      throw fail(pinSet ? S.CTAP2_ERR_PIN_INVALID : S.CTAP2_ERR_PIN_NOT_SET);
    }
    if (req.pinUvAuthParam === undefined) {
      if (pinSet && requirePin) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
      return false;
    }
    if (req.pinUvAuthProtocol === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
    const protocol = pinProtocol(req.pinUvAuthProtocol);
    if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
    if (!pinSet) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
    if (!protocol.verify(this.#pinToken.token, req.clientDataHash, req.pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID);
    if ((this.#pinToken.permissions & permission) === 0) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token lacks the permission');
    if (this.#env.clock.now() > this.#pinToken.expiresMs) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token expired');
    if (this.#pinToken.rpId !== undefined && this.#pinToken.rpId !== rpId) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to another RP');
    this.#pinToken.rpId ??= rpId;
    return true;
  }

  /**
   * A token that authorized an operation with a touch is spent: CTAP 2.1 §6.1.2 step 14 and
   * §6.2.2 step 9 clear its user-present and user-verified flags and every permission but
   * lbw (which we do not grant), so the next operation needs a new token.
   */
  #spendPinToken(): void {
    this.#pinToken.permissions = 0;
  }

  #checkOptions(options: { up?: boolean; uv?: boolean }, upAllowedFalse: boolean): void {
    // No built-in UV (no biometrics): uv=true is not supported (§6.1.2 step 5).
    if (options.uv === true) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'uv');
    if (options.up === false && !upAllowedFalse) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'up');
  }

  // ---- makeCredential ------------------------------------------------------------------

  async #makeCredential(req: Extract<Ctap2Request, { command: 'makeCredential' }>, ctx: CtapHidContext): Promise<Map<CborValue, unknown>> {
    if (req.clientDataHash.length !== 32) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'clientDataHash');
    const uv = await this.#checkPinAuth(req, req.rp.id, PERMISSION.mc, ctx, true);
    if (!req.algorithms.some((a) => a.type === 'public-key' && a.alg === COSE_ALG.ES256)) throw fail(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    this.#checkOptions(req.options, false);
    const rpIdHash = sha256(new TextEncoder().encode(req.rp.id));
    for (const d of req.excludeList) {
      if (d.type === 'public-key' && unwrapCredential(this.#identity.masterKey, rpIdHash, d.id) !== undefined) {
        // §6.1.2 step 7: wait for user presence, then report the exclusion.
        await this.#requireTouch(ctx, 'excluded');
        throw fail(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
      }
    }
    await this.#requireTouch(ctx, 'makeCredential');
    if (uv) this.#spendPinToken();
    const key = await generateEs256(this.#env.random);
    const id = wrapCredential(this.#identity.masterKey, rpIdHash, key.d, this.#env.random.bytes(12));
    const resident = req.options.rk === true;
    if (resident) {
      const cred: ResidentCredential = { id, rpIdHash, rpId: req.rp.id, userId: req.user.id, createdMs: this.#env.clock.now() };
      if (req.user.name !== undefined) cred.userName = req.user.name;
      if (req.user.displayName !== undefined) cred.displayName = req.user.displayName;
      if (!this.#store.putResident(cred, MAX_RESIDENT_CREDENTIALS)) throw fail(S.CTAP2_ERR_KEY_STORE_FULL);
    }
    const publicKey = encodeCbor(encodeEc2CoseKey({ x: key.x, y: key.y, alg: COSE_ALG.ES256 }));
    const authData = new Uint8Array(37 + 16 + 2 + id.length + publicKey.length);
    authData.set(rpIdHash);
    authData[32] = FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0);
    // Counter 0 at creation: the first assertion reports 1.
    authData.set(this.#aaguid, 37);
    authData[53] = id.length >> 8;
    authData[54] = id.length & 0xff;
    authData.set(id, 55);
    authData.set(publicKey, 55 + id.length);
    const signed = concat(authData, req.clientDataHash);
    const attStmt = new Map<string, unknown>([['alg', COSE_ALG.ES256]]);
    if (this.profile.attestation === 'batch') {
      attStmt.set('sig', await signEs256(this.#attestationKey, signed));
      attStmt.set('x5c', [this.#identity.attestationCert]);
    } else {
      attStmt.set('sig', await signEs256(key, signed));
    }
    this.#emit({ event: 'credential_created', rpId: req.rp.id, resident, uv });
    return new Map<CborValue, unknown>([
      [1, 'packed'],
      [2, authData],
      [3, attStmt],
    ]);
  }

  // ---- getAssertion / getNextAssertion --------------------------------------------------

  async #getAssertion(req: Extract<Ctap2Request, { command: 'getAssertion' }>, ctx: CtapHidContext): Promise<Map<CborValue, unknown>> {
    if (req.clientDataHash.length !== 32) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'clientDataHash');
    const uv = await this.#checkPinAuth(req, req.rpId, PERMISSION.ga, ctx, false);
    this.#checkOptions(req.options, true);
    const rpIdHash = sha256(new TextEncoder().encode(req.rpId));
    const found = this.#findCredentials(rpIdHash, req.allowList);
    if (found.length === 0) throw fail(S.CTAP2_ERR_NO_CREDENTIALS);
    const up = req.options.up !== false;
    if (up) {
      await this.#requireTouch(ctx, 'getAssertion');
      if (uv) this.#spendPinToken();
    }
    const flags = (up ? FLAG_UP : 0) | (uv ? FLAG_UV : 0);
    const next: NextAssertions = { credentials: found, index: 0, rpIdHash, clientDataHash: req.clientDataHash, flags, expiresMs: this.#env.clock.now() + NEXT_ASSERTION_TIMEOUT_MS };
    const response = await this.#assert(next, uv);
    if (req.allowList === undefined && found.length > 1) {
      response.set(5, found.length);
      this.#next = next;
    } else {
      this.#next = undefined;
    }
    return response;
  }

  async #getNextAssertion(): Promise<Map<CborValue, unknown>> {
    const next = this.#next;
    if (next === undefined || next.index >= next.credentials.length || this.#env.clock.now() > next.expiresMs) {
      this.#next = undefined;
      throw fail(S.CTAP2_ERR_NOT_ALLOWED);
    }
    next.expiresMs = this.#env.clock.now() + NEXT_ASSERTION_TIMEOUT_MS;
    return this.#assert(next, (next.flags & FLAG_UV) !== 0);
  }

  #findCredentials(rpIdHash: Uint8Array, allowList: CredentialDescriptor[] | undefined): NextAssertions['credentials'] {
    const master = this.#identity.masterKey;
    if (allowList !== undefined) {
      const out: NextAssertions['credentials'] = [];
      for (const d of allowList) {
        if (d.type !== 'public-key') continue;
        const key = unwrapCredential(master, rpIdHash, d.id);
        if (key === undefined) continue;
        const resident = this.#store.findResident(d.id);
        out.push({ id: d.id, key, resident });
        break; // §6.2.2 step 9: one applicable credential is enough when an allowList is given
      }
      return out;
    }
    return this.#store
      .residentCredentials()
      .filter((c) => equalBytes(c.rpIdHash, rpIdHash))
      .sort((a, b) => b.createdMs - a.createdMs)
      .flatMap((c) => {
        const key = unwrapCredential(master, rpIdHash, c.id);
        return key === undefined ? [] : [{ id: c.id, key, resident: c }];
      });
  }

  async #assert(next: NextAssertions, uv: boolean): Promise<Map<CborValue, unknown>> {
    const cred = next.credentials[next.index++]!;
    const counter = this.#store.nextCounter(cred.id);
    const authData = new Uint8Array(37);
    authData.set(next.rpIdHash);
    authData[32] = next.flags;
    new DataView(authData.buffer).setUint32(33, counter);
    const key = await this.#credentialKey(cred.id, cred.key);
    const signature = await signEs256(key, concat(authData, next.clientDataHash));
    const response = new Map<CborValue, unknown>([
      [1, new Map<string, unknown>([['id', cred.id], ['type', 'public-key']])],
      [2, authData],
      [3, signature],
    ]);
    if (cred.resident !== undefined) {
      const user = new Map<string, unknown>([['id', cred.resident.userId]]);
      // §6.2.2: name and displayName only when the user was verified.
      if (uv && cred.resident.userName !== undefined) user.set('name', cred.resident.userName);
      if (uv && cred.resident.displayName !== undefined) user.set('displayName', cred.resident.displayName);
      response.set(4, user);
    }
    this.#emit({ event: 'assertion', counter, resident: cred.resident !== undefined });
    return response;
  }

  /** Signing keys of recently used credentials, so repeated assertions skip the import. */
  readonly #keyCache = new Map<string, Es256Key>();

  async #credentialKey(id: Uint8Array, d: Uint8Array): Promise<Es256Key> {
    const tag = Buffer.from(id).toString('base64');
    const hit = this.#keyCache.get(tag);
    if (hit !== undefined) return hit;
    const key = await importEs256(d);
    if (this.#keyCache.size >= 256) this.#keyCache.delete(this.#keyCache.keys().next().value as string);
    this.#keyCache.set(tag, key);
    return key;
  }

  // ---- clientPIN -----------------------------------------------------------------------

  #clientPin(req: Extract<Ctap2Request, { command: 'clientPin' }>): Map<CborValue, unknown> | undefined {
    const protocol = pinProtocol(req.pinUvAuthProtocol);
    if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
    switch (req.subCommand) {
      case 0x01: // getPINRetries
        return new Map<CborValue, unknown>([[3, this.#store.readPin().retries]]);
      case 0x02: // getKeyAgreement
        return new Map<CborValue, unknown>([[1, encodeEc2CoseKey({ x: this.#keyAgreement.x, y: this.#keyAgreement.y, alg: COSE_ALG.ECDH_ES_HKDF_256 })]]);
      case 0x03:
        return this.#setPin(req, protocol);
      case 0x04:
        return this.#changePin(req, protocol);
      case 0x05: // getPinToken (legacy): mc and ga permissions, no RP binding
        return this.#getPinToken(req, protocol, PERMISSION.mc | PERMISSION.ga, undefined);
      case 0x09: {
        if (req.permissions === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'permissions');
        if (req.permissions === 0) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'permissions');
        if ((req.permissions & ~(PERMISSION.mc | PERMISSION.ga)) !== 0) throw fail(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
        if (req.rpId === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'rpId');
        return this.#getPinToken(req, protocol, req.permissions, req.rpId);
      }
      default:
        throw fail(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    }
  }

  #sharedSecret(req: { keyAgreement?: Map<CborValue, CborValue> }, protocol: PinUvAuthProtocol): Uint8Array {
    if (req.keyAgreement === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'keyAgreement');
    try {
      // The platform's key may omit alg or carry -25 (§6.5.6); x and y must be on P-256.
      return protocol.ecdh(this.#keyAgreement.d, decodeEc2CoseKey(req.keyAgreement, COSE_ALG.ECDH_ES_HKDF_256));
    } catch (e) {
      if (e instanceof RangeError) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, `keyAgreement: ${e.message}`);
      throw e;
    }
  }

  #decrypt(protocol: PinUvAuthProtocol, shared: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    try {
      return protocol.decrypt(shared, ciphertext);
    } catch (e) {
      if (e instanceof RangeError) return undefined;
      throw e;
    }
  }

  /** Decrypt newPinEnc and apply the PIN policy (4..63 bytes, §6.5.5.5). */
  #decryptNewPin(shared: Uint8Array, newPinEnc: Uint8Array, protocol: PinUvAuthProtocol): Uint8Array {
    const padded = this.#decrypt(protocol, shared, newPinEnc);
    if (padded === undefined || padded.length !== 64) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'newPinEnc');
    const end = padded.indexOf(0);
    const pin = padded.subarray(0, end < 0 ? 64 : end);
    const codePoints = [...new TextDecoder().decode(pin)].length;
    if (pin.length > 63 || codePoints < 4) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION);
    return pin;
  }

  #setPin(req: Extract<Ctap2Request, { command: 'clientPin' }>, protocol: PinUvAuthProtocol): undefined {
    if (req.newPinEnc === undefined || req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER);
    const shared = this.#sharedSecret(req, protocol);
    if (this.#store.readPin().hash !== undefined) throw fail(S.CTAP2_ERR_NOT_ALLOWED, 'PIN already set');
    if (!protocol.verify(shared, req.newPinEnc, req.pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID);
    const pin = this.#decryptNewPin(shared, req.newPinEnc, protocol);
    this.#store.writePin({ hash: sha256(pin).slice(0, 16), retries: MAX_PIN_RETRIES });
    this.#emit({ event: 'pin_set' });
    return undefined;
  }

  #changePin(req: Extract<Ctap2Request, { command: 'clientPin' }>, protocol: PinUvAuthProtocol): undefined {
    if (req.newPinEnc === undefined || req.pinHashEnc === undefined || req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER);
    const shared = this.#sharedSecret(req, protocol);
    if (this.#store.readPin().hash === undefined) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
    if (!protocol.verify(shared, concat(req.newPinEnc, req.pinHashEnc), req.pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID);
    this.#verifyPinHash(shared, req.pinHashEnc, protocol);
    const pin = this.#decryptNewPin(shared, req.newPinEnc, protocol);
    this.#store.writePin({ hash: sha256(pin).slice(0, 16), retries: MAX_PIN_RETRIES });
    this.#pinToken = { token: this.#env.random.bytes(32), permissions: 0, rpId: undefined, expiresMs: 0 };
    this.#emit({ event: 'pin_changed' });
    return undefined;
  }

  #getPinToken(req: Extract<Ctap2Request, { command: 'clientPin' }>, protocol: PinUvAuthProtocol, permissions: number, rpId: string | undefined): Map<CborValue, unknown> {
    if (req.pinHashEnc === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinHashEnc');
    const shared = this.#sharedSecret(req, protocol);
    if (this.#store.readPin().hash === undefined) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
    this.#verifyPinHash(shared, req.pinHashEnc, protocol);
    // A fresh token each time invalidates every earlier one (§6.5.5.7).
    this.#pinToken = { token: this.#env.random.bytes(32), permissions, rpId, expiresMs: this.#env.clock.now() + PIN_TOKEN_LIFETIME_MS };
    this.#emit({ event: 'pin_token_issued', permissions, rpId });
    return new Map<CborValue, unknown>([[2, protocol.encrypt(shared, this.#pinToken.token, this.#env.random.bytes(16))]]);
  }

  /** §6.5.5.7 steps: retries, consecutive failures, PIN_AUTH_BLOCKED until power cycle. */
  #verifyPinHash(shared: Uint8Array, pinHashEnc: Uint8Array, protocol: PinUvAuthProtocol): void {
    const state = this.#store.readPin();
    if (state.retries <= 0) throw fail(S.CTAP2_ERR_PIN_BLOCKED);
    if (this.#consecutivePinFailures >= MAX_CONSECUTIVE_PIN_FAILURES) throw fail(S.CTAP2_ERR_PIN_AUTH_BLOCKED);
    // Decrement first, so pulling the plug mid-check still costs a retry.
    this.#store.writePin({ hash: state.hash, retries: state.retries - 1 });
    const pinHash = this.#decrypt(protocol, shared, pinHashEnc);
    if (pinHash === undefined || pinHash.length !== 16 || state.hash === undefined || !equalBytes(pinHash, state.hash)) {
      this.#keyAgreement = this.#newKeyAgreement();
      this.#consecutivePinFailures++;
      this.#emit({ event: 'pin_wrong', retries: state.retries - 1 });
      if (state.retries - 1 <= 0) throw fail(S.CTAP2_ERR_PIN_BLOCKED);
      if (this.#consecutivePinFailures >= MAX_CONSECUTIVE_PIN_FAILURES) throw fail(S.CTAP2_ERR_PIN_AUTH_BLOCKED);
      throw fail(S.CTAP2_ERR_PIN_INVALID);
    }
    this.#consecutivePinFailures = 0;
    this.#store.writePin({ hash: state.hash, retries: MAX_PIN_RETRIES });
  }

  // ---- reset ---------------------------------------------------------------------------

  async #reset(ctx: CtapHidContext): Promise<undefined> {
    if (this.#env.clock.now() - this.#powerUpMs > RESET_WINDOW_MS) throw fail(S.CTAP2_ERR_NOT_ALLOWED, 'reset only within 10 s of power-up');
    await this.#requireTouch(ctx, 'reset');
    this.#store.wipe();
    this.#keyCache.clear();
    // A new master key makes every earlier non-resident credential ID unusable.
    this.#identity = { ...this.#identity, masterKey: this.#env.random.bytes(32) };
    this.#store.writeIdentity(this.#identity);
    this.#pinToken = { token: this.#env.random.bytes(32), permissions: 0, rpId: undefined, expiresMs: 0 };
    this.#consecutivePinFailures = 0;
    this.#keyAgreement = this.#newKeyAgreement();
    this.#next = undefined;
    this.#emit({ event: 'reset' });
    return undefined;
  }

  // ---- U2F -----------------------------------------------------------------------------

  readonly #u2fDevice: U2fDevice = {
    masterKey: (): Uint8Array => this.#identity.masterKey,
    attestationKey: (): Es256Key => this.#attestationKey,
    attestationCert: (): Uint8Array => this.#identity.attestationCert,
    random: (n: number): Uint8Array => this.#env.random.bytes(n),
    nextCounter: (id: Uint8Array): number => this.#store.nextCounter(id),
    touch: async (ctx: CtapHidContext): Promise<boolean> => {
      // U2F hosts poll: a missing touch answers CONDITIONS_NOT_SATISFIED and they retry.
      this.#emit({ event: 'touch_requested', reason: 'u2f' });
      return this.#env.presence.waitForTouch({ timeoutMs: 2_000, signal: ctx.signal });
    },
    emit: (e: FidoEvent): void => this.#emit(e),
  };
}

/** The PIN/UV auth protocol with this number, or undefined for one we do not support. */
function pinProtocol(version: number): PinUvAuthProtocol | undefined {
  return version === 1 || version === 2 ? pinUvAuthProtocol(version) : undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
