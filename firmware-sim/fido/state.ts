/**
 * The authenticator's persistent state. The storage schema lives here and only here; each
 * key is written atomically by the environment's storage, and a retired key is never reused.
 *
 * Keys:
 * - `fido.identity`  master key (wraps credential private keys), attestation key and certificate
 * - `fido.pin`       PIN hash (LEFT(SHA-256(pin), 16)) and the retries counter
 * - `fido.resident.<h>`  one resident credential (metadata only; the private key is in the id)
 * - `fido.counter.<h>`   the signature counter of one credential
 * - `fido.bio`       the enrolled fingerprint templates (id, the simulated finger, friendly name)
 * - `fido.uv`        the uvRetries counter of built-in user verification
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
}

export const MAX_PIN_RETRIES = 8;

/** An enrolled fingerprint (CTAP 2.1 §6.7): the finger is the simulation's name for it. */
export interface BioTemplate {
  id: Uint8Array;
  finger: string;
  friendlyName?: string;
}

/** A template as stored: the id in base64. */
interface StoredTemplate {
  id: string;
  finger: string;
  friendlyName?: string;
}

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
  /** Storage key of the resident credential of each account (RP ID and user handle). */
  readonly #byAccount = new Map<string, string>();
  #templates: readonly BioTemplate[] | undefined;

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

  /** The enrolled fingerprints, in enrollment order (read once, then kept). */
  readTemplates(): readonly BioTemplate[] {
    this.#templates ??= (readJson<StoredTemplate[]>(this.#storage, 'fido.bio') ?? []).map((t) => ({ ...t, id: unb64(t.id) }));
    return this.#templates;
  }

  writeTemplates(templates: readonly BioTemplate[]): void {
    writeJson(this.#storage, 'fido.bio', templates.map((t) => ({ ...t, id: b64(t.id) }) satisfies StoredTemplate));
    this.#templates = templates;
  }

  /** uvRetries; `max` until the first failed match. */
  readUvRetries(max: number): number {
    return readJson<{ retries: number }>(this.#storage, 'fido.uv')?.retries ?? max;
  }

  writeUvRetries(retries: number): void {
    writeJson(this.#storage, 'fido.uv', { retries });
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
    writeJson(this.#storage, key, { ...cred, id: b64(cred.id), rpIdHash: b64(cred.rpIdHash), userId: b64(cred.userId) } satisfies StoredResident);
    if (replaced !== undefined) {
      this.#storage.remove(replaced);
      rk.delete(replaced);
    }
    rk.set(key, cred);
    this.#byAccount.set(accountOf(cred), key);
    return true;
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

  /** Forget credentials, counters, PIN and fingerprints (authenticatorReset); the identity is rewritten by the caller. */
  wipe(): void {
    this.#storage.remove('fido.rk');
    for (const key of this.#storage.keys(RESIDENT_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.counters');
    for (const key of this.#storage.keys(COUNTER_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.pin');
    this.#storage.remove('fido.bio');
    this.#storage.remove('fido.uv');
    this.#templates = [];
    this.#rk = new Map();
    this.#byAccount.clear();
    this.#counters.clear();
    this.#legacyCounters = {};
  }
}
