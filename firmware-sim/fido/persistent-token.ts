/**
 * The persistentPinUvAuthToken of CTAP 2.2 (§6.5.2.1, the `pcmr` permission): a second token,
 * issued by getPinUvAuthTokenUsingPinWithPermissions when pcmr is asked for alone, that reads
 * credential management (metadata, RPs, credentials) and nothing else. It outlives power cycles
 * (it is stored in `fido.ppuat`, made on first issue), has no lifetime and no RP, and only a PIN
 * change or authenticatorReset ends it — so a platform that cached it can list a key's
 * credentials again without asking for the PIN, as YubiKey 5.8's PPUAT allows.
 */
import type { PinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import type { FidoDevice } from './device.js';

/** The persistent token's bytes, made (and stored) on first use. */
export function persistentPinUvAuthToken(device: FidoDevice): Uint8Array {
  const stored = device.store.readPersistentToken();
  if (stored !== undefined) return stored;
  const token = device.env.random.bytes(32);
  device.store.writePersistentToken(token);
  return token;
}

/** resetPersistentPinUvAuthToken (changePIN, authenticatorReset): every copy a platform kept stops working. */
export function resetPersistentPinUvAuthToken(device: FidoDevice): void {
  device.store.removePersistentToken();
}

/** verify(persistentPinUvAuthToken, message, pinUvAuthParam); false when none was ever issued. */
export function verifiesWithPersistentToken(device: FidoDevice, protocol: PinUvAuthProtocol, message: Uint8Array, pinUvAuthParam: Uint8Array): boolean {
  const token = device.store.readPersistentToken();
  return token !== undefined && protocol.verify(token, message, pinUvAuthParam);
}
