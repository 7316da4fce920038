/**
 * Getting a pinUvAuthToken the way a CTAP 2.1 platform does: by the key's built-in user
 * verification when it has it set up (getPinUvAuthTokenUsingUvWithPermissions, §6.5.5.7.3,
 * tried preferredPlatformUvAttempts times), by the PIN otherwise, or when built-in UV failed
 * or is blocked (CTAP2_ERR_UV_BLOCKED: only a correct PIN unblocks it, §6.5.2.2).
 *
 * @example
 * ```ts
 * const { clientPin, token, via } = await obtainPinUvAuthToken(ctap2, await ctap2.getInfo(), { permissions: ['mc'], rpId: 'example.com', pin });
 * ```
 */
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import type { CallOptions } from '../drivers/ctaphid-device.js';
import { ClientPin, PERMISSION, type Permissions, permissionBits } from './client-pin.js';
import type { Ctap2, Ctap2Info } from './ctap2.js';

export interface TokenRequest {
  permissions: Permissions;
  /** The permissions RP ID (mc and ga bind to it). */
  rpId?: string;
  /** The PIN, for keys without built-in UV or when it fails. */
  pin?: string;
  /** Try built-in UV first when the key has it (default true). */
  builtInUv?: boolean;
  randomBytes?: (n: number) => Uint8Array;
  /** Keepalives (UPNEEDED: the key waits for a finger) and cancellation for the UV attempts. */
  call?: CallOptions;
  /** Told when a built-in UV attempt failed and another comes (or the PIN is used). */
  onUvFailed?: (status: 'UV_INVALID' | 'UV_BLOCKED', attemptsLeft: number) => void;
}

export interface ObtainedToken {
  clientPin: ClientPin;
  token: Uint8Array;
  via: 'uv' | 'pin';
}

/** Whether the key can give a token for `bits` by built-in UV now (§6.5.5.7.3 steps 4–5). */
export function canUseBuiltInUv(info: Ctap2Info, bits: number): boolean {
  const o = info.options;
  // uvToken is the CTAP 2.1-PRE name of the same sub-command.
  if (o.uv !== true || (o.pinUvAuthToken !== true && o.uvToken !== true)) return false;
  if ((bits & PERMISSION.be) !== 0 && o.uvBioEnroll !== true) return false;
  if ((bits & PERMISSION.acfg) !== 0 && o.uvAcfg !== true) return false;
  return true;
}

function statusOf(e: unknown): number | undefined {
  return e instanceof TokenrigError && e.code === ErrorCode.DEVICE && typeof e.wireCode === 'number' ? e.wireCode : undefined;
}

/**
 * A pinUvAuthToken for `permissions`: built-in UV first (when set up and allowed for those
 * permissions), then the PIN. Throws BAD_INPUT when the PIN is needed and not given, UNSUPPORTED
 * when the key has neither, and the key's own error otherwise (a timeout, a cancel).
 */
export async function obtainPinUvAuthToken(ctap2: Ctap2, info: Ctap2Info, req: TokenRequest): Promise<ObtainedToken> {
  const bits = permissionBits(req.permissions);
  const clientPin = await ClientPin.forAuthenticator(ctap2, req.randomBytes === undefined ? {} : { randomBytes: req.randomBytes });
  let uvFailure = '';
  if (req.builtInUv !== false && canUseBuiltInUv(info, bits)) {
    const attempts = Math.max(1, info.preferredPlatformUvAttempts ?? 1);
    for (let left = attempts - 1; left >= 0; left--) {
      try {
        return { clientPin, token: await clientPin.getPinUvAuthTokenUsingUvWithPermissions(bits, req.rpId, req.call), via: 'uv' };
      } catch (e) {
        const status = statusOf(e);
        if (status === CTAP2_STATUS.CTAP2_ERR_UV_INVALID && left > 0) {
          req.onUvFailed?.('UV_INVALID', left);
          continue;
        }
        if (status !== CTAP2_STATUS.CTAP2_ERR_UV_INVALID && status !== CTAP2_STATUS.CTAP2_ERR_UV_BLOCKED) throw e;
        req.onUvFailed?.(status === CTAP2_STATUS.CTAP2_ERR_UV_BLOCKED ? 'UV_BLOCKED' : 'UV_INVALID', 0);
        uvFailure = status === CTAP2_STATUS.CTAP2_ERR_UV_BLOCKED ? 'built-in user verification is blocked' : 'built-in user verification failed';
        break;
      }
    }
  }
  if (info.options.clientPin !== true) {
    throw new TokenrigError(ErrorCode.UNSUPPORTED, uvFailure !== '' ? `${uvFailure} and the key has no PIN to fall back to` : 'user verification needs a PIN or an enrolled fingerprint, and the key has neither (tokenrig fido pin set)');
  }
  if (req.pin === undefined) throw badInput(`${uvFailure !== '' ? `${uvFailure}: ` : ''}give the key's PIN (--pin)`);
  const token =
    info.options.pinUvAuthToken === true
      ? await clientPin.getPinUvAuthTokenUsingPinWithPermissions(req.pin, bits, req.rpId)
      : await clientPin.getPinToken(req.pin);
  return { clientPin, token, via: 'pin' };
}
