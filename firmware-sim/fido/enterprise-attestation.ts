/**
 * Enterprise attestation (CTAP 2.1 §7.1, makeCredential §6.1.2 step 9): once
 * authenticatorConfig enableEnterpriseAttestation turned it on, a makeCredential that asks for
 * it gets an attestation that identifies this one device — vendor-facilitated (1) for the RP
 * IDs the profile pre-configures, platform-managed (2) for any RP the platform vouches for
 * when the key offers that mode — and the response says so (epAtt). The key and its
 * certificate are made on first use and kept in `fido.enterprise` (state.ts); the certificate's
 * subject carries a serial number unique to the device, unlike the batch certificate.
 */
import { type Es256Key, generateEs256, importEs256 } from './algorithms/es256.js';
import { buildAttestationCertificate } from './attestation-cert.js';
import { type FidoDevice, volatileSlot } from './device.js';
import { S, fail } from './errors.js';
import { enterpriseAttestationEnabled } from './settings.js';

/** enterpriseAttestation values (§6.1.1). */
export const ENTERPRISE_ATTESTATION = { vendorFacilitated: 1, platformManaged: 2 } as const;

/**
 * §6.1.2 step 9: whether this makeCredential returns an enterprise attestation. Refuses the
 * parameter on a key that is not capable of it or has it disabled (9.1,
 * CTAP1_ERR_INVALID_PARAMETER) and a value that names no mode (9.2, CTAP2_ERR_INVALID_OPTION).
 */
export function enterpriseAttestationFor(device: FidoDevice, requested: number | undefined, rpId: string): boolean {
  if (requested === undefined) return false;
  const ea = device.profile.enterpriseAttestation;
  if (ea === undefined || !enterpriseAttestationEnabled(device)) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'enterpriseAttestation: not enabled');
  if (requested !== ENTERPRISE_ATTESTATION.vendorFacilitated && requested !== ENTERPRISE_ATTESTATION.platformManaged) {
    throw fail(S.CTAP2_ERR_INVALID_OPTION, 'enterpriseAttestation must be 1 or 2');
  }
  // 9.3–9.4: platform-managed where the key offers it; otherwise only the pre-configured RPs.
  // Any other RP gets the regular attestation, without epAtt.
  if (requested === ENTERPRISE_ATTESTATION.platformManaged && ea.platformManaged) return true;
  return ea.rpIds.includes(rpId);
}

const KEY = volatileSlot('enterpriseAttestationKey', () => ({ loaded: undefined as Promise<{ key: Es256Key; cert: Uint8Array }> | undefined }));

/** The enterprise attestation key and certificate, made and stored on first use. */
export function enterpriseAttestationKey(device: FidoDevice): Promise<{ key: Es256Key; cert: Uint8Array }> {
  const slot = device.volatile(KEY);
  slot.loaded ??= load(device);
  return slot.loaded;
}

async function load(device: FidoDevice): Promise<{ key: Es256Key; cert: Uint8Array }> {
  const stored = device.store.readEnterpriseAttestation();
  if (stored !== undefined) return { key: await importEs256(stored.key), cert: stored.cert };
  const key = await generateEs256(device.env.random);
  const serial = device.env.random.bytes(16);
  const now = new Date(device.env.clock.now());
  const p = device.profile;
  const cert = await buildAttestationCertificate({
    key,
    // The serial number in the subject is what makes this attestation identify the device.
    subject: { country: 'US', organization: p.manufacturer, commonName: `${p.product.slice(0, 40)} EA ${Buffer.from(serial.subarray(0, 6)).toString('hex')}` },
    aaguid: device.aaguid,
    serial,
    notBefore: new Date(Date.UTC(now.getUTCFullYear() - 1, 0, 1)),
    notAfter: new Date(Date.UTC(now.getUTCFullYear() + 30, 0, 1)),
  });
  device.store.writeEnterpriseAttestation({ key: key.d, cert });
  return { key, cert };
}
