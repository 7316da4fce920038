/**
 * A WebAuthn client (the browser's role, WebAuthn L3 §5.1.3 create / §5.1.4 get) over a
 * CTAPHID device: JSON options and an origin in, the standard JSON responses out, so any
 * relying-party library verifies them. CTAP2 when the key speaks it, U2F otherwise (or when
 * asked), with the attestation rebuilt as `fido-u2f` (WebAuthn §8.6).
 *
 * @example
 * ```ts
 * const client = new WebAuthnClient(await CtapHidDevice.open(transport));
 * const reg = await client.create(creationOptionsJSON, 'https://rp.example', { pin: '1234' });
 * const auth = await client.get(requestOptionsJSON, 'https://rp.example');
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { AuthenticatorDataError, parseAuthenticatorData } from '../protocol/authenticator-data.js';
import { type CborValue, encodeCbor } from '../protocol/cbor.js';
import { COSE_ALG, type CosePublicKey, encodeEc2CoseKey } from '../protocol/cose.js';
import { coseKeyToSpki } from '../protocol/spki.js';
import { Ctap1 } from '../ctap/ctap1.js';
import { Ctap2, type Ctap2Info, type CredentialDescriptor } from '../ctap/ctap2.js';
import { ClientPin, PERMISSION } from '../ctap/client-pin.js';
import type { CallOptions, CtapHidDevice } from '../drivers/ctaphid-device.js';
import { fromBase64Url, toBase64Url } from './base64url.js';
import { type ClientExtensionContext, type PreparedExtensions, prepareExtensions, u2fCreationResults } from './extensions/index.js';
import { checkRpId, parseOrigin } from './origin.js';
import { type PinUvToken, type UvAuth, withUserVerification } from './user-verification.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './types.js';

export interface WebAuthnClientOptions {
  /** 'auto' (default): CTAP2 when INIT reports CBOR, else U2F. */
  protocol?: 'auto' | 'ctap2' | 'u2f';
  randomBytes?: (n: number) => Uint8Array;
  /**
   * RP IDs this platform's enterprise policy vouches for: attestation 'enterprise' asks them
   * for a platform-managed enterprise attestation (2), any other RP for a vendor-facilitated
   * one (1) (WebAuthn §5.4.7, CTAP 2.1 §7.1).
   */
  enterpriseRpIds?: readonly string[];
}

export interface CeremonyOptions {
  /**
   * The key's PIN; needed when user verification is wanted and the key has no built-in UV set
   * up (or it failed or is blocked). Built-in UV (a fingerprint) comes first.
   */
  pin?: string;
  onKeepalive?: CallOptions['onKeepalive'];
  signal?: AbortSignal;
}

const utf8 = new TextEncoder();
const FLAG_UP = 0x01;
const FLAG_AT = 0x40;

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Uint8Array {
  // §5.8.1.2 limited verification algorithm order: type, challenge, origin, crossOrigin.
  const c = toBase64Url(fromBase64Url(challenge, 'challenge'));
  return utf8.encode(JSON.stringify({ type, challenge: c, origin, crossOrigin: false }));
}

function descriptors(list: PublicKeyCredentialDescriptorJSON[] | undefined, what: string): CredentialDescriptor[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw badInput(`${what} must be an array`);
  return list.map((d, i) => ({ type: 'public-key', id: fromBase64Url(d?.id, `${what}[${i}].id`) }));
}

/** The authenticator data of a response, parsed strictly (PROTOCOL error when it breaks WebAuthn §6.1). */
function authenticatorData(authData: Uint8Array) {
  try {
    return parseAuthenticatorData(authData);
  } catch (e) {
    if (e instanceof AuthenticatorDataError) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Credential ID and public key from authenticator data with attested credential data (§6.5.1), of any algorithm of src/protocol/cose.ts. */
function attestedCredential(authData: Uint8Array): { id: Uint8Array; publicKey: CosePublicKey; extensions: Map<string, CborValue> | undefined } {
  const parsed = authenticatorData(authData);
  if (parsed.attested === undefined || (parsed.flags & FLAG_AT) === 0) throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator data has no attested credential');
  return { id: parsed.attested.credentialId, publicKey: parsed.attested.publicKey, extensions: parsed.extensions };
}

/**
 * Whether a kept getInfo may be out of date for user verification: the key had no PIN set,
 * or its sensor no finger enrolled, when it was asked (either may have been set up since).
 */
function uvSetupMayHaveChanged(info: Ctap2Info): boolean {
  return info.options.clientPin !== true || info.options.uv === false;
}

/** makeCredential's options with what user verification added (`uv: true` for built-in UV without tokens). */
function uvOptions(auth: UvAuth, options: { rk?: boolean }): { options?: { rk?: boolean; uv?: boolean } } {
  const merged = 'uv' in auth ? { ...options, uv: true } : options;
  return Object.keys(merged).length > 0 ? { options: merged } : {};
}

/** The pinUvAuthParam/pinUvAuthProtocol part of `auth`. */
function pinUvAuth(auth: UvAuth): { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number } {
  return 'pinUvAuthParam' in auth ? { pinUvAuthParam: auth.pinUvAuthParam, pinUvAuthProtocol: auth.pinUvAuthProtocol } : {};
}

export class WebAuthnClient {
  readonly device: CtapHidDevice;
  readonly #protocol: 'auto' | 'ctap2' | 'u2f';
  readonly #random: (n: number) => Uint8Array;
  readonly #enterpriseRpIds: readonly string[];
  #info: Ctap2Info | undefined;

  constructor(device: CtapHidDevice, options: WebAuthnClientOptions = {}) {
    this.device = device;
    this.#protocol = options.protocol ?? 'auto';
    this.#random = options.randomBytes ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    this.#enterpriseRpIds = options.enterpriseRpIds ?? [];
  }

  #useCtap2(): boolean {
    return this.#protocol === 'ctap2' || (this.#protocol === 'auto' && this.device.info.cbor);
  }

  /**
   * Run a CTAP2 command with the user verification the ceremony and the key call for
   * (./user-verification.ts: built-in UV before the PIN), and a token for `extra` permissions
   * an extension needs (lbw for a largeBlob write) even when UV is not wanted. `run` gets the
   * token too, for what follows the command; it is zeroed afterwards.
   */
  async #verified<T>(
    ctap2: Ctap2,
    info: Ctap2Info,
    op: { rpId: string; permission: number; uv: string | undefined; discoverable?: boolean; extra: number },
    ceremony: CeremonyOptions,
    cdh: Uint8Array,
    call: CallOptions,
    run: (auth: UvAuth, token: PinUvToken | undefined) => Promise<T>,
  ): Promise<T> {
    const needs = { permission: op.permission, extraPermissions: op.extra, rpId: op.rpId, clientDataHash: cdh, userVerification: op.uv, discoverable: op.discoverable === true, pin: ceremony.pin, randomBytes: this.#random, call };
    return withUserVerification(ctap2, info, needs, run);
  }

  /**
   * getInfo, kept between ceremonies and asked again when `stale` says the kept answer may
   * have changed since (a PIN set, enterprise attestation enabled).
   */
  async #infoFor(ctap2: Ctap2, stale: (info: Ctap2Info) => boolean): Promise<Ctap2Info> {
    if (this.#info === undefined || stale(this.#info)) this.#info = await ctap2.getInfo();
    return this.#info;
  }

  /** What the extension modules see of this ceremony. */
  #extensionContext(ceremony: 'create' | 'get', ctap2: Ctap2, info: Ctap2Info, rpId: string, residentKey: boolean, allow: CredentialDescriptor[], pin: string | undefined): ClientExtensionContext {
    return {
      ceremony,
      rpId,
      ctap2,
      info,
      residentKey,
      allowCredentials: allow,
      pinGiven: pin !== undefined,
      randomBytes: this.#random,
      clientPin: () => ClientPin.forAuthenticator(ctap2, { randomBytes: this.#random }),
    };
  }

  /** navigator.credentials.create() for a security key. */
  async create(options: PublicKeyCredentialCreationOptionsJSON, origin: string, ceremony: CeremonyOptions = {}): Promise<RegistrationResponseJSON> {
    if (typeof options !== 'object' || options === null) throw badInput('creation options must be a JSON object');
    if (typeof options.rp !== 'object' || options.rp === null) throw badInput('creation options need rp');
    if (typeof options.user !== 'object' || options.user === null) throw badInput('creation options need user');
    const o = parseOrigin(origin);
    const rpId = checkRpId(options.rp.id, o.host);
    const userId = fromBase64Url(options.user.id, 'user.id');
    if (userId.length < 1 || userId.length > 64) throw badInput('user.id must be 1..64 bytes');
    const params = options.pubKeyCredParams === undefined || options.pubKeyCredParams.length === 0 ? [{ type: 'public-key' as const, alg: COSE_ALG.ES256 }] : options.pubKeyCredParams;
    const cdj = clientData('webauthn.create', options.challenge, o.origin);
    const cdh = sha256(cdj);
    const exclude = descriptors(options.excludeCredentials, 'excludeCredentials');
    const sel = options.authenticatorSelection ?? {};
    const call: CallOptions = { ...(ceremony.onKeepalive ? { onKeepalive: ceremony.onKeepalive } : {}), ...(ceremony.signal ? { signal: ceremony.signal } : {}) };

    let fmt: string;
    let authData: Uint8Array;
    let attStmt: Map<CborValue, CborValue>;
    let clientExtensionResults: Record<string, unknown> = {};
    let cred: ReturnType<typeof attestedCredential>;
    // getTransports(): what the key's getInfo lists (CTAP 2.1 §6.4 transports), with the USB HID
    // it was reached over, as Chromium reports them; a key that lists none (or speaks U2F): usb.
    let transports = ['usb'];
    if (this.#useCtap2()) {
      const ctap2 = new Ctap2(this.device);
      // Whether enterprise attestation is enabled, or a PIN set, now: ask the key again.
      const info = await this.#infoFor(ctap2, (i) => options.attestation === 'enterprise' || ((ceremony.pin !== undefined || sel.userVerification === 'required') && uvSetupMayHaveChanged(i)));
      const rk = sel.residentKey === 'required' || sel.requireResidentKey === true || (sel.residentKey === 'preferred' && info.options.rk === true);
      transports = [...new Set([...(info.transports ?? []), 'usb'])].sort();
      // WebAuthn §5.4.7 "enterprise": only from a key that has enterprise attestation enabled.
      const ep = options.attestation === 'enterprise' && info.options.ep === true ? (this.#enterpriseRpIds.includes(rpId) ? 2 : 1) : undefined;
      const extensions = await prepareExtensions(options.extensions, () => this.#extensionContext('create', ctap2, info, rpId, rk, [], ceremony.pin));
      try {
        const op = { rpId, permission: PERMISSION.mc, uv: sel.userVerification, discoverable: rk, extra: extensions.permissions };
        ({ fmt, authData, attStmt, cred, clientExtensionResults } = await this.#verified(ctap2, info, op, ceremony, cdh, call, async (auth, token) => {
          const made = await ctap2.makeCredential(
            {
              clientDataHash: cdh,
              rp: { id: rpId, ...(options.rp.name !== undefined ? { name: options.rp.name } : {}) },
              user: { id: userId, name: options.user.name, displayName: options.user.displayName },
              pubKeyCredParams: params,
              excludeList: exclude,
              ...(extensions.inputs.size > 0 ? { extensions: extensions.inputs } : {}),
              ...uvOptions(auth, rk ? { rk: true } : {}),
              ...(ep === undefined ? {} : { enterpriseAttestation: ep }),
              ...pinUvAuth(auth),
            },
            call,
          );
          const credential = attestedCredential(made.authData);
          const results = extensions.active
            ? await extensions.finish({
                ctap2,
                info,
                authenticatorOutputs: credential.extensions ?? new Map(),
                unsignedOutputs: made.unsignedExtensionOutputs ?? new Map(),
                largeBlobKey: made.largeBlobKey,
                credentialId: credential.id,
                pinUvAuth: token,
              })
            : {};
          return { fmt: made.fmt, authData: made.authData, attStmt: made.attStmt, cred: credential, clientExtensionResults: results };
        }));
      } finally {
        extensions.dispose();
      }
    } else {
      clientExtensionResults = u2fCreationResults(options.extensions);
      if (sel.userVerification === 'required') throw new TokenrigError(ErrorCode.UNSUPPORTED, 'user verification is required but the key speaks only U2F');
      if (sel.residentKey === 'required' || sel.requireResidentKey === true) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'a resident key is required but the key speaks only U2F');
      if (!params.some((p) => p.alg === COSE_ALG.ES256)) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'U2F keys only do ES256 (-7), which pubKeyCredParams does not allow');
      ({ fmt, authData, attStmt } = await this.#u2fRegister(rpId, cdh, exclude));
      cred = attestedCredential(authData);
    }
    // As browsers check: the key used one of the algorithms the RP listed (WebAuthn §5.1.3).
    if (!params.some((p) => p.alg === cred.publicKey.alg)) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: credential algorithm ${cred.publicKey.alg} is not one pubKeyCredParams lists`);
    if (options.attestation === undefined || options.attestation === 'none') {
      // §5.4.7 "none": the client may replace the attestation statement; browsers do.
      fmt = 'none';
      attStmt = new Map();
    }
    const attestationObject = encodeCbor(new Map<string, unknown>([['fmt', fmt], ['attStmt', attStmt], ['authData', authData]]));
    const id = toBase64Url(cred.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: toBase64Url(cdj),
        attestationObject: toBase64Url(attestationObject),
        authenticatorData: toBase64Url(authData),
        transports,
        publicKeyAlgorithm: cred.publicKey.alg,
        publicKey: toBase64Url(coseKeyToSpki(cred.publicKey)),
      },
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults,
    };
  }

  async #u2fRegister(rpId: string, cdh: Uint8Array, exclude: CredentialDescriptor[]) {
    const ctap1 = new Ctap1(this.device);
    const app = sha256(utf8.encode(rpId));
    for (const d of exclude) {
      if (d.id.length <= 255 && (await ctap1.knowsKeyHandle(app, d.id))) throw new TokenrigError(ErrorCode.REJECTED, 'the key already holds a credential in excludeCredentials');
    }
    const reg = await ctap1.register(cdh, app);
    // WebAuthn §8.6: authData = rpIdHash ‖ flags(UP|AT) ‖ counter 0 ‖ zero AAGUID ‖ L ‖ keyHandle ‖ COSE key.
    const cose = encodeCbor(encodeEc2CoseKey({ x: reg.publicKey.slice(1, 33), y: reg.publicKey.slice(33, 65), alg: COSE_ALG.ES256 }));
    const authData = new Uint8Array(32 + 1 + 4 + 16 + 2 + reg.keyHandle.length + cose.length);
    authData.set(app);
    authData[32] = FLAG_UP | FLAG_AT;
    authData[53] = reg.keyHandle.length >> 8;
    authData[54] = reg.keyHandle.length & 0xff;
    authData.set(reg.keyHandle, 55);
    authData.set(cose, 55 + reg.keyHandle.length);
    const attStmt = new Map<CborValue, CborValue>([['sig', reg.signature], ['x5c', [reg.certificate]]]);
    return { fmt: 'fido-u2f', authData, attStmt };
  }

  /** navigator.credentials.get() for a security key. */
  async get(options: PublicKeyCredentialRequestOptionsJSON, origin: string, ceremony: CeremonyOptions = {}): Promise<AuthenticationResponseJSON> {
    if (typeof options !== 'object' || options === null) throw badInput('request options must be a JSON object');
    const o = parseOrigin(origin);
    const rpId = checkRpId(options.rpId, o.host);
    const cdj = clientData('webauthn.get', options.challenge, o.origin);
    const cdh = sha256(cdj);
    const allow = descriptors(options.allowCredentials, 'allowCredentials');
    const call: CallOptions = { ...(ceremony.onKeepalive ? { onKeepalive: ceremony.onKeepalive } : {}), ...(ceremony.signal ? { signal: ceremony.signal } : {}) };
    let credentialId: Uint8Array;
    let authData: Uint8Array;
    let signature: Uint8Array;
    let userHandle: Uint8Array | undefined;
    let clientExtensionResults: Record<string, unknown> = {};
    if (this.#useCtap2()) {
      const ctap2 = new Ctap2(this.device);
      // Whether a PIN has been set since the kept getInfo: ask the key again.
      const info = await this.#infoFor(ctap2, (i) => (ceremony.pin !== undefined || options.userVerification === 'required') && uvSetupMayHaveChanged(i));
      let extensions: PreparedExtensions | undefined;
      try {
        const prepared = (extensions = await prepareExtensions(options.extensions, () => this.#extensionContext('get', ctap2, info, rpId, false, allow, ceremony.pin)));
        const allowList = prepared.allowCredentials ?? allow;
        const op = { rpId, permission: PERMISSION.ga, uv: options.userVerification, extra: prepared.permissions };
        ({ authData, signature, credentialId, userHandle, clientExtensionResults } = await this.#verified(ctap2, info, op, ceremony, cdh, call, async (auth, token) => {
          const got = await ctap2.getAssertion(
            { rpId, clientDataHash: cdh, allowList, ...(prepared.inputs.size > 0 ? { extensions: prepared.inputs } : {}), ...uvOptions(auth, {}), ...pinUvAuth(auth) },
            call,
          );
          const id = got.credential?.id ?? (allowList.length === 1 ? allowList[0]!.id : undefined);
          if (id === undefined) throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: getAssertion named no credential');
          const results = prepared.active
            ? await prepared.finish({
                ctap2,
                info,
                authenticatorOutputs: authenticatorData(got.authData).extensions ?? new Map(),
                unsignedOutputs: got.unsignedExtensionOutputs ?? new Map(),
                largeBlobKey: got.largeBlobKey,
                credentialId: id,
                pinUvAuth: token,
              })
            : {};
          return { authData: got.authData, signature: got.signature, credentialId: id, userHandle: got.user?.id, clientExtensionResults: results };
        }));
      } finally {
        extensions?.dispose();
      }
    } else {
      if (options.userVerification === 'required') throw new TokenrigError(ErrorCode.UNSUPPORTED, 'user verification is required but the key speaks only U2F');
      if (allow.length === 0) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'U2F keys need allowCredentials (no discoverable credentials)');
      const ctap1 = new Ctap1(this.device);
      const app = sha256(utf8.encode(rpId));
      let known: Uint8Array | undefined;
      for (const d of allow) if (d.id.length <= 255 && (await ctap1.knowsKeyHandle(app, d.id))) known ??= d.id;
      if (known === undefined) throw new TokenrigError(ErrorCode.DEVICE, 'the key holds none of allowCredentials');
      const sig = await ctap1.authenticate(cdh, app, known);
      // WebAuthn §8.6 / §6.1: authData = rpIdHash ‖ flags ‖ counter.
      authData = new Uint8Array(37);
      authData.set(app);
      authData.set(sig.raw.subarray(0, 5), 32);
      signature = sig.signature;
      credentialId = known;
    }
    const id = toBase64Url(credentialId);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: toBase64Url(cdj),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(signature),
        ...(userHandle !== undefined ? { userHandle: toBase64Url(userHandle) } : {}),
      },
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults,
    };
  }
}
