/**
 * A FIDO authenticator's identity and personality, as the firmware uses it: the profile data
 * of devices/fido-profile.ts with overrides applied, checked, and checked against what this
 * firmware implements (every algorithm and extension the profile names must have a module).
 */
import { DEFAULT_FIDO_PROFILE, type FidoLimits, type FidoProfile, validateFidoProfile } from '../../devices/fido-profile.js';
import { ALGORITHMS, type CredentialAlgorithm } from './algorithms/index.js';
import { EXTENSIONS, type Extension } from './extensions/index.js';

export { DEFAULT_FIDO_PROFILE, FIDO_PROFILES, FIDO_QUIRKS, type FidoLimits, type FidoProfile, type FidoQuirk } from '../../devices/fido-profile.js';

/** Overrides of a profile: any member, and any limit on its own. */
export type FidoProfileOverrides = Partial<Omit<FidoProfile, 'limits'>> & { limits?: Partial<FidoLimits> };

/** The algorithm and extension modules a firmware build has. */
export interface Implemented {
  algorithms: ReadonlyMap<number, CredentialAlgorithm>;
  extensions: ReadonlyMap<string, Extension>;
}

/** The built-in registries (algorithms/index.ts, extensions/index.ts). */
export const BUILT_IN: Implemented = { algorithms: ALGORITHMS, extensions: EXTENSIONS };

/**
 * `base` (the default profile unless given) with `overrides` applied and checked: TypeError or
 * RangeError names the bad member, or the algorithm or extension this firmware lacks.
 *
 * @example
 * ```ts
 * const p = fidoProfile({ attestation: 'self', limits: { maxCredentialCountInList: 8 } });
 * ```
 */
export function fidoProfile(overrides: FidoProfileOverrides = {}, base: Readonly<FidoProfile> = DEFAULT_FIDO_PROFILE, implemented: Implemented = BUILT_IN): FidoProfile {
  const p = validateFidoProfile({ ...base, ...overrides, limits: { ...base.limits, ...overrides.limits } });
  const { algorithms, extensions } = implemented;
  for (const alg of p.algorithms) if (!algorithms.has(alg)) throw new RangeError(`FIDO profile: algorithm ${alg} is not implemented (implemented: ${[...algorithms.keys()].join(', ')})`);
  for (const id of p.extensions) if (!extensions.has(id)) throw new RangeError(`FIDO profile: extension ${JSON.stringify(id)} is not implemented (implemented: ${[...extensions.keys()].join(', ') || 'none'})`);
  return p;
}

/**
 * The FIDO side of a composite device profile from devices/ (e.g. `composite-key`): its USB
 * identity, with the default AAGUID unless given. RangeError when the profile has no FIDO
 * interface.
 *
 * @example
 * ```ts
 * const authenticator = await FidoAuthenticator.create(env, fidoProfileFromDevice(deviceProfile('composite-key')));
 * ```
 */
export function fidoProfileFromDevice(
  device: { name: string; usb: { vendorId: number; productId: number; manufacturer: string; product: string }; interfaces: readonly { kind: string }[] },
  overrides: FidoProfileOverrides = {},
): FidoProfile {
  if (!device.interfaces.some((i) => i.kind === 'fido')) throw new RangeError(`device profile ${device.name} has no FIDO interface`);
  const { vendorId, productId, manufacturer, product } = device.usb;
  return fidoProfile({ vendorId, productId, manufacturer, product, ...overrides });
}
