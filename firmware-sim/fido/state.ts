/**
 * The authenticator's persistent state. The storage schema lives here and only here; each
 * key is written atomically by the environment's storage, and a retired key is never reused.
 *
 * Keys:
 * - `fido.identity`  master key (wraps credential private keys), attestation key and certificate
 * - `fido.pin`       PIN hash (LEFT(SHA-256(pin), 16)) and the retries counter
 * - `fido.rk`        resident credentials (metadata only; the private key is in the id)
 * - `fido.counters`  signature counters by credential (a counter never goes backwards)
 */
import { type DeviceStorage, readJson, writeJson } from '../env/index.js';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

export interface Identity {
  masterKey: Uint8Array;
  attestationKey: Uint8Array;
  attestationCert: Uint8Array;
}

export interface ResidentCredential {
  id: Uint8Array;
  rpIdHash: Uint8Array;
  rpId: string;
  userId: Uint8Array;
  userName?: string;
  displayName?: string;
  createdMs: number;
}

export interface PinState {
  hash: Uint8Array | undefined;
  retries: number;
}

export const MAX_PIN_RETRIES = 8;

export class FidoStateStore {
  readonly #storage: DeviceStorage;
  #counters: Record<string, number> | undefined;
  #rk: ResidentCredential[] | undefined;

  constructor(storage: DeviceStorage) {
    this.#storage = storage;
  }

  readIdentity(): Identity | undefined {
    const j = readJson<{ masterKey: string; attestationKey: string; attestationCert: string }>(this.#storage, 'fido.identity');
    return j === undefined ? undefined : { masterKey: unb64(j.masterKey), attestationKey: unb64(j.attestationKey), attestationCert: unb64(j.attestationCert) };
  }

  writeIdentity(id: Identity): void {
    writeJson(this.#storage, 'fido.identity', { masterKey: b64(id.masterKey), attestationKey: b64(id.attestationKey), attestationCert: b64(id.attestationCert) });
  }

  readPin(): PinState {
    const j = readJson<{ hash: string | null; retries: number }>(this.#storage, 'fido.pin');
    return j === undefined ? { hash: undefined, retries: MAX_PIN_RETRIES } : { hash: j.hash === null ? undefined : unb64(j.hash), retries: j.retries };
  }

  writePin(pin: PinState): void {
    writeJson(this.#storage, 'fido.pin', { hash: pin.hash === undefined ? null : b64(pin.hash), retries: pin.retries });
  }

  residentCredentials(): readonly ResidentCredential[] {
    if (this.#rk === undefined) {
      const j = readJson<{ id: string; rpIdHash: string; rpId: string; userId: string; userName?: string; displayName?: string; createdMs: number }[]>(this.#storage, 'fido.rk') ?? [];
      this.#rk = j.map((c) => ({ ...c, id: unb64(c.id), rpIdHash: unb64(c.rpIdHash), userId: unb64(c.userId) }));
    }
    return this.#rk;
  }

  /** Store a resident credential, replacing one of the same RP and user (CTAP 2.1 §6.1.2 step 17). */
  putResident(cred: ResidentCredential, maxCount: number): boolean {
    const same = (c: ResidentCredential): boolean => c.rpId === cred.rpId && Buffer.from(c.userId).equals(Buffer.from(cred.userId));
    const list = this.residentCredentials().filter((c) => !same(c));
    if (list.length >= maxCount) return false;
    list.push(cred);
    writeJson(
      this.#storage,
      'fido.rk',
      list.map((c) => ({ ...c, id: b64(c.id), rpIdHash: b64(c.rpIdHash), userId: b64(c.userId) })),
    );
    this.#rk = list;
    return true;
  }

  /** Increment and persist the counter of a credential; returns the new value. */
  nextCounter(credentialId: Uint8Array): number {
    const counters = (this.#counters ??= readJson<Record<string, number>>(this.#storage, 'fido.counters') ?? {});
    const key = b64(credentialId.subarray(0, 24));
    const value = (counters[key] ?? 0) + 1;
    counters[key] = value;
    writeJson(this.#storage, 'fido.counters', counters);
    return value;
  }

  /** Forget credentials, counters and PIN (authenticatorReset); the identity is rewritten by the caller. */
  wipe(): void {
    this.#storage.remove('fido.rk');
    this.#storage.remove('fido.counters');
    this.#storage.remove('fido.pin');
    this.#rk = [];
    this.#counters = {};
  }
}
