/**
 * A FIDO authenticator's identity and personality, as the firmware uses it: the profile data
 * of devices/fido-profile.ts with overrides applied, checked, and checked against what this
 * firmware implements (every algorithm and extension the profile names must have a module).
 */
import { DEFAULT_FIDO_PROFILE, FIDO_PROFILES, type FidoLimits, type FidoProfile, validateFidoProfile } from '../../devices/fido-profile.js';
import { CTAP2_CMD } from '../../src/protocol/ctap-status.js';
import type { OptionId } from '../../src/protocol/ctap2-parameters.js';
import { ALGORITHMS, type CredentialAlgorithm } from './algorithms/index.js';
import { CTAP2_COMMANDS } from './commands/index.js';
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

/** Whether `p` has every required member of a profile, so it replaces the base rather than amending it. */
function isWholeProfile(p: FidoProfileOverrides): p is FidoProfile {
  const required = ['aaguid', 'vendorId', 'productId', 'manufacturer', 'product', 'attestation', 'firmwareVersion', 'versions', 'extensions', 'algorithms', 'options', 'pinUvAuthProtocols', 'quirks'] as const;
  return required.every((k) => p[k] !== undefined) && p.limits?.maxMsgSize !== undefined && p.limits.maxDiscoverableCredentials !== undefined;
}

/** Options that only mean something when a command family is in the dispatch table (commands/index.ts). */
const OPTION_COMMAND: Partial<Record<OptionId, number>> = {
  credMgmt: CTAP2_CMD.CREDENTIAL_MANAGEMENT,
  credentialMgmtPreview: CTAP2_CMD.CREDENTIAL_MANAGEMENT,
  bioEnroll: CTAP2_CMD.BIO_ENROLLMENT,
  userVerificationMgmtPreview: CTAP2_CMD.BIO_ENROLLMENT,
  largeBlobs: CTAP2_CMD.LARGE_BLOBS,
  authnrCfg: CTAP2_CMD.CONFIG,
  setMinPINLength: CTAP2_CMD.CONFIG,
  alwaysUv: CTAP2_CMD.CONFIG,
  ep: CTAP2_CMD.CONFIG,
};

/**
 * A built-in personality by name (FIDO_PROFILES), narrowed to what this firmware implements:
 * algorithms and extensions without a registered module, and options whose command family is
 * not in the dispatch table, are left out, so getInfo never claims what the key cannot do and
 * a personality lights up further as modules land. Undefined for an unknown name.
 *
 * @example
 * ```ts
 * const authenticator = await FidoAuthenticator.create(env, fidoPersonality('yubikey-5'));
 * ```
 */
export function fidoPersonality(name: string, implemented: Implemented = BUILT_IN): FidoProfile | undefined {
  const p = Object.hasOwn(FIDO_PROFILES, name) ? FIDO_PROFILES[name] : undefined;
  if (p === undefined) return undefined;
  const commands = new Set(CTAP2_COMMANDS.map((c) => c.code));
  const options = Object.fromEntries(Object.entries(p.options).filter(([id]) => {
    const command = OPTION_COMMAND[id as OptionId];
    return command === undefined || commands.has(command);
  })) as FidoProfile['options'];
  const narrowed: FidoProfile = {
    ...p,
    algorithms: p.algorithms.filter((alg) => implemented.algorithms.has(alg)),
    extensions: p.extensions.filter((id) => implemented.extensions.has(id)),
    options,
  };
  if (options.ep === undefined) delete narrowed.enterpriseAttestation;
  return fidoProfile({}, narrowed, implemented);
}

/**
 * `base` (the default profile unless given) with `overrides` applied and checked: TypeError or
 * RangeError names the bad member, or the algorithm or extension this firmware lacks. A whole
 * profile given as `overrides` (a personality from `fidoPersonality`) is taken as it is.
 *
 * @example
 * ```ts
 * const p = fidoProfile({ attestation: 'self', limits: { maxCredentialCountInList: 8 } });
 * ```
 */
export function fidoProfile(overrides: FidoProfileOverrides = {}, base: Readonly<FidoProfile> = DEFAULT_FIDO_PROFILE, implemented: Implemented = BUILT_IN): FidoProfile {
  // A whole profile (a personality) stands on its own: nothing of the base leaks into it.
  const whole = isWholeProfile(overrides);
  const from = whole ? {} : base;
  const p = validateFidoProfile({ ...from, ...overrides, limits: { ...(whole ? {} : base.limits), ...overrides.limits } });
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
