/**
 * What every command family, extension and algorithm of the simulated authenticator works
 * with: the injected environment, the profile, persistent state, the device identity, user
 * presence, events, and volatile state that a power cycle (or authenticatorReset) drops.
 *
 * Volatile state belongs to the module that uses it: a module declares a `volatileSlot` once
 * (the key agreement key in client-pin.ts, the pending assertions in get-assertion.ts, the
 * pinUvAuthToken in pin-uv-auth-token.ts) and reads it with `device.volatile(slot)`; the
 * value is made on first use after power-up. So a new command family brings its own state
 * without touching this file.
 *
 * @example
 * ```ts
 * const NEXT = volatileSlot('nextAssertions', () => ({ queue: [] as Uint8Array[] }));
 * device.volatile(NEXT).queue.push(id);
 * ```
 */
import { KEEPALIVE_STATUS } from '../../src/protocol/ctaphid/index.js';
import { type PinUvAuthProtocol, pinUvAuthProtocol } from '../../src/protocol/pin-uv-auth-protocol.js';
import type { FidoQuirk } from '../../devices/fido-profile.js';
import type { CtapHidContext } from '../ctaphid/index.js';
import type { DeviceEnvironment } from '../env/index.js';
import type { CredentialAlgorithm, CredentialKey } from './algorithms/index.js';
import type { Es256Key } from './algorithms/es256.js';
import type { Ctap2Command } from './commands/command.js';
import { type CredentialRecord, openCredential } from './credential-id.js';
import { S, fail } from './errors.js';
import type { Extension } from './extensions/index.js';
import type { FidoProfile } from './profile.js';
import type { FidoStateStore, Identity } from './state.js';
import type { UserVerifier, UserVerifierSource } from './user-verification.js';

/** How long the authenticator waits for a touch before giving up (CTAP 2.1 suggests 30 s). */
export const USER_PRESENCE_TIMEOUT_MS = 30_000;

/** An event the authenticator reports (for the CLI's event stream); never carries secrets. */
export interface FidoEvent {
  event: string;
  [field: string]: unknown;
}

/** A piece of volatile state, owned by the module that declares it. */
export interface VolatileSlot<T> {
  readonly name: string;
  create(device: FidoDevice): T;
}

/** Declare a piece of volatile state: `create` makes its value after each power-up. */
export function volatileSlot<T>(name: string, create: (device: FidoDevice) => T): VolatileSlot<T> {
  return { name, create };
}

/** The parts a device is made of; FidoAuthenticator.create assembles them. */
export interface FidoDeviceParts {
  env: DeviceEnvironment;
  profile: FidoProfile;
  store: FidoStateStore;
  identity: Identity;
  attestationKey: Es256Key;
  /** The command families this profile answers. */
  commands: readonly Ctap2Command[];
  /** The extensions this profile has, in its order. */
  extensions: readonly Extension[];
  /** The algorithms this profile has, in its order of preference. */
  algorithms: readonly CredentialAlgorithm[];
  /** Built-in user verification (a fingerprint sensor), when the key has it. */
  userVerifier?: UserVerifierSource;
}

export class FidoDevice {
  readonly env: DeviceEnvironment;
  readonly profile: FidoProfile;
  readonly store: FidoStateStore;
  readonly attestationKey: Es256Key;
  readonly aaguid: Uint8Array;
  readonly commands: readonly Ctap2Command[];
  readonly extensions: readonly Extension[];
  readonly algorithms: readonly CredentialAlgorithm[];
  readonly userVerifier: UserVerifier | undefined;
  #identity: Identity;
  #powerUpMs: number;
  readonly #volatile = new Map<VolatileSlot<unknown>, unknown>();
  readonly #quirks: ReadonlySet<FidoQuirk>;
  /** Signing keys of recently used credentials, so repeated assertions skip the import. */
  readonly #keyCache = new Map<string, CredentialKey>();
  /** Listeners for events (credential made, assertion, PIN changes, reset, waiting for touch). */
  onEvent: ((e: FidoEvent) => void) | undefined;

  constructor(parts: FidoDeviceParts) {
    this.env = parts.env;
    this.profile = parts.profile;
    this.store = parts.store;
    this.#identity = parts.identity;
    this.attestationKey = parts.attestationKey;
    this.commands = parts.commands;
    this.extensions = parts.extensions;
    this.algorithms = parts.algorithms;
    this.userVerifier = typeof parts.userVerifier === 'function' ? parts.userVerifier(this) : parts.userVerifier;
    this.aaguid = new Uint8Array(Buffer.from(parts.profile.aaguid, 'hex'));
    this.#quirks = new Set(parts.profile.quirks);
    this.#powerUpMs = parts.env.clock.now();
  }

  get identity(): Identity {
    return this.#identity;
  }

  /** The key that seals credential IDs. */
  get masterKey(): Uint8Array {
    return this.#identity.masterKey;
  }

  /** When the device last powered up (authenticatorReset is allowed only soon after). */
  get powerUpMs(): number {
    return this.#powerUpMs;
  }

  /** The value of a volatile slot, made on first use after power-up. */
  volatile<T>(slot: VolatileSlot<T>): T {
    if (this.#volatile.has(slot)) return this.#volatile.get(slot) as T;
    const value = slot.create(this);
    this.#volatile.set(slot, value);
    return value;
  }

  /** Whether the profile reproduces `quirk`. */
  hasQuirk(quirk: FidoQuirk): boolean {
    return this.#quirks.has(quirk);
  }

  /** Whether the profile lists this CTAP version (getInfo `versions`). */
  speaks(version: FidoProfile['versions'][number]): boolean {
    return this.profile.versions.includes(version);
  }

  /** Power-up: every volatile slot is dropped (channels are the CTAPHID layer's). */
  powerUp(): void {
    this.#powerUpMs = this.env.clock.now();
    this.#volatile.clear();
    this.emit({ event: 'power_cycle' });
  }

  /** authenticatorReset (CTAP 2.1 §6.6): credentials, PIN and volatile state gone, a new master key. */
  factoryReset(): void {
    this.store.wipe();
    this.#keyCache.clear();
    this.#volatile.clear();
    // A new master key makes every earlier non-resident credential ID unusable.
    this.#identity = { ...this.#identity, masterKey: this.env.random.bytes(32) };
    this.store.writeIdentity(this.#identity);
  }

  emit(e: FidoEvent): void {
    this.env.log.log('info', e.event, e);
    this.onEvent?.(e);
  }

  /** Ask for a touch with keepalives UPNEEDED; throws the status the spec gives for each outcome. */
  async requireTouch(ctx: CtapHidContext, why: string): Promise<void> {
    ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
    this.emit({ event: 'touch_requested', reason: why });
    const touched = await this.env.presence.waitForTouch({ timeoutMs: USER_PRESENCE_TIMEOUT_MS, signal: ctx.signal });
    ctx.keepalive(KEEPALIVE_STATUS.PROCESSING);
    if (ctx.signal.aborted) throw fail(S.CTAP2_ERR_KEEPALIVE_CANCEL);
    if (!touched) {
      this.emit({ event: 'touch_denied', reason: why });
      throw fail(S.CTAP2_ERR_OPERATION_DENIED);
    }
    this.emit({ event: 'touched', reason: why });
  }

  /** Whether a PIN is set (the clientPin option's live value). */
  get pinIsSet(): boolean {
    return this.store.readPin().hash !== undefined;
  }

  /** "Protected by some form of user verification" (CTAP 2.1 §6.1.2 step 8): a PIN, or built-in UV set up. */
  get protectedByUv(): boolean {
    return this.pinIsSet || this.userVerifier?.configured() === true;
  }

  /** The minimum PIN length in code points (CTAP 2.1 §6.5.1: 4 unless the profile or setMinPINLength says more). */
  get minPinLength(): number {
    return this.store.readSettings().minPINLength ?? this.profile.limits.minPINLength ?? 4;
  }

  /** The PIN/UV auth protocol with this number when the profile has it. */
  pinUvAuthProtocol(version: number): PinUvAuthProtocol | undefined {
    return (this.profile.pinUvAuthProtocols as readonly number[]).includes(version) ? pinUvAuthProtocol(version) : undefined;
  }

  /** The algorithm with this COSE identifier when the profile has it. */
  algorithm(alg: number): CredentialAlgorithm | undefined {
    for (const a of this.algorithms) if (a.alg === alg) return a;
    return undefined;
  }

  /**
   * What credential `id` seals for the RP with this hash, when this key can use it now: one of
   * its own, of an algorithm the profile has, and — for a discoverable credential — still
   * stored (deleted or replaced ones are gone for good). Undefined otherwise.
   */
  usableCredential(rpIdHash: Uint8Array, id: Uint8Array): CredentialRecord | undefined {
    const record = openCredential(this.masterKey, rpIdHash, id);
    if (record === undefined || this.algorithm(record.alg) === undefined) return undefined;
    if (record.discoverable === true && this.store.findResident(id) === undefined) return undefined;
    return record;
  }

  /** The signing key of a credential, from a small cache of recently used ones. */
  async credentialKey(id: Uint8Array, record: CredentialRecord): Promise<CredentialKey> {
    const tag = Buffer.from(id).toString('base64');
    const hit = this.#keyCache.get(tag);
    if (hit !== undefined) return hit;
    const algorithm = this.algorithm(record.alg);
    // A credential made under a profile that had the algorithm, opened under one that does not.
    if (algorithm === undefined) throw fail(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM, `credential algorithm ${record.alg}`);
    const key = await algorithm.load(record.privateKey);
    if (this.#keyCache.size >= 256) this.#keyCache.delete(this.#keyCache.keys().next().value as string);
    this.#keyCache.set(tag, key);
    return key;
  }
}
