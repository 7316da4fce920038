/**
 * The pinUvAuthToken and its permissions (CTAP 2.1 §6.5.2.1 "pinUvAuthToken state",
 * §6.5.5.7 "Operations to obtain a pinUvAuthToken"): the one token the authenticator has,
 * what it may be used for (mc, ga, cm, be, lbw, acfg; pcmr in CTAP 2.2), the RP it is bound
 * to, how long it lives, and the checks every command makes before it acts on a
 * pinUvAuthParam. Credential management, bio enrollment, config and large blobs authorize
 * with `authorize` like makeCredential and getAssertion do.
 *
 * @example
 * ```ts
 * // credentialManagement deleteCredential (§6.8.5): cm permission, bound to the credential's RP
 * authorize(device, { protocol, pinUvAuthParam, message, permission: PERMISSION.cm, rpId });
 * ```
 */
import { PERMISSION, type OptionId } from '../../src/protocol/ctap2-parameters.js';
import type { PinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import type { CtapHidContext } from '../ctaphid/index.js';
import type { RandomSource } from '../env/index.js';
import { speaksCtap21 } from './commands/command.js';
import { type FidoDevice, volatileSlot } from './device.js';
import { S, fail } from './errors.js';

export { PERMISSION };

/** CTAP 2.1 §6.5.2.1: a token is usable for at most 10 minutes after it was issued. */
export const PIN_UV_AUTH_TOKEN_LIFETIME_MS = 10 * 60_000;

/**
 * The pinUvAuthToken state (§6.5.2.1). A key older than CTAP 2.1 (FIDO_2_0, FIDO_2_1_PRE) has
 * the CTAP 2.0 pinToken instead (CTAP 2.0 §5.5.4): made at power-up, the same bytes for every
 * getPinToken, good for every command that takes a pinAuth until the next power cycle or PIN
 * change; it has no permissions, no RP binding, no lifetime and is never spent.
 */
export class PinUvAuthToken {
  #token: Uint8Array;
  #permissions = 0;
  #rpId: string | undefined;
  #expiresMs = 0;
  /** The userPresent flag: the token was issued with a touch (built-in UV), so the next operation needs none. */
  #userPresent = false;
  /** A CTAP 2.0 pinToken rather than a CTAP 2.1 pinUvAuthToken. */
  readonly #pinToken: boolean;
  #issued = false;

  constructor(random: RandomSource, ctap20PinToken = false) {
    this.#token = random.bytes(32);
    this.#pinToken = ctap20PinToken;
  }

  /** The permissions RP ID, when bound. */
  get rpId(): string | undefined {
    return this.#rpId;
  }

  get permissions(): number {
    return this.#permissions;
  }

  get userPresent(): boolean {
    return this.#userPresent;
  }

  /**
   * resetPinUvAuthToken then beginUsingPinUvAuthToken (§6.5.5.7.2 steps 13–16): new token
   * bytes, so every token issued before is invalid; returns the bytes to encrypt for the platform.
   */
  issue(random: RandomSource, nowMs: number, permissions: number, rpId: string | undefined, userIsPresent = false): Uint8Array {
    if (this.#pinToken) {
      this.#issued = true;
      return this.#token;
    }
    this.#token = random.bytes(32);
    this.#permissions = permissions;
    this.#rpId = rpId;
    this.#expiresMs = nowMs + PIN_UV_AUTH_TOKEN_LIFETIME_MS;
    this.#userPresent = userIsPresent;
    return this.#token;
  }

  /** resetPinUvAuthToken (§6.5.5.6 step 19 and power-up): a new, unusable token. */
  reset(random: RandomSource): void {
    this.#issued = false;
    this.#token = random.bytes(32);
    this.#permissions = 0;
    this.#rpId = undefined;
    this.#expiresMs = 0;
    this.#userPresent = false;
  }

  /** verify(pinUvAuthToken, message, pinUvAuthParam) of the given protocol (permissions and expiry are `authorize`'s). */
  verify(protocol: PinUvAuthProtocol, message: Uint8Array, pinUvAuthParam: Uint8Array): boolean {
    return protocol.verify(this.#token, message, pinUvAuthParam);
  }

  has(permission: number): boolean {
    if (this.#pinToken) return this.#issued;
    return (this.#permissions & permission) !== 0;
  }

  expired(nowMs: number): boolean {
    if (this.#pinToken) return !this.#issued;
    return nowMs > this.#expiresMs;
  }

  /** Associate the request's RP ID when the token has none yet (§6.1.2 step 11.1.7, §6.2.2 step 6.1.6). */
  bind(rpId: string): void {
    if (this.#pinToken) return;
    this.#rpId ??= rpId;
  }

  /**
   * clearUserPresentFlag, clearUserVerifiedFlag and clearPinUvAuthTokenPermissionsExceptLbw
   * (§6.1.2 step 14.4, §6.2.2 step 9): a token that authorized an operation with a touch is
   * spent for everything but large-blob writes.
   */
  spend(): void {
    if (this.#pinToken) return;
    this.#userPresent = false;
    this.#permissions &= PERMISSION.lbw;
  }
}

/** The device's one pinUvAuthToken; power-up makes a new one. */
export const PIN_UV_AUTH_TOKEN = volatileSlot('pinUvAuthToken', (device) => new PinUvAuthToken(device.env.random, !speaksCtap21(device.profile)));

/**
 * Which getInfo option must be true for a permission to be granted (§6.5.5.7.2 step 4, for
 * tokens obtained with the PIN). mc and ga depend on noMcGaPermissionsWithClientPin instead.
 */
const PERMISSION_OPTION: Readonly<Record<number, OptionId>> = {
  [PERMISSION.cm]: 'credMgmt',
  [PERMISSION.be]: 'bioEnroll',
  [PERMISSION.lbw]: 'largeBlobs',
  [PERMISSION.acfg]: 'authnrCfg',
  [PERMISSION.pcmr]: 'perCredMgmtRO',
};

/**
 * §6.5.5.7.2 step 4 (PIN) and §6.5.5.7.3 step 4 (built-in UV): true when a requested
 * permission is not authorized by the authenticator's options. Undefined bits are ignored.
 * With `via: 'uv'`, be needs uvBioEnroll and acfg needs uvAcfg, and mc and ga are always
 * authorized.
 */
export function unauthorizedPermission(options: Readonly<Partial<Record<OptionId, boolean>>>, permissions: number, via: 'pin' | 'uv'): boolean {
  const noMcGa = via === 'pin' && options.noMcGaPermissionsWithClientPin === true;
  if (noMcGa && (permissions & (PERMISSION.mc | PERMISSION.ga)) !== 0) return true;
  for (const [bit, option] of Object.entries(PERMISSION_OPTION)) {
    if ((permissions & Number(bit)) === 0) continue;
    const id = via === 'uv' && option === 'bioEnroll' ? 'uvBioEnroll' : via === 'uv' && option === 'authnrCfg' ? 'uvAcfg' : option;
    // bioEnroll is "supported" when present at all (false = no finger enrolled yet), as is its
    // CTAP 2.1-PRE name userVerificationMgmtPreview; cm comes with credential management under
    // its 2.1-PRE name too.
    const granted =
      id === 'bioEnroll'
        ? options.bioEnroll !== undefined || options.userVerificationMgmtPreview !== undefined
        : options[id] === true || (id === 'credMgmt' && options.credentialMgmtPreview === true);
    if (!granted) return true;
  }
  // pcmr may only be asked for alone (CTAP 2.2 §6.5.5.7.2 step 4).
  return (permissions & PERMISSION.pcmr) !== 0 && (permissions & 0x7f & ~PERMISSION.pcmr) !== 0;
}

/** What a command that takes a pinUvAuthParam hands to `authorize`. */
export interface Authorization {
  protocol: PinUvAuthProtocol;
  pinUvAuthParam: Uint8Array;
  /** The message the platform authenticated (clientDataHash, or the command's own). */
  message: Uint8Array;
  /** The permission the operation needs (PERMISSION.mc, .ga, .cm, ...). */
  permission: number;
  /** The RP the operation concerns; the token must be bound to it, or is bound to it now. */
  rpId?: string;
}

/**
 * The checks every command makes on a pinUvAuthParam (§6.1.2 step 11.1, §6.2.2 step 6.1,
 * §6.8.2, §6.10.2, §6.11.2): it verifies under the token, the token is in use and has the
 * permission, and its permissions RP ID (when bound) is the request's; each failure is
 * CTAP2_ERR_PIN_AUTH_INVALID. An unbound token is bound to `rpId`.
 */
export function authorize(device: FidoDevice, a: Authorization): void {
  const token = device.volatile(PIN_UV_AUTH_TOKEN);
  if (!token.verify(a.protocol, a.message, a.pinUvAuthParam)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID);
  if (!token.has(a.permission)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token lacks the permission');
  if (token.expired(device.env.clock.now())) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token expired');
  if (a.rpId !== undefined) {
    if (token.rpId !== undefined && token.rpId !== a.rpId) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'token bound to another RP');
    token.bind(a.rpId);
  }
}

/**
 * Steps 1–2 of makeCredential and getAssertion (§6.1.2, §6.2.2), and of every command that
 * takes a pinUvAuthParam: a zero-length pinUvAuthParam asks the user to pick this
 * authenticator (a touch, then PIN_INVALID or PIN_NOT_SET); a present one needs a supported
 * pinUvAuthProtocol. Returns the protocol, or undefined when no pinUvAuthParam came.
 */
export async function pinUvAuthProtocolOf(
  device: FidoDevice,
  req: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number },
  ctx: CtapHidContext,
): Promise<PinUvAuthProtocol | undefined> {
  if (req.pinUvAuthParam === undefined) return undefined;
  if (req.pinUvAuthParam.length === 0) {
    await device.requireTouch(ctx, 'select');
    throw fail(device.pinIsSet ? S.CTAP2_ERR_PIN_INVALID : S.CTAP2_ERR_PIN_NOT_SET);
  }
  if (req.pinUvAuthProtocol === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  const protocol = device.pinUvAuthProtocol(req.pinUvAuthProtocol);
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
  return protocol;
}
