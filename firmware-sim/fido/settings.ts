/**
 * The live values of what authenticatorConfig changes (CTAP 2.1 §6.11) on top of the
 * profile's factory settings: alwaysUv, enterprise attestation, the minimum PIN length and the
 * RP IDs that may read it, forcePINChange. Each is persisted in `fido.config` (state.ts) and
 * applies only when the profile has the matching option: a key without `alwaysUv` never
 * requires UV for it, whatever the state says.
 */
import type { FidoDevice } from './device.js';
import { S, fail } from './errors.js';

/** alwaysUv (§6.11.2, §6.1.2 step 6, §6.2.2 step 5): every operation needs user verification. */
export function alwaysUv(device: FidoDevice): boolean {
  const factory = device.profile.options.alwaysUv;
  return factory !== undefined && (device.store.readSettings().alwaysUv ?? factory);
}

/** The `ep` option's live value: enterprise attestation enabled (§6.11.1; false again after authenticatorReset). */
export function enterpriseAttestationEnabled(device: FidoDevice): boolean {
  const factory = device.profile.options.ep;
  return factory !== undefined && (device.store.readSettings().ep ?? factory);
}

/** forcePINChange (§6.4 0x0C): the PIN must be changed before it is used again. */
export function forcePinChange(device: FidoDevice): boolean {
  return device.store.readSettings().forcePINChange === true;
}

/** The RP IDs allowed to read the minimum PIN length (§12.4): the profile's, then those setMinPINLength gave. */
export function minPinLengthRpIds(device: FidoDevice): readonly string[] {
  const configured = device.store.readSettings().minPinLengthRPIDs ?? [];
  return [...(device.profile.minPinLengthRPIDs ?? []), ...configured];
}

/** makeCredUvNotRqd's live value: alwaysUv overrides it (§6.4 "makeCredUvNotRqd"). */
export function makeCredUvNotRequired(device: FidoDevice): boolean {
  return device.profile.options.makeCredUvNotRqd === true && !alwaysUv(device);
}

/**
 * alwaysUv in makeCredential (§6.1.2 step 6) and getAssertion (§6.2.2 step 5), for a request
 * with neither a pinUvAuthParam nor uv=true: with built-in UV set up the request is served with
 * it (returns true: "treat uv as true"); otherwise it is refused — CTAP2_ERR_PIN_NOT_SET on a
 * key with a PIN feature but no PIN, CTAP2_ERR_PUAT_REQUIRED when a PIN could authorize it,
 * CTAP2_ERR_OPERATION_DENIED when nothing can.
 */
export function uvForAlwaysUv(device: FidoDevice): true {
  if (device.userVerifier?.configured() === true) return true;
  const options = device.profile.options;
  const pinFeature = options.clientPin !== undefined;
  if (!device.protectedByUv) throw fail(pinFeature ? S.CTAP2_ERR_PIN_NOT_SET : S.CTAP2_ERR_OPERATION_DENIED, 'alwaysUv');
  throw fail(pinFeature && options.noMcGaPermissionsWithClientPin !== true ? S.CTAP2_ERR_PUAT_REQUIRED : S.CTAP2_ERR_OPERATION_DENIED, 'alwaysUv');
}
