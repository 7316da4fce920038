/**
 * authenticatorGetInfo (CTAP 2.1 §6.4), built from the profile: the members it states, then
 * what each command family and extension adds from its live state (`info` hooks), so a new
 * family or extension reports itself without touching this file.
 */
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { GET_INFO } from '../../../src/protocol/ctap2-parameters.js';
import { type FidoDevice, volatileSlot } from '../device.js';
import { InfoDraft } from '../info-draft.js';
import { type Ctap2Response, defineCommand, speaksCtap2 } from './command.js';

/**
/**
 * getInfo firmwareVersion (0x0E) of [major, minor, patch]: one integer, a byte each, as
 * YubiKeys report it (5.4.3 → 0x050403, which libfido2 prints as "fwversion: 0x50403"; a
 * YubiKey Bio on 5.5.6 reports 328966 = 0x050506: test/vectors/yubikey-bio-getinfo.json).
 */
export function firmwareVersionNumber([major, minor, patch]: readonly [number, number, number]): number {
  return (major << 16) | (minor << 8) | patch;
}

/** The members the profile states (a power-up computes them again; they do not change meanwhile). */
const STATED = volatileSlot('getInfo', (device): ReadonlyMap<number, unknown> => {
  const p = device.profile;
  const m = new Map<number, unknown>();
  m.set(GET_INFO.versions, [...p.versions]);
  if (p.extensions.length > 0) m.set(GET_INFO.extensions, [...p.extensions]);
  m.set(GET_INFO.aaguid, device.aaguid);
  m.set(GET_INFO.maxMsgSize, p.limits.maxMsgSize);
  if (p.pinUvAuthProtocols.length > 0) m.set(GET_INFO.pinUvAuthProtocols, [...p.pinUvAuthProtocols]);
  if (p.limits.maxCredentialCountInList !== undefined) m.set(GET_INFO.maxCredentialCountInList, p.limits.maxCredentialCountInList);
  if (p.limits.maxCredentialIdLength !== undefined) m.set(GET_INFO.maxCredentialIdLength, p.limits.maxCredentialIdLength);
  if (p.transports !== undefined) m.set(GET_INFO.transports, [...p.transports]);
  const omitted = new Set(p.omittedInfo);
  if (!omitted.has('algorithms')) m.set(GET_INFO.algorithms, p.algorithms.map((alg) => new Map<string, unknown>([['alg', alg], ['type', 'public-key']])));
  // §6.4 states these two only for keys with large blobs / credBlob (a personality built on
  // the default profile inherits its limits, not its features).
  if (p.limits.maxSerializedLargeBlobArray !== undefined && p.options.largeBlobs !== undefined) m.set(GET_INFO.maxSerializedLargeBlobArray, p.limits.maxSerializedLargeBlobArray);
  if (p.limits.minPINLength !== undefined) m.set(GET_INFO.minPINLength, p.limits.minPINLength);
  if (!omitted.has('firmwareVersion')) m.set(GET_INFO.firmwareVersion, firmwareVersionNumber(p.firmwareVersion));
  if (p.limits.maxCredBlobLength !== undefined && p.extensions.includes('credBlob')) m.set(GET_INFO.maxCredBlobLength, p.limits.maxCredBlobLength);
  if (p.limits.maxRPIDsForSetMinPINLength !== undefined) m.set(GET_INFO.maxRPIDsForSetMinPINLength, p.limits.maxRPIDsForSetMinPINLength);
  if (p.limits.preferredPlatformUvAttempts !== undefined) m.set(GET_INFO.preferredPlatformUvAttempts, p.limits.preferredPlatformUvAttempts);
  if (p.uvModality !== undefined) m.set(GET_INFO.uvModality, p.uvModality);
  if (p.certifications !== undefined) m.set(GET_INFO.certifications, new Map(Object.entries(p.certifications)));
  if (p.limits.maxPINLength !== undefined) m.set(GET_INFO.maxPINLength, p.limits.maxPINLength);
  return m;
});

/** The getInfo response map of `device` now: what the profile states, then the live members. */
export function buildInfo(device: FidoDevice): Map<number, unknown> {
  const p = device.profile;
  const info = new InfoDraft(p.options, device.volatile(STATED));
  const m = info.members;
  if (p.limits.reportsRemainingDiscoverableCredentials === true) {
    m.set(GET_INFO.remainingDiscoverableCredentials, Math.max(0, p.limits.maxDiscoverableCredentials - device.store.residentCredentials().length));
  }
  for (const command of device.commands) command.info?.(device, info);
  for (const extension of device.extensions) extension.info?.(device, info);
  if (info.options.size > 0) m.set(GET_INFO.options, info.options);
  return m;
}

export const authenticatorGetInfo = defineCommand<undefined>({
  code: CTAP2_CMD.GET_INFO,
  name: 'authenticatorGetInfo',
  available: speaksCtap2,
  handle: (device): Ctap2Response => buildInfo(device),
});
