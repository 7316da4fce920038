/**
 * The one environment a simulated device runs in: everything that is not deterministic is
 * here and injected. Nothing in firmware-sim reads the wall clock, global randomness or the
 * file system except through this.
 *
 * @example
 * ```ts
 * const { env, clock } = createTestEnvironment({ startMs: 59_000 });
 * clock.advance(30_000); // the device sees time move
 * ```
 */
import { type Clock, ManualClock, systemClock } from '../../src/clock/index.js';
import type { FingerprintSensor } from './fingerprint.js';
import { type DeviceLogger, silentLogger } from './logger.js';
import { AutoPresence, type Timers, type UserPresence, realTimers } from './presence.js';
import { CryptoRandom, type RandomSource, SeededRandom } from './random.js';
import { type DeviceStorage, FileStorage, MemoryStorage } from './storage.js';

export interface DeviceEnvironment {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly storage: DeviceStorage;
  readonly presence: UserPresence;
  /** The finger on the fingerprint sensor, for keys that have one (absent: a cooperative user, AutoFingerprint). */
  readonly fingerprint?: FingerprintSensor;
  readonly timers: Timers;
  readonly log: DeviceLogger;
}

export interface TestEnvironment {
  env: DeviceEnvironment;
  clock: ManualClock;
}

/** A deterministic environment: manual clock, seeded random, memory storage, auto presence. */
export function createTestEnvironment(
  options: { startMs?: number; seed?: string; presence?: UserPresence; fingerprint?: FingerprintSensor; storage?: DeviceStorage; timers?: Timers; log?: DeviceLogger } = {},
): TestEnvironment {
  const clock = new ManualClock(options.startMs ?? 0);
  return {
    clock,
    env: {
      clock,
      random: new SeededRandom(options.seed ?? 'tokenrig-test'),
      storage: options.storage ?? new MemoryStorage(),
      presence: options.presence ?? new AutoPresence(),
      ...(options.fingerprint === undefined ? {} : { fingerprint: options.fingerprint }),
      timers: options.timers ?? realTimers,
      log: options.log ?? silentLogger,
    },
  };
}

/** The real environment: system clock, CSPRNG, a state directory (or memory), real timers. */
export function createNodeEnvironment(
  options: { stateDir?: string; presence?: UserPresence; fingerprint?: FingerprintSensor; clock?: Clock; log?: DeviceLogger; random?: RandomSource } = {},
): DeviceEnvironment {
  return {
    clock: options.clock ?? systemClock,
    // Many devices in one process (a rig) share one source rather than a 4 KiB block each.
    random: options.random ?? new CryptoRandom(),
    storage: options.stateDir === undefined ? new MemoryStorage() : new FileStorage(options.stateDir),
    presence: options.presence ?? new AutoPresence(),
    ...(options.fingerprint === undefined ? {} : { fingerprint: options.fingerprint }),
    timers: realTimers,
    log: options.log ?? silentLogger,
  };
}
