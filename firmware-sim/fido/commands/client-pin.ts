/**
 * authenticatorClientPIN (CTAP 2.1 §6.5): PIN retries, the key agreement key, setting and
 * changing the PIN, and issuing pinUvAuthTokens (getPinToken, and with permissions). Each
 * sub-command follows the spec's numbered steps; the step a refusal comes from is named
 * beside it. Sub-commands are one table (`CLIENT_PIN_SUBCOMMANDS`), built-in user
 * verification's getPinUvAuthTokenUsingUvWithPermissions and getUVRetries among them (the
 * verification itself is the device's UserVerifier: ../user-verification.ts).
 */
import { type ECDH, createECDH } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CborValue } from '../../../src/protocol/cbor.js';
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { CLIENT_PIN, CLIENT_PIN_RESPONSE, CLIENT_PIN_SUBCOMMAND as SUB, PERMISSION } from '../../../src/protocol/ctap2-parameters.js';
import { COSE_ALG, decodeEc2CoseKey, ec2ToUncompressed, encodeEc2CoseKey } from '../../../src/protocol/cose.js';
import { type PinUvAuthProtocol, constantTimeEqual } from '../../../src/protocol/pin-uv-auth-protocol.js';
import type { CtapHidContext } from '../../ctaphid/index.js';
import type { RandomSource } from '../../env/index.js';
import { type CborParams, bytes, map, optional, text, uint } from '../cbor-params.js';
import { type FidoDevice, volatileSlot } from '../device.js';
import { S, fail } from '../errors.js';
import { persistentPinUvAuthToken, resetPersistentPinUvAuthToken } from '../persistent-token.js';
import { PIN_UV_AUTH_TOKEN, unauthorizedPermission } from '../pin-uv-auth-token.js';
import { forcePinChange } from '../settings.js';
import { MAX_PIN_RETRIES, type PinState } from '../state.js';
import { type Ctap2Response, defineCommand, speaksCtap2, speaksCtap21 } from './command.js';

/** Three wrong PINs in a row block PIN auth until the next power cycle (CTAP 2.1 §6.5.2.2). */
export const MAX_CONSECUTIVE_PIN_FAILURES = 3;

export interface ClientPinRequest {
  pinUvAuthProtocol?: number;
  subCommand: number;
  keyAgreement?: Map<CborValue, CborValue>;
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}

/**
 * The authenticator's key agreement key (§6.5.6 getPublicKey / regenerate), made at power-up.
 * ECDH runs on node:crypto: every PIN sub-command and every hmac-secret request decapsulates,
 * and OpenSSL's P-256 multiplies in well under a millisecond where the pure-JS one the shared
 * core uses takes several (bench/fido.ts, the hmac-secret rows).
 */
export class KeyAgreementKey {
  #ecdh!: ECDH;
  #x!: Uint8Array;
  #y!: Uint8Array;

  constructor(random: RandomSource) {
    this.regenerate(random);
  }

  /** regenerate (§6.5.6): a new key, so a platform that guessed a PIN must agree again. */
  regenerate(random: RandomSource): void {
    const ecdh = createECDH('prime256v1');
    for (;;) {
      try {
        ecdh.setPrivateKey(random.bytes(32));
        break;
      } catch {
        // out-of-range scalar (0 or ≥ n): draw again
      }
    }
    const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
    [this.#ecdh, this.#x, this.#y] = [ecdh, new Uint8Array(point.subarray(1, 33)), new Uint8Array(point.subarray(33, 65))];
  }

  /** getPublicKey: the COSE_Key with alg ECDH-ES+HKDF-256 (-25) that getKeyAgreement returns. */
  coseKey(): Map<number, number | Uint8Array> {
    return encodeEc2CoseKey({ x: this.#x, y: this.#y, alg: COSE_ALG.ECDH_ES_HKDF_256 });
  }

  /** decapsulate (§6.5.6): the shared secret with the platform's key; CTAP1_ERR_INVALID_PARAMETER when it is no P-256 key. */
  sharedSecret(protocol: PinUvAuthProtocol, platformKey: Map<CborValue, CborValue>): Uint8Array {
    let z: Uint8Array;
    try {
      // The platform's key may omit alg or carry -25 (§6.5.6); x and y must be on P-256.
      const peer = ec2ToUncompressed(decodeEc2CoseKey(platformKey, COSE_ALG.ECDH_ES_HKDF_256));
      z = this.#ecdh.computeSecret(peer); // §6.5.6 ecdh: Z, the x-coordinate of the shared point
    } catch (e) {
      // decodeEc2CoseKey's RangeError, or OpenSSL's refusal of a point off the curve.
      if (e instanceof RangeError || (e as { code?: unknown }).code === 'ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY') throw fail(S.CTAP1_ERR_INVALID_PARAMETER, `keyAgreement: ${(e as Error).message}`);
      throw e;
    }
    const secret = protocol.kdf(z);
    z.fill(0);
    return secret;
  }
}

/** The key agreement key of this power-up (hmac-secret uses it too). */
export const KEY_AGREEMENT = volatileSlot('keyAgreement', (device) => new KeyAgreementKey(device.env.random));

/** Wrong PINs in a row since power-up. */
const PIN_FAILURES = volatileSlot('consecutivePinFailures', () => ({ count: 0 }));

/** A sub-command: the request, already checked for the protocol when it names one. */
export type ClientPinSubcommand = (device: FidoDevice, req: ClientPinRequest, ctx: CtapHidContext) => Ctap2Response | Promise<Ctap2Response>;

function mandatory<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  return v;
}

/** The request's protocol: MISSING_PARAMETER when absent, INVALID_PARAMETER when the key lacks it. */
function protocolOf(device: FidoDevice, req: ClientPinRequest): PinUvAuthProtocol {
  const protocol = device.pinUvAuthProtocol(mandatory(req.pinUvAuthProtocol, 'pinUvAuthProtocol'));
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
  return protocol;
}

function decrypt(protocol: PinUvAuthProtocol, shared: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  try {
    return protocol.decrypt(shared, ciphertext);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/** §6.5.5.5 steps 6–10 (and §6.5.5.6 steps 9–14): decrypt newPinEnc and apply the PIN policy. */
function decryptNewPin(device: FidoDevice, protocol: PinUvAuthProtocol, shared: Uint8Array, newPinEnc: Uint8Array): Uint8Array {
  const padded = decrypt(protocol, shared, newPinEnc);
  if (padded === undefined) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'newPinEnc does not decrypt');
  if (padded.length !== 64) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'paddedNewPin must be 64 bytes');
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--; // drop the trailing 0x00 bytes
  const pin = padded.subarray(0, end);
  const codePoints = [...new TextDecoder().decode(pin)].length;
  if (codePoints < device.minPinLength) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION, 'PIN too short');
  const maxCodePoints = device.profile.limits.maxPINLength;
  if (pin.length > 63 || (maxCodePoints !== undefined && codePoints > maxCodePoints)) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION, 'PIN too long');
  return pin;
}

/**
 * Steps shared by changePIN and the token sub-commands (§6.5.5.6 steps 3, 6–8; §6.5.5.7.2
 * steps 5, 8–10): a blocked PIN, three failures since power-up, the retry counted before the
 * check (so pulling the plug mid-guess still costs one), and on a mismatch a new key
 * agreement key.
 */
function verifyPinHash(device: FidoDevice, protocol: PinUvAuthProtocol, shared: Uint8Array, pinHashEnc: Uint8Array): void {
  const state = device.store.readPin();
  const failures = device.volatile(PIN_FAILURES);
  device.store.writePin({ ...state, retries: state.retries - 1 });
  const pinHash = decrypt(protocol, shared, pinHashEnc);
  if (pinHash === undefined || pinHash.length !== 16 || state.hash === undefined || !constantTimeEqual(pinHash, state.hash)) {
    device.volatile(KEY_AGREEMENT).regenerate(device.env.random);
    failures.count++;
    device.emit({ event: 'pin_wrong', retries: state.retries - 1 });
    if (state.retries - 1 <= 0) throw fail(S.CTAP2_ERR_PIN_BLOCKED);
    if (failures.count >= MAX_CONSECUTIVE_PIN_FAILURES) throw fail(S.CTAP2_ERR_PIN_AUTH_BLOCKED);
    throw fail(S.CTAP2_ERR_PIN_INVALID);
  }
  failures.count = 0;
  device.store.writePin({ ...state, retries: MAX_PIN_RETRIES });
  // §6.5.2.2: a correct PIN restores uvRetries too (the way back after built-in UV was blocked).
  device.userVerifier?.restore();
}

/** PIN set, not blocked, not blocked until power-up: what every PIN check needs first. */
function checkPinUsable(device: FidoDevice): void {
  const state = device.store.readPin();
  if (state.hash === undefined) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
  if (state.retries <= 0) throw fail(S.CTAP2_ERR_PIN_BLOCKED);
  if (device.volatile(PIN_FAILURES).count >= MAX_CONSECUTIVE_PIN_FAILURES) throw fail(S.CTAP2_ERR_PIN_AUTH_BLOCKED);
}

/** §6.5.5.2 getPINRetries. */
const getPinRetries: ClientPinSubcommand = (device, req) => {
  // The protocol is optional here; one the key does not have is still refused.
  if (req.pinUvAuthProtocol !== undefined) protocolOf(device, req);
  // The spec has no step for a key without a PIN; YubiKeys answer PIN_NOT_SET (the strict
  // default), Solo 1 firmware its retries (the pinRetriesWithoutPin quirk).
  if (!device.pinIsSet && !device.hasQuirk('pinRetriesWithoutPin')) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
  return new Map([[CLIENT_PIN_RESPONSE.pinRetries, device.store.readPin().retries]]);
};

/** §6.5.5.4 getKeyAgreement: steps 3 (protocol missing) and 4 (unsupported). */
const getKeyAgreement: ClientPinSubcommand = (device, req) => {
  protocolOf(device, req);
  return new Map([[CLIENT_PIN_RESPONSE.keyAgreement, device.volatile(KEY_AGREEMENT).coseKey()]]);
};

/** §6.5.5.5 setPIN. */
const setPin: ClientPinSubcommand = (device, req) => {
  // Step 1: keyAgreement, newPinEnc and pinUvAuthParam are mandatory.
  const keyAgreement = mandatory(req.keyAgreement, 'keyAgreement');
  const newPinEnc = mandatory(req.newPinEnc, 'newPinEnc');
  const pinUvAuthParam = mandatory(req.pinUvAuthParam, 'pinUvAuthParam');
  const protocol = protocolOf(device, req); // step 2
  if (device.pinIsSet) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'a PIN is already set'); // step 3
  const shared = device.volatile(KEY_AGREEMENT).sharedSecret(protocol, keyAgreement); // step 4
  if (!protocol.verify(shared, newPinEnc, pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID); // step 5
  const pin = decryptNewPin(device, protocol, shared, newPinEnc); // steps 6–10
  device.store.writePin(newPinState(pin)); // step 12
  device.emit({ event: 'pin_set' });
  return undefined;
};

/** §6.5.5.6 changePIN. */
const changePin: ClientPinSubcommand = (device, req) => {
  // Step 1: keyAgreement, pinHashEnc, newPinEnc and pinUvAuthParam are mandatory.
  const keyAgreement = mandatory(req.keyAgreement, 'keyAgreement');
  const pinHashEnc = mandatory(req.pinHashEnc, 'pinHashEnc');
  const newPinEnc = mandatory(req.newPinEnc, 'newPinEnc');
  const pinUvAuthParam = mandatory(req.pinUvAuthParam, 'pinUvAuthParam');
  const protocol = protocolOf(device, req); // step 2
  checkPinUsable(device); // step 3
  const shared = device.volatile(KEY_AGREEMENT).sharedSecret(protocol, keyAgreement); // step 4
  const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
  message.set(newPinEnc);
  message.set(pinHashEnc, newPinEnc.length);
  if (!protocol.verify(shared, message, pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID); // step 5
  verifyPinHash(device, protocol, shared, pinHashEnc); // steps 6–8
  const pin = decryptNewPin(device, protocol, shared, newPinEnc); // steps 9–14
  const next = newPinState(pin);
  // A forced change must choose a new PIN (what YubiKeys require; CTAP 2.1 leaves it to the key).
  if (forcePinChange(device) && constantTimeEqual(next.hash!, device.store.readPin().hash!)) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION, 'the new PIN must differ');
  device.store.writePin(next); // steps 17–18
  if (forcePinChange(device)) device.store.updateSettings({ forcePINChange: false }); // §6.4 forcePINChange: cleared by changePIN
  device.volatile(PIN_UV_AUTH_TOKEN).reset(device.env.random); // step 19
  resetPersistentPinUvAuthToken(device); // CTAP 2.2 §6.5.5.6: resetPersistentPinUvAuthToken
  device.emit({ event: 'pin_changed' });
  return undefined;
};

/** The stored state of a new PIN: its hash, full retries, and its length (setMinPINLength compares it). */
function newPinState(pin: Uint8Array): PinState {
  return { hash: sha256(pin).slice(0, 16), retries: MAX_PIN_RETRIES, codePoints: [...new TextDecoder().decode(pin)].length };
}

/** Issue a token (§6.5.5.7.1 steps 5–15, §6.5.5.7.2 steps 5–17) once the request is checked. */
function issueToken(device: FidoDevice, req: ClientPinRequest, protocol: PinUvAuthProtocol, permissions: number, rpId: string | undefined): Ctap2Response {
  const keyAgreement = mandatory(req.keyAgreement, 'keyAgreement');
  const pinHashEnc = mandatory(req.pinHashEnc, 'pinHashEnc');
  checkPinUsable(device);
  const shared = device.volatile(KEY_AGREEMENT).sharedSecret(protocol, keyAgreement);
  verifyPinHash(device, protocol, shared, pinHashEnc);
  // §6.5.5.7.1 step 11, §6.5.5.7.2 step 11: a PIN that must be changed authorizes nothing.
  if (forcePinChange(device)) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION, 'forcePINChange');
  return sendToken(device, protocol, shared, { permissions, rpId, userPresent: false, via: 'pin' });
}

/**
 * resetPinUvAuthToken, beginUsingPinUvAuthToken(userIsPresent), the permissions and RP ID, and
 * the token encrypted for the platform (§6.5.5.7.2 steps 13–17, §6.5.5.7.3 steps 12–16). A
 * fresh token each time invalidates every earlier one — except pcmr asked for alone (CTAP 2.2),
 * which is the persistent token and leaves the pinUvAuthToken as it is, whichever way the user
 * was verified.
 */
function sendToken(
  device: FidoDevice,
  protocol: PinUvAuthProtocol,
  shared: Uint8Array,
  t: { permissions: number; rpId: string | undefined; userPresent: boolean; via: 'pin' | 'uv' },
): Ctap2Response {
  const token =
    t.permissions === PERMISSION.pcmr
      ? persistentPinUvAuthToken(device)
      : device.volatile(PIN_UV_AUTH_TOKEN).issue(device.env.random, device.env.clock.now(), t.permissions, t.rpId, t.userPresent);
  device.emit({ event: 'pin_token_issued', permissions: t.permissions, rpId: t.rpId, ...(t.via === 'uv' ? { via: 'uv' } : {}) });
  return new Map([[CLIENT_PIN_RESPONSE.pinUvAuthToken, protocol.encrypt(shared, token, device.env.random.bytes(16))]]);
}

/** §6.5.5.7.1 getPinToken (superseded): the default permissions mc and ga, no RP binding. */
const getPinToken: ClientPinSubcommand = (device, req) => {
  mandatory(req.keyAgreement, 'keyAgreement');
  mandatory(req.pinHashEnc, 'pinHashEnc');
  const protocol = protocolOf(device, req);
  if (speaksCtap21(device.profile)) {
    if (req.permissions !== undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'getPinToken takes no permissions'); // step 3
    if (req.rpId !== undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'getPinToken takes no rpId'); // step 4
  }
  // Step 14: the default permissions, unless noMcGaPermissionsWithClientPin withholds them.
  const defaults = device.profile.options.noMcGaPermissionsWithClientPin === true ? 0 : PERMISSION.mc | PERMISSION.ga;
  return issueToken(device, req, protocol, defaults | legacyPermissions(device), undefined);
};

/**
 * A key without permissions (no pinUvAuthToken option: CTAP 2.0, 2.1-PRE) has no other way to
 * authorize its management commands (the 0x40 / 0x41 prototypes): its pinToken authorizes
 * every one it has, as those keys did.
 */
function legacyPermissions(device: FidoDevice): number {
  if (device.profile.options.pinUvAuthToken === true) return 0;
  let bits = 0;
  for (const bit of [PERMISSION.cm, PERMISSION.be, PERMISSION.lbw, PERMISSION.acfg]) if (!unauthorizedPermission(device.profile.options, bit, 'pin')) bits |= bit;
  return bits;
}

/** §6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions. */
const getPinUvAuthTokenUsingPinWithPermissions: ClientPinSubcommand = (device, req) => {
  // Step 1: keyAgreement, pinHashEnc and permissions are mandatory; rpId is optional.
  mandatory(req.keyAgreement, 'keyAgreement');
  mandatory(req.pinHashEnc, 'pinHashEnc');
  const permissions = mandatory(req.permissions, 'permissions');
  const protocol = protocolOf(device, req); // step 2
  if (permissions === 0) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'permissions'); // step 3
  if (unauthorizedPermission(device.profile.options, permissions, 'pin')) throw fail(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION); // step 4
  // Step 15: undefined permission bits are ignored.
  return issueToken(device, req, protocol, permissions & 0x7f, req.rpId);
};

/** §6.5.5.3 getUVRetries: the protocol is optional here, as for getPINRetries. */
const getUvRetries: ClientPinSubcommand = (device, req) => {
  if (req.pinUvAuthProtocol !== undefined) protocolOf(device, req);
  return new Map([[CLIENT_PIN_RESPONSE.uvRetries, device.userVerifier!.retries()]]);
};

/** §6.5.5.7.3 getPinUvAuthTokenUsingUvWithPermissions: a token after built-in user verification. */
const getPinUvAuthTokenUsingUvWithPermissions: ClientPinSubcommand = async (device, req, ctx) => {
  // Step 1: keyAgreement and permissions are mandatory (and pinUvAuthProtocol); rpId is optional.
  const keyAgreement = mandatory(req.keyAgreement, 'keyAgreement');
  const permissions = mandatory(req.permissions, 'permissions');
  const protocol = protocolOf(device, req); // step 2
  if (permissions === 0) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'permissions'); // step 3
  if (unauthorizedPermission(device.profile.options, permissions, 'uv')) throw fail(S.CTAP2_ERR_UNAUTHORIZED_PERMISSION); // step 4
  const verifier = device.userVerifier!;
  if (!verifier.configured()) throw fail(S.CTAP2_ERR_NOT_ALLOWED, 'no finger enrolled'); // step 5
  // Step 6: a platform that tries several times itself gets one attempt per request.
  const internalRetry = !((device.profile.limits.preferredPlatformUvAttempts ?? 1) > 1);
  if (verifier.retries() === 0) throw fail(S.CTAP2_ERR_UV_BLOCKED); // step 7
  // The platform's key is checked before the user is asked: a bad one costs no attempt.
  const shared = device.volatile(KEY_AGREEMENT).sharedSecret(protocol, keyAgreement);
  const outcome = await verifier.perform(ctx, 'pinUvAuthToken', internalRetry); // step 9
  // Step 10: a timeout, uvRetries run out, or no match.
  if (outcome === 'timeout') throw fail(S.CTAP2_ERR_USER_ACTION_TIMEOUT);
  if (outcome === 'failed') throw fail(verifier.retries() === 0 ? S.CTAP2_ERR_UV_BLOCKED : S.CTAP2_ERR_UV_INVALID);
  // Steps 12–16: a finger on the sensor is evidence of user presence (step 13); undefined permission bits are ignored (14).
  return sendToken(device, protocol, shared, { permissions: permissions & 0x7f, rpId: req.rpId, userPresent: true, via: 'uv' });
};

/** Built-in UV's sub-commands need a verifier; the token one also the pinUvAuthToken option (§6.5.5.7.3), or uvToken, its 2.1-PRE name. */
const hasBuiltInUv = (d: FidoDevice): boolean => d.userVerifier !== undefined;
const hasUvToken = (d: FidoDevice): boolean => hasBuiltInUv(d) && (d.profile.options.pinUvAuthToken === true || d.profile.options.uvToken === true);

/**
 * The sub-commands by number. getPinUvAuthTokenUsingPinWithPermissions needs the
 * pinUvAuthToken option (a CTAP 2.0 key answers CTAP2_ERR_INVALID_SUBCOMMAND).
 */
export const CLIENT_PIN_SUBCOMMANDS: ReadonlyMap<number, { handle: ClientPinSubcommand; available?: (device: FidoDevice) => boolean }> = new Map([
  [SUB.getPINRetries, { handle: getPinRetries }],
  [SUB.getKeyAgreement, { handle: getKeyAgreement }],
  [SUB.setPIN, { handle: setPin }],
  [SUB.changePIN, { handle: changePin }],
  [SUB.getPinToken, { handle: getPinToken }],
  [SUB.getPinUvAuthTokenUsingUvWithPermissions, { handle: getPinUvAuthTokenUsingUvWithPermissions, available: hasUvToken }],
  [SUB.getUVRetries, { handle: getUvRetries, available: hasBuiltInUv }],
  [SUB.getPinUvAuthTokenUsingPinWithPermissions, { handle: getPinUvAuthTokenUsingPinWithPermissions, available: (d: FidoDevice) => d.profile.options.pinUvAuthToken === true }],
]);

function parse(p: CborParams): ClientPinRequest {
  const req: ClientPinRequest = { subCommand: uint(p.get(CLIENT_PIN.subCommand), 'subCommand') };
  // pinUvAuthProtocol is optional for getPINRetries and getUVRetries, mandatory for the others.
  const protocol = optional(p.get(CLIENT_PIN.pinUvAuthProtocol), (v) => uint(v, 'pinUvAuthProtocol'));
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  const keyAgreement = optional(p.get(CLIENT_PIN.keyAgreement), (v) => map(v, 'keyAgreement'));
  if (keyAgreement !== undefined) req.keyAgreement = keyAgreement;
  for (const name of ['pinUvAuthParam', 'newPinEnc', 'pinHashEnc'] as const) {
    const v = optional(p.get(CLIENT_PIN[name]), (x) => bytes(x, name));
    if (v !== undefined) req[name] = v;
  }
  const permissions = optional(p.get(CLIENT_PIN.permissions), (v) => uint(v, 'permissions'));
  if (permissions !== undefined) req.permissions = permissions;
  const rpId = optional(p.get(CLIENT_PIN.rpId), (v) => text(v, 'rpId'));
  if (rpId !== undefined) req.rpId = rpId;
  return req;
}

export const authenticatorClientPIN = defineCommand<ClientPinRequest>({
  code: CTAP2_CMD.CLIENT_PIN,
  name: 'authenticatorClientPIN',
  available: (profile) => speaksCtap2(profile) && profile.options.clientPin !== undefined,
  parse,
  handle(device, req, ctx) {
    const sub = CLIENT_PIN_SUBCOMMANDS.get(req.subCommand);
    if (sub === undefined || sub.available?.(device) === false) throw fail(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    return sub.handle(device, req, ctx);
  },
  info(device, info) {
    info.option('clientPin', device.pinIsSet);
  },
});
