/**
 * How the WebAuthn client verifies the user for makeCredential and getAssertion (WebAuthn L3
 * §6.2.2 with CTAP 2.1 §6.1.2 / §6.2.2): built-in UV before the PIN.
 *
 * - A key with built-in UV set up and pinUvAuthToken: a token from
 *   getPinUvAuthTokenUsingUvWithPermissions (tried preferredPlatformUvAttempts times), the PIN
 *   when that fails or UV is blocked (CTAP2_ERR_UV_BLOCKED).
 * - A key with built-in UV but no pinUvAuthToken (CTAP 2.0 style): `uv: true` in the request;
 *   when the key answers CTAP2_ERR_PUAT_REQUIRED (built-in UV failed, the PIN may be used) and
 *   a PIN was given, again with a PIN token.
 * - A key with a PIN only: a token from the PIN.
 * UV happens when the RP requires it, prefers it and the key can do it (a PIN was given or a
 * finger is enrolled), or the key insists (a protected key without makeCredUvNotRqd, alwaysUv).
 * A token is also got, by the same means, when an extension needs a permission of its own (lbw
 * for a largeBlob write); the command and what follows it get the token, which is zeroed after.
 */
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import { PERMISSION } from '../ctap/client-pin.js';
import type { Ctap2, Ctap2Info } from '../ctap/ctap2.js';
import { obtainPinUvAuthToken } from '../ctap/user-verification.js';
import type { CallOptions } from '../drivers/ctaphid-device.js';
import type { PinUvAuthProtocol } from '../protocol/pin-uv-auth-protocol.js';

/** What makeCredential / getAssertion carry for user verification. */
export type UvAuth = { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number } | { uv: true } | Record<string, never>;

/** A pinUvAuthToken and its protocol, for what follows the command (largeBlob writes). */
export interface PinUvToken {
  token: Uint8Array;
  protocol: PinUvAuthProtocol;
}

export interface UvNeeds {
  /** PERMISSION.mc or PERMISSION.ga. */
  permission: number;
  /** Permissions an extension needs beyond it (PERMISSION.lbw): a token is got for them even without UV. */
  extraPermissions?: number;
  rpId: string;
  clientDataHash: Uint8Array;
  /** makeCredential of a discoverable credential (makeCredUvNotRqd does not spare it). */
  discoverable?: boolean;
  /** The RP's userVerification: 'required', 'preferred' (default) or 'discouraged'. */
  userVerification: string | undefined;
  pin: string | undefined;
  randomBytes: (n: number) => Uint8Array;
  call: CallOptions;
}

/** Whether this ceremony verifies the user on this key. */
function wantsUv(info: Ctap2Info, n: UvNeeds): boolean {
  const o = info.options;
  const builtIn = o.uv === true;
  if (n.userVerification === 'required') return true;
  if (o.alwaysUv === true) return true;
  // A key protected by UV makes no credential without it unless it says so, and never a discoverable one (§6.1.2 steps 7–8).
  if (n.permission === PERMISSION.mc && (o.clientPin === true || builtIn) && (o.makeCredUvNotRqd !== true || n.discoverable === true)) return true;
  return n.userVerification !== 'discouraged' && (builtIn || (n.pin !== undefined && o.clientPin === true));
}

async function pinOrUvToken(ctap2: Ctap2, info: Ctap2Info, n: UvNeeds, builtInUv: boolean): Promise<{ auth: UvAuth; token: PinUvToken }> {
  const { clientPin, token } = await obtainPinUvAuthToken(ctap2, info, {
    permissions: n.permission | (n.extraPermissions ?? 0),
    rpId: n.rpId,
    builtInUv,
    randomBytes: n.randomBytes,
    call: n.call,
    ...(n.pin === undefined ? {} : { pin: n.pin }),
  });
  return { auth: { pinUvAuthParam: clientPin.authenticate(token, n.clientDataHash), pinUvAuthProtocol: clientPin.protocol.version }, token: { token, protocol: clientPin.protocol } };
}

/** Run `operation` under a token, then zero it. */
async function underToken<T>(got: { auth: UvAuth; token: PinUvToken }, operation: (auth: UvAuth, token: PinUvToken | undefined) => Promise<T>): Promise<T> {
  try {
    return await operation(got.auth, got.token);
  } finally {
    got.token.token.fill(0);
  }
}

/**
 * Run `operation` (makeCredential or getAssertion) with the user verification this key and
 * ceremony call for; UNSUPPORTED when the RP requires UV the key cannot do, BAD_INPUT when the
 * PIN is needed and not given.
 */
export async function withUserVerification<T>(ctap2: Ctap2, info: Ctap2Info, n: UvNeeds, operation: (auth: UvAuth, token: PinUvToken | undefined) => Promise<T>): Promise<T> {
  const uv = wantsUv(info, n);
  if (!uv && (n.extraPermissions ?? 0) === 0) return operation({}, undefined);
  const o = info.options;
  if (o.uv !== true && o.clientPin !== true) {
    // A key with neither PIN nor finger needs no token for an extension's permission either.
    if (n.userVerification !== 'required') return operation({}, undefined);
    throw new TokenrigError(ErrorCode.UNSUPPORTED, 'user verification is required but the key has no PIN set and no fingerprint enrolled (tokenrig fido pin set, tokenrig fido bio enroll)');
  }
  if (o.uv === true && o.pinUvAuthToken !== true && o.uvToken !== true) {
    if (!uv) return operation({}, undefined);
    try {
      return await operation({ uv: true }, undefined);
    } catch (e) {
      const puatRequired = e instanceof TokenrigError && e.wireCode === CTAP2_STATUS.CTAP2_ERR_PUAT_REQUIRED;
      if (!puatRequired || o.clientPin !== true) throw e;
      if (n.pin === undefined) throw badInput("built-in user verification failed: give the key's PIN (--pin)");
      return underToken(await pinOrUvToken(ctap2, info, n, false), operation);
    }
  }
  return underToken(await pinOrUvToken(ctap2, info, n, true), operation);
}
