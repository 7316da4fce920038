/**
 * A FIDO authenticator's identity: what getInfo, the attestation certificate and the USB
 * descriptors say about it. Plain data with a sensible default.
 */
export interface FidoProfile {
  /** 16-byte AAGUID as 32 hex digits. */
  aaguid: string;
  vendorId: number;
  productId: number;
  manufacturer: string;
  product: string;
  /** 'batch': a per-device ES256 batch certificate (x5c); 'self': sign with the credential key. */
  attestation: 'batch' | 'self';
  /** Firmware version reported by CTAPHID INIT and getInfo. */
  firmwareVersion: readonly [number, number, number];
}

export const DEFAULT_FIDO_PROFILE: Readonly<FidoProfile> = Object.freeze({
  aaguid: '746f6b656e7269672d73696d2d666964', // "tokenrig-sim-fid"
  vendorId: 0x1209, // pid.codes open-source vendor id
  productId: 0x7172,
  manufacturer: 'tokenrig',
  product: 'tokenrig FIDO2 simulator',
  attestation: 'batch',
  firmwareVersion: [1, 0, 0] as const,
});

/** The profile with `overrides` applied and checked; RangeError names the bad field. */
export function fidoProfile(overrides: Partial<FidoProfile> = {}): FidoProfile {
  const p = { ...DEFAULT_FIDO_PROFILE, ...overrides };
  if (!/^[0-9a-f]{32}$/i.test(p.aaguid)) throw new RangeError('aaguid must be 32 hex digits');
  for (const k of ['vendorId', 'productId'] as const) if (!Number.isInteger(p[k]) || p[k] < 0 || p[k] > 0xffff) throw new RangeError(`${k} must be 0..0xffff`);
  if (p.attestation !== 'batch' && p.attestation !== 'self') throw new RangeError("attestation must be 'batch' or 'self'");
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
  overrides: Partial<FidoProfile> = {},
): FidoProfile {
  if (!device.interfaces.some((i) => i.kind === 'fido')) throw new RangeError(`device profile ${device.name} has no FIDO interface`);
  const { vendorId, productId, manufacturer, product } = device.usb;
  return fidoProfile({ vendorId, productId, manufacturer, product, ...overrides });
}
