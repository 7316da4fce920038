/**
 * authenticatorClientPIN flows (CTAP 2.1 §6.5.5) for PIN/UV auth protocols 1 and 2, built on
 * the shared src/protocol/pin-uv-auth-protocol.ts. Randomness (ephemeral keys, IVs) is injected.
 *
 * @example
 * ```ts
 * const pin = new ClientPin(ctap2, { protocol: 2 });
 * await pin.setPin('1234');
 * const token = await pin.getPinUvAuthTokenUsingPinWithPermissions('1234', PERMISSION.mc, 'example.com');
 * ```
 */
import { createECDH } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { COSE_ALG, type Ec2PublicKey, decodeEc2CoseKey, ec2ToUncompressed, encodeEc2CoseKey } from '../protocol/cose.js';
import { CLIENT_PIN as P, CLIENT_PIN_RESPONSE as R, CLIENT_PIN_SUBCOMMAND, PERMISSION, type PermissionName } from '../protocol/ctap2-parameters.js';
import { type PinUvAuthProtocol, p256ScalarFromSeed, pinUvAuthProtocol } from '../protocol/pin-uv-auth-protocol.js';
import type { CallOptions } from '../drivers/ctaphid-device.js';
import type { Ctap2 } from './ctap2.js';

export { CLIENT_PIN_SUBCOMMAND, PERMISSION, type PermissionName };

/** Permissions as the bit mask or the names (`['cm']`, `['mc', 'ga']`) of §6.5.5.7. */
export type Permissions = number | readonly PermissionName[];

/** The bit mask of `permissions`; TypeError/RangeError for a name or number that is not one. */
export function permissionBits(permissions: Permissions): number {
  if (typeof permissions === 'number') {
    if (!Number.isInteger(permissions) || permissions < 1 || permissions > 0xff) throw new RangeError('permissions must be 1..255');
    return permissions;
  }
  if (!Array.isArray(permissions) || permissions.length === 0) throw new TypeError('permissions must be a number or a non-empty list of names');
  let bits = 0;
  for (const name of permissions as readonly string[]) {
    if (!Object.hasOwn(PERMISSION, name)) throw new RangeError(`unknown permission ${JSON.stringify(name)}: use ${Object.keys(PERMISSION).join(', ')}`);
    bits |= PERMISSION[name as PermissionName];
  }
  return bits;
}

/**
 * The platform's half of key agreement (§6.5.6 encapsulate) as the shared core's
 * `protocol.encapsulate` computes it (the same ephemeral scalar from the same seed, so the same
 * bytes), with the two P-256 multiplications on node:crypto: OpenSSL takes well under a
 * millisecond where the pure-JS curve takes several, and every PIN flow and every hmac-secret
 * request agrees afresh (bench/fido.ts, the hmac-secret rows).
 */
function encapsulate(protocol: PinUvAuthProtocol, peer: { x: Uint8Array; y: Uint8Array }, seed: Uint8Array): { platformKey: Ec2PublicKey; sharedSecret: Uint8Array } {
  const ecdh = createECDH('prime256v1');
  const d = p256ScalarFromSeed(seed);
  ecdh.setPrivateKey(d);
  d.fill(0);
  const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
  let z: Uint8Array;
  try {
    z = ecdh.computeSecret(ec2ToUncompressed(peer)); // Z: the x-coordinate of the shared point
  } catch (e) {
    throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: keyAgreement is not a point on P-256', { cause: e });
  }
  const sharedSecret = protocol.kdf(z);
  z.fill(0);
  return { platformKey: { x: new Uint8Array(point.subarray(1, 33)), y: new Uint8Array(point.subarray(33, 65)), alg: COSE_ALG.ECDH_ES_HKDF_256 }, sharedSecret };
}

const defaultRandom = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));
const utf8 = new TextEncoder();

/** §6.5.1: a PIN is at least 4 code points and at most 63 bytes of UTF-8. */
export function checkPin(pin: string): Uint8Array {
  if (typeof pin !== 'string') throw new TypeError('pin must be a string');
  const bytes = utf8.encode(pin.normalize('NFC'));
  if ([...pin].length < 4) throw badInput('PIN must be at least 4 characters');
  if (bytes.length > 63) throw badInput('PIN must be at most 63 bytes of UTF-8');
  return bytes;
}

export interface ClientPinOptions {
  /** 1 or 2; default 2 when the authenticator lists it, else 1. */
  protocol?: 1 | 2;
  randomBytes?: (n: number) => Uint8Array;
}

export class ClientPin {
  readonly ctap2: Ctap2;
  readonly protocol: PinUvAuthProtocol;
  readonly #random: (n: number) => Uint8Array;

  constructor(ctap2: Ctap2, options: ClientPinOptions = {}) {
    this.ctap2 = ctap2;
    this.protocol = pinUvAuthProtocol(options.protocol ?? 2);
    this.#random = options.randomBytes ?? defaultRandom;
  }

  /** The preferred protocol the authenticator supports (getInfo pinUvAuthProtocols). */
  static async forAuthenticator(ctap2: Ctap2, options: Omit<ClientPinOptions, 'protocol'> = {}): Promise<ClientPin> {
    const { pinUvAuthProtocols } = await ctap2.getInfo();
    const protocol = pinUvAuthProtocols.includes(2) ? 2 : pinUvAuthProtocols.includes(1) ? 1 : undefined;
    if (protocol === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'authenticator supports no PIN/UV auth protocol');
    return new ClientPin(ctap2, { ...options, protocol });
  }

  #params(sub: number): Map<number, unknown> {
    return new Map<number, unknown>([[P.pinUvAuthProtocol, this.protocol.version], [P.subCommand, sub]]);
  }

  /**
   * Remaining PIN attempts and whether a power cycle is needed (§6.5.5.2). A key without a PIN
   * may answer CTAP2_ERR_PIN_NOT_SET (YubiKeys do).
   */
  async getRetries(): Promise<{ retries: number; powerCycleState: boolean | undefined }> {
    const m = await this.ctap2.clientPin(this.#params(CLIENT_PIN_SUBCOMMAND.getPINRetries));
    const retries = m.get(R.pinRetries);
    if (typeof retries !== 'number') throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: pinRetries missing');
    const pcs = m.get(R.powerCycleState);
    return { retries, powerCycleState: typeof pcs === 'boolean' ? pcs : undefined };
  }

  /** Remaining built-in UV attempts (§6.5.5.3, getUVRetries): keys with a fingerprint sensor. */
  async getUvRetries(): Promise<number> {
    const m = await this.ctap2.clientPin(this.#params(CLIENT_PIN_SUBCOMMAND.getUVRetries));
    const retries = m.get(R.uvRetries);
    if (typeof retries !== 'number') throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: uvRetries missing');
    return retries;
  }

  /** The authenticator's key agreement key (§6.5.5.4). */
  async getKeyAgreement(): Promise<{ x: Uint8Array; y: Uint8Array }> {
    const m = await this.ctap2.clientPin(this.#params(CLIENT_PIN_SUBCOMMAND.getKeyAgreement));
    try {
      return decodeEc2CoseKey(m.get(R.keyAgreement), COSE_ALG.ECDH_ES_HKDF_256);
    } catch (e) {
      throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: keyAgreement ${e instanceof Error ? e.message : ''}`, { cause: e });
    }
  }

  /**
   * Key agreement (§6.5.5.4 getKeyAgreement, then encapsulate): the platform key to send and
   * the shared secret, for the PIN flows here and for hmac-secret's salts. Zero the secret
   * when done with it.
   */
  async keyAgreement(): Promise<{ keyAgreement: Map<number, number | Uint8Array>; sharedSecret: Uint8Array }> {
    const peer = await this.getKeyAgreement();
    const { platformKey, sharedSecret } = encapsulate(this.protocol, peer, this.#random(32));
    return { keyAgreement: encodeEc2CoseKey(platformKey), sharedSecret };
  }

  async #agree(): Promise<{ keyAgreement: Map<number, number | Uint8Array>; shared: Uint8Array }> {
    const { keyAgreement, sharedSecret } = await this.keyAgreement();
    return { keyAgreement, shared: sharedSecret };
  }

  /** protocol Two's random IV (protocol One has none), for encrypting under a shared secret. */
  iv(): Uint8Array | undefined {
    return this.#iv();
  }

  #iv(): Uint8Array | undefined {
    return this.protocol.version === 2 ? this.#random(16) : undefined;
  }

  #newPinEnc(shared: Uint8Array, pin: string): Uint8Array {
    const padded = new Uint8Array(64); // §6.5.5.5: pad the PIN with zeros to 64 bytes
    padded.set(checkPin(pin));
    const enc = this.protocol.encrypt(shared, padded, this.#iv());
    padded.fill(0);
    return enc;
  }

  #pinHashEnc(shared: Uint8Array, pin: string): Uint8Array {
    const hash = sha256(checkPin(pin)).slice(0, 16); // §6.5.5.7: LEFT(SHA-256(pin), 16)
    const enc = this.protocol.encrypt(shared, hash, this.#iv());
    hash.fill(0);
    return enc;
  }

  /** Set the first PIN (§6.5.5.5). */
  async setPin(pin: string): Promise<void> {
    checkPin(pin); // before any I/O: a bad PIN never reaches the key
    const { keyAgreement, shared } = await this.#agree();
    const newPinEnc = this.#newPinEnc(shared, pin);
    const params = this.#params(CLIENT_PIN_SUBCOMMAND.setPIN);
    params.set(P.keyAgreement, keyAgreement);
    params.set(P.pinUvAuthParam, this.protocol.authenticate(shared, newPinEnc));
    params.set(P.newPinEnc, newPinEnc);
    shared.fill(0);
    await this.ctap2.clientPin(params);
  }

  /** Change the PIN (§6.5.5.6). */
  async changePin(currentPin: string, newPin: string): Promise<void> {
    checkPin(currentPin);
    checkPin(newPin);
    const { keyAgreement, shared } = await this.#agree();
    const pinHashEnc = this.#pinHashEnc(shared, currentPin);
    const newPinEnc = this.#newPinEnc(shared, newPin);
    const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
    message.set(newPinEnc);
    message.set(pinHashEnc, newPinEnc.length);
    const params = this.#params(CLIENT_PIN_SUBCOMMAND.changePIN);
    params.set(P.keyAgreement, keyAgreement);
    params.set(P.pinUvAuthParam, this.protocol.authenticate(shared, message));
    params.set(P.newPinEnc, newPinEnc);
    params.set(P.pinHashEnc, pinHashEnc);
    shared.fill(0);
    await this.ctap2.clientPin(params);
  }

  /** getPinToken (§6.5.5.7.1), the CTAP 2.0 way: a token with the default permissions mc and ga. */
  getPinToken(pin: string): Promise<Uint8Array> {
    return this.#token(CLIENT_PIN_SUBCOMMAND.getPinToken, pin);
  }

  /**
   * getPinUvAuthTokenUsingPinWithPermissions (§6.5.5.7.2): a token for `permissions` (bits or
   * names: mc, ga, cm, be, lbw, acfg, pcmr), bound to `rpId` when given (mc and ga bind the
   * first RP they are used with otherwise).
   */
  getPinUvAuthTokenUsingPinWithPermissions(pin: string, permissions: Permissions, rpId?: string): Promise<Uint8Array> {
    return this.#token(CLIENT_PIN_SUBCOMMAND.getPinUvAuthTokenUsingPinWithPermissions, pin, permissionBits(permissions), rpId);
  }

  /**
   * getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3): a token after built-in user
   * verification (the key asks for a finger: keepalives UPNEEDED meanwhile), for keys whose
   * getInfo has uv and pinUvAuthToken. A failed match is CTAP2_ERR_UV_INVALID; once uvRetries
   * ran out, CTAP2_ERR_UV_BLOCKED (the PIN brings it back).
   */
  getPinUvAuthTokenUsingUvWithPermissions(permissions: Permissions, rpId?: string, call: CallOptions = {}): Promise<Uint8Array> {
    return this.#token(CLIENT_PIN_SUBCOMMAND.getPinUvAuthTokenUsingUvWithPermissions, undefined, permissionBits(permissions), rpId, call);
  }

  async #token(sub: number, pin: string | undefined, permissions?: number, rpId?: string, call: CallOptions = {}): Promise<Uint8Array> {
    if (pin !== undefined) checkPin(pin);
    const { keyAgreement, shared } = await this.#agree();
    const params = this.#params(sub);
    params.set(P.keyAgreement, keyAgreement);
    if (pin !== undefined) params.set(P.pinHashEnc, this.#pinHashEnc(shared, pin));
    if (permissions !== undefined) params.set(P.permissions, permissions);
    if (rpId !== undefined) params.set(P.rpId, rpId);
    const m = await this.ctap2.clientPin(params, call);
    const enc = m.get(R.pinUvAuthToken);
    if (!(enc instanceof Uint8Array)) throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: pinUvAuthToken missing');
    let token: Uint8Array;
    try {
      token = this.protocol.decrypt(shared, enc);
    } catch (e) {
      throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: pinUvAuthToken has a bad length', { cause: e });
    } finally {
      shared.fill(0);
    }
    return token;
  }

  /** pinUvAuthParam over `clientDataHash` for makeCredential/getAssertion (§6.1.2 step 11). */
  authenticate(token: Uint8Array, clientDataHash: Uint8Array): Uint8Array {
    return this.protocol.authenticate(token, clientDataHash);
  }
}
