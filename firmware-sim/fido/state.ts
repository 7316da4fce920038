/**
 * The authenticator's persistent state. The storage schema lives here and only here; each
 * key is written atomically by the environment's storage, and a retired key is never reused.
 *
 * Keys:
 * - `fido.identity`  master key (wraps credential private keys), attestation key and certificate
 * - `fido.pin`       PIN hash (LEFT(SHA-256(pin), 16)), the retries counter and the PIN's
 *                    length in code points (setMinPINLength compares it with the new minimum)
 * - `fido.config`    what authenticatorConfig set (alwaysUv, enterprise attestation enabled,
 *                    the minimum PIN length and its RP IDs) and forcePINChange; authenticatorReset
 *                    removes it (factory settings)
 * - `fido.enterprise` the enterprise attestation key and its certificate (made on first use;
 *                    it names this one device, so it outlives authenticatorReset like the identity)
 * - `fido.ppuat`     the CTAP 2.2 persistentPinUvAuthToken (pcmr), made on first issue; a PIN
 *                    change or authenticatorReset removes it
 * - `fido.resident.<h>`  one resident credential (metadata only; the private key is in the id)
 * - `fido.counter.<h>`   the signature counter of one credential
 *
 * h is the hex of the first 16 bytes of SHA-256(credential ID). One small key per credential,
 * so a makeCredential or an assertion writes a few hundred bytes however many credentials
 * the device holds (one document for all of them made every write O(n)).
 *
 * Retired keys, still read so nothing is lost on upgrade:
 * - `fido.rk`        all resident credentials in one document; moved to `fido.resident.<h>`
 *                    keys (written first, then the document removed) on first load
 * - `fido.counters`  all counters in one document; a counter kept there never goes backwards
 */
import { sha256 } from '@noble/hashes/sha2.js';
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

/** A resident credential as stored: the byte fields in base64. */
interface StoredResident {
  id: string;
  rpIdHash: string;
  rpId: string;
  userId: string;
  userName?: string;
  displayName?: string;
  createdMs: number;
}

export interface PinState {
  hash: Uint8Array | undefined;
  retries: number;
  /** The PIN's length in code points (absent in state written before it was kept). */
  codePoints?: number;
}

/** What authenticatorConfig (CTAP 2.1 §6.11) and setMinPINLength changed from the factory settings. */
export interface AuthenticatorSettings {
  /** toggleAlwaysUv (§6.11.2). */
  alwaysUv?: boolean;
  /** enableEnterpriseAttestation (§6.11.1). */
  ep?: boolean;
  /** setMinPINLength newMinPINLength (§6.11.4). */
  minPINLength?: number;
  /** setMinPINLength minPinLengthRPIDs: RP IDs that may read the minimum PIN length. */
  minPinLengthRPIDs?: string[];
  /** The PIN must be changed before it is used again (§6.11.4 forceChangePin, §6.5.5.6). */
  forcePINChange?: boolean;
}

/** The enterprise attestation key (an ES256 private scalar) and its DER certificate. */
export interface EnterpriseAttestationIdentity {
  key: Uint8Array;
  cert: Uint8Array;
}

export const MAX_PIN_RETRIES = 8;

const COUNTER_PREFIX = 'fido.counter.';
const RESIDENT_PREFIX = 'fido.resident.';

/** The storage key of one credential's record under `prefix`. */
function credentialKey(prefix: string, credentialId: Uint8Array): string {
  return prefix + Buffer.from(sha256(credentialId).subarray(0, 16)).toString('hex');
}

const residentKey = (credentialId: Uint8Array): string => credentialKey(RESIDENT_PREFIX, credentialId);

/** One account: an RP ID and a user handle (CTAP 2.1 §6.1.2 step 17 replaces per account). */
const accountOf = (c: { rpId: string; userId: Uint8Array }): string => `${c.rpId}\u0000${Buffer.from(c.userId).toString('hex')}`;

export class FidoStateStore {
  readonly #storage: DeviceStorage;
  /** Counters read or written so far, by storage key. */
  readonly #counters = new Map<string, number>();
  #legacyCounters: Record<string, number> | undefined;
  #rk: Map<string, ResidentCredential> | undefined;
  #settings: AuthenticatorSettings | undefined;
  /** Storage key of the resident credential of each account (RP ID and user handle). */
  readonly #byAccount = new Map<string, string>();

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
    const j = readJson<{ hash: string | null; retries: number; codePoints?: number }>(this.#storage, 'fido.pin');
    if (j === undefined) return { hash: undefined, retries: MAX_PIN_RETRIES };
    const pin: PinState = { hash: j.hash === null ? undefined : unb64(j.hash), retries: j.retries };
    if (j.codePoints !== undefined) pin.codePoints = j.codePoints;
    return pin;
  }

  writePin(pin: PinState): void {
    writeJson(this.#storage, 'fido.pin', { hash: pin.hash === undefined ? null : b64(pin.hash), retries: pin.retries, ...(pin.codePoints === undefined ? {} : { codePoints: pin.codePoints }) });
  }

  /** The settings authenticatorConfig changed (empty: factory settings), read once. */
  readSettings(): Readonly<AuthenticatorSettings> {
    this.#settings ??= readJson<AuthenticatorSettings>(this.#storage, 'fido.config') ?? {};
    return this.#settings;
  }

  /** Change some settings (written before they take effect). */
  updateSettings(change: Partial<AuthenticatorSettings>): void {
    const next = { ...this.readSettings(), ...change };
    writeJson(this.#storage, 'fido.config', next);
    this.#settings = next;
  }

  readPersistentToken(): Uint8Array | undefined {
    return this.#storage.read('fido.ppuat');
  }

  writePersistentToken(token: Uint8Array): void {
    this.#storage.write('fido.ppuat', token);
  }

  removePersistentToken(): void {
    this.#storage.remove('fido.ppuat');
  }

  readEnterpriseAttestation(): EnterpriseAttestationIdentity | undefined {
    const j = readJson<{ key: string; cert: string }>(this.#storage, 'fido.enterprise');
    return j === undefined ? undefined : { key: unb64(j.key), cert: unb64(j.cert) };
  }

  writeEnterpriseAttestation(ea: EnterpriseAttestationIdentity): void {
    writeJson(this.#storage, 'fido.enterprise', { key: b64(ea.key), cert: b64(ea.cert) });
  }

  /** Resident credentials, oldest first. */
  residentCredentials(): readonly ResidentCredential[] {
    return [...this.#loadResident().values()];
  }

  /** By storage key, loaded once (moving a retired `fido.rk` document to one key each). */
  #loadResident(): Map<string, ResidentCredential> {
    if (this.#rk !== undefined) return this.#rk;
    const fromStored = (c: StoredResident): ResidentCredential => ({ ...c, id: unb64(c.id), rpIdHash: unb64(c.rpIdHash), userId: unb64(c.userId) });
    const legacy = readJson<StoredResident[]>(this.#storage, 'fido.rk');
    if (legacy !== undefined) {
      for (const c of legacy) writeJson(this.#storage, residentKey(unb64(c.id)), c);
      this.#storage.remove('fido.rk');
    }
    const all = this.#storage
      .keys(RESIDENT_PREFIX)
      .flatMap((key) => {
        const c = readJson<StoredResident>(this.#storage, key);
        return c === undefined ? [] : [{ key, cred: fromStored(c) }];
      })
      .sort((a, b) => a.cred.createdMs - b.cred.createdMs);
    this.#rk = new Map();
    for (const { key, cred } of all) {
      // A crash between writing a replacement and removing what it replaced leaves both:
      // the newer one stands (§6.1.2 step 17).
      const older = this.#sameAccount(cred);
      if (older !== undefined) {
        this.#storage.remove(older);
        this.#rk.delete(older);
      }
      this.#rk.set(key, cred);
      this.#byAccount.set(accountOf(cred), key);
    }
    return this.#rk;
  }

  #sameAccount(cred: ResidentCredential): string | undefined {
    return this.#byAccount.get(accountOf(cred));
  }

  /** The resident credential with this ID, if it is one. */
  findResident(credentialId: Uint8Array): ResidentCredential | undefined {
    return this.#loadResident().get(residentKey(credentialId));
  }

  /** Store a resident credential, replacing one of the same RP and user (CTAP 2.1 §6.1.2 step 17). */
  putResident(cred: ResidentCredential, maxCount: number): boolean {
    const rk = this.#loadResident();
    const replaced = this.#sameAccount(cred);
    if (replaced === undefined && rk.size >= maxCount) return false;
    const key = residentKey(cred.id);
    // The new one first: a crash in between leaves both, and loading keeps the newer.
    this.#writeResident(key, cred);
    if (replaced !== undefined) {
      this.#storage.remove(replaced);
      rk.delete(replaced);
    }
    rk.set(key, cred);
    this.#byAccount.set(accountOf(cred), key);
    return true;
  }

  /** Remove a resident credential (credentialManagement deleteCredential); false when it is not one. */
  removeResident(credentialId: Uint8Array): boolean {
    const rk = this.#loadResident();
    const key = residentKey(credentialId);
    const cred = rk.get(key);
    if (cred === undefined) return false;
    this.#storage.remove(key);
    this.#storage.remove(credentialKey(COUNTER_PREFIX, credentialId));
    rk.delete(key);
    this.#byAccount.delete(accountOf(cred));
    this.#counters.delete(credentialKey(COUNTER_PREFIX, credentialId));
    return true;
  }

  /** Replace the user name and displayName of a resident credential (updateUserInformation); absent ones are removed. */
  updateResidentUser(credentialId: Uint8Array, user: { name?: string; displayName?: string }): void {
    const rk = this.#loadResident();
    const key = residentKey(credentialId);
    const cred = rk.get(key);
    if (cred === undefined) throw new RangeError('not a resident credential');
    const next: ResidentCredential = { id: cred.id, rpIdHash: cred.rpIdHash, rpId: cred.rpId, userId: cred.userId, createdMs: cred.createdMs };
    if (user.name !== undefined) next.userName = user.name;
    if (user.displayName !== undefined) next.displayName = user.displayName;
    this.#writeResident(key, next);
    rk.set(key, next);
  }

  #writeResident(key: string, cred: ResidentCredential): void {
    writeJson(this.#storage, key, { ...cred, id: b64(cred.id), rpIdHash: b64(cred.rpIdHash), userId: b64(cred.userId) } satisfies StoredResident);
  }

  /** Increment and persist the counter of a credential; returns the new value. */
  nextCounter(credentialId: Uint8Array): number {
    const key = credentialKey(COUNTER_PREFIX, credentialId);
    let value = this.#counters.get(key);
    if (value === undefined) {
      this.#legacyCounters ??= readJson<Record<string, number>>(this.#storage, 'fido.counters') ?? {};
      value = Math.max(readJson<number>(this.#storage, key) ?? 0, this.#legacyCounters[b64(credentialId.subarray(0, 24))] ?? 0);
    }
    value++;
    writeJson(this.#storage, key, value);
    this.#counters.set(key, value);
    return value;
  }

  /** Forget credentials, counters and PIN (authenticatorReset); the identity is rewritten by the caller. */
  wipe(): void {
    this.#storage.remove('fido.rk');
    for (const key of this.#storage.keys(RESIDENT_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.counters');
    for (const key of this.#storage.keys(COUNTER_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.pin');
    this.#storage.remove('fido.config');
    this.#storage.remove('fido.ppuat');
    this.#settings = {};
    this.#rk = new Map();
    this.#byAccount.clear();
    this.#counters.clear();
    this.#legacyCounters = {};
  }
}
