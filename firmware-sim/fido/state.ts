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
 * - `fido.bio`       the enrolled fingerprint templates (id, the simulated finger, friendly name)
 * - `fido.uv`        the uvRetries counter of built-in user verification
 * - `fido.largeblobs`    the serialized large-blob array (CTAP 2.1 §6.10), raw bytes; absent
 *                        means the initial empty array
 *
 * h is the hex of the first 16 bytes of SHA-256(credential ID). One small key per credential,
 * so a makeCredential or an assertion writes a few hundred bytes however many credentials
 * the device holds (one document for all of them made every write O(n)).
 *
 * Retired keys, still read so nothing is lost on upgrade:
 * - `fido.rk`        all resident credentials in one document; moved to `fido.resident.<h>`
 *                    keys (written first, then the document removed) on first load
 * - `fido.counters`  all counters in one document; a counter kept there never goes backwards
 *
 * Every key is checked against `FIDO_STATE_SCHEMA` when the store is made (the simulator
 * starts): a damaged file stops the start with one BAD_FILE line naming it, rather than
 * failing every request later or letting a counter restart below what relying parties saw.
 * docs/limits.md#damaged-state-files says how to recover.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { badFile } from '../../src/errors.js';
import { type DeviceStorage, describeKey, readJson, writeJson } from '../env/index.js';

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
const LARGE_BLOBS = 'fido.largeblobs';
const RESIDENT_PREFIX = 'fido.resident.';

/** The storage key of one credential's record under `prefix`. */
function credentialKey(prefix: string, credentialId: Uint8Array): string {
  return prefix + Buffer.from(sha256(credentialId).subarray(0, 16)).toString('hex');
}

const residentKey = (credentialId: Uint8Array): string => credentialKey(RESIDENT_PREFIX, credentialId);

/** One account: an RP ID and a user handle (CTAP 2.1 §6.1.2 step 17 replaces per account). */
const accountOf = (c: { rpId: string; userId: Uint8Array }): string => `${c.rpId}\u0000${Buffer.from(c.userId).toString('hex')}`;

/** Largest signature counter: authData carries it in 32 bits (WebAuthn §6.1). */
const MAX_COUNTER = 0xffff_ffff;

type Check = (value: unknown, key: string) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Base64 of `bytes` bytes (any length when undefined, at least one byte when 'nonempty'). */
function base64Field(v: unknown, bytes?: number | 'nonempty'): boolean {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return false;
  const n = Buffer.from(v, 'base64').length;
  return bytes === undefined ? true : bytes === 'nonempty' ? n > 0 : n === bytes;
}

function checkFields(v: unknown, fields: Record<string, (x: unknown) => boolean>, optional: readonly string[] = []): string | undefined {
  if (!isObject(v)) return 'not a JSON object';
  for (const [name, ok] of Object.entries(fields)) {
    if (!(name in v)) {
      if (optional.includes(name)) continue;
      return `${name} is missing`;
    }
    if (!ok(v[name])) return `${name} is not valid`;
  }
  return undefined;
}

/** A PIN length in code points: CTAP 2.1 §6.5.1 allows 4..63 bytes of UTF-8. */
const isPinLength = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 63;

const isCounter = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_COUNTER;

const RESIDENT_FIELDS = {
  id: (x: unknown) => base64Field(x, 'nonempty'),
  rpIdHash: (x: unknown) => base64Field(x, 32),
  rpId: (x: unknown) => typeof x === 'string' && x !== '',
  userId: (x: unknown) => base64Field(x) && Buffer.from(x as string, 'base64').length <= 64,
  userName: (x: unknown) => typeof x === 'string',
  displayName: (x: unknown) => typeof x === 'string',
  createdMs: (x: unknown) => Number.isFinite(x),
};

const checkResident: Check = (v) => checkFields(v, RESIDENT_FIELDS, ['userName', 'displayName']);

const TEMPLATE_FIELDS = {
  id: (x: unknown) => base64Field(x, 'nonempty'),
  finger: (x: unknown) => typeof x === 'string' && x !== '',
  friendlyName: (x: unknown) => typeof x === 'string',
};

/** uvRetries lies in 0..25, the largest maxUvRetries CTAP 2.1 §6.5.2.2 allows. */
const MAX_UV_RETRIES = 25;

/**
 * The schema of every key: which keys exist (exact name or prefix) and what each holds.
 * Keys of other devices sharing the directory (and keys a later version adds) are left alone.
 */
export const FIDO_STATE_SCHEMA: readonly { key: string; prefix?: true; check: Check }[] = [
  {
    key: 'fido.identity',
    check: (v) => checkFields(v, { masterKey: (x) => base64Field(x, 32), attestationKey: (x) => base64Field(x, 32), attestationCert: (x) => base64Field(x, 'nonempty') }),
  },
  {
    key: 'fido.pin',
    check: (v) =>
      checkFields(
        v,
        { hash: (x) => x === null || base64Field(x, 16), retries: (x) => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= MAX_PIN_RETRIES, codePoints: (x) => isPinLength(x) },
        ['codePoints'],
      ),
  },
  {
    key: 'fido.config',
    check: (v) =>
      checkFields(
        v,
        {
          alwaysUv: (x) => typeof x === 'boolean',
          ep: (x) => typeof x === 'boolean',
          minPINLength: (x) => isPinLength(x),
          minPinLengthRPIDs: (x) => Array.isArray(x) && x.every((id) => typeof id === 'string' && id !== ''),
          forcePINChange: (x) => typeof x === 'boolean',
        },
        ['alwaysUv', 'ep', 'minPINLength', 'minPinLengthRPIDs', 'forcePINChange'],
      ),
  },
  { key: 'fido.enterprise', check: (v) => checkFields(v, { key: (x) => base64Field(x, 32), cert: (x) => base64Field(x, 'nonempty') }) },
  { key: RESIDENT_PREFIX, prefix: true, check: checkResident },
  { key: COUNTER_PREFIX, prefix: true, check: (v) => (isCounter(v) ? undefined : `a counter must be a whole number from 0 to ${MAX_COUNTER}`) },
  {
    key: 'fido.rk',
    check: (v, key) => (Array.isArray(v) ? v.map((c) => checkResident(c, key)).find((x) => x !== undefined) : 'not a JSON array'),
  },
  { key: 'fido.counters', check: (v) => (isObject(v) && Object.values(v).every(isCounter) ? undefined : 'not an object of counters') },
  {
    key: 'fido.bio',
    check: (v) => (Array.isArray(v) ? v.map((t) => checkFields(t, TEMPLATE_FIELDS, ['friendlyName'])).find((x) => x !== undefined) : 'not a JSON array'),
  },
  { key: 'fido.uv', check: (v) => checkFields(v, { retries: (x) => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= MAX_UV_RETRIES }) },
];

/** Check every FIDO key in `storage` against the schema; BAD_FILE naming the first damaged one. */
export function checkFidoState(storage: DeviceStorage): void {
  for (const key of storage.keys('fido.')) {
    const rule = FIDO_STATE_SCHEMA.find((r) => (r.prefix === true ? key.startsWith(r.key) : key === r.key));
    if (rule === undefined) continue;
    let value: unknown;
    let wrong: string | undefined;
    try {
      value = readJson<unknown>(storage, key);
      wrong = rule.check(value, key);
    } catch (e) {
      wrong = `not JSON (${(e as Error).message.split('\n')[0]})`;
    }
    if (wrong !== undefined) {
      throw badFile(`state file ${describeKey(storage, key)} is damaged: ${wrong}; the simulator will not start on it (recovery: docs/limits.md#damaged-state-files)`);
    }
  }
}

export class FidoStateStore {
  readonly #storage: DeviceStorage;
  /** Counters read or written so far, by storage key. */
  readonly #counters = new Map<string, number>();
  #legacyCounters: Record<string, number> | undefined;
  #rk: Map<string, ResidentCredential> | undefined;
  #settings: AuthenticatorSettings | undefined;
  /** Storage key of the resident credential of each account (RP ID and user handle). */
  readonly #byAccount = new Map<string, string>();
  #templates: readonly BioTemplate[] | undefined;

  /** Checks every stored key first (`checkFidoState`): BAD_FILE names a damaged file. */
  constructor(storage: DeviceStorage) {
    checkFidoState(storage);
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

  /** The persistent token; a damaged one (not 32 bytes) counts as none, so the next issue replaces it. */
  readPersistentToken(): Uint8Array | undefined {
    const token = this.#storage.read('fido.ppuat');
    return token?.length === 32 ? token : undefined;
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

  /** The serialized large-blob array as last committed, or undefined when none ever was. */
  readLargeBlobArray(): Uint8Array | undefined {
    return this.#storage.read(LARGE_BLOBS);
  }

  /** Commit a whole serialized large-blob array, atomically (a crash leaves the old one or this one). */
  writeLargeBlobArray(array: Uint8Array): void {
    this.#storage.write(LARGE_BLOBS, array);
  }

  /** Forget credentials, counters, PIN, fingerprints and large blobs (authenticatorReset); the identity is rewritten by the caller. */
  wipe(): void {
    this.#storage.remove('fido.rk');
    for (const key of this.#storage.keys(RESIDENT_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.counters');
    for (const key of this.#storage.keys(COUNTER_PREFIX)) this.#storage.remove(key);
    this.#storage.remove('fido.pin');
    this.#storage.remove('fido.bio');
    this.#storage.remove('fido.uv');
    this.#templates = [];
    this.#storage.remove('fido.config');
    this.#storage.remove('fido.ppuat');
    this.#settings = {};
    this.#storage.remove(LARGE_BLOBS);
    this.#rk = new Map();
    this.#byAccount.clear();
    this.#counters.clear();
    this.#legacyCounters = {};
  }
}
