/**
 * The rig's user presence and user verification for a FIDO key: a touch pad and a
 * fingerprint sensor whose mode (auto, manual, deny) the API and the dashboard switch at run
 * time, and whose pending requests they approve or deny. Each says when a request starts and
 * ends, so the dashboard lights the pad while presence is requested.
 */
import { AutoFingerprint, type CaptureRequest, type FingerprintSample, type FingerprintSensor, ManualPresence, type PresenceRequest, type UserPresence, WrongFingerprint } from '../../firmware-sim/env/index.js';
import type { UserVerifier, UvOutcome } from '../../firmware-sim/fido/index.js';
import type { CtapHidContext } from '../../firmware-sim/ctaphid/index.js';
import { CtapStatusError } from '../../firmware-sim/fido/errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import { KEEPALIVE_STATUS } from '../protocol/ctaphid/index.js';
import type { TouchMode, UvMode } from './rig-state.js';

/** How long a fingerprint is waited for (CTAP 2.1 suggests 30 s for user actions, as for a touch). */
export const UV_TIMEOUT_MS = 30_000;

/** Called when a request starts waiting (`true`) and when the last one ends (`false`). */
export type PendingListener = (pending: boolean) => void;

/** A touch pad whose mode can change while the key runs. */
export class RigPresence implements UserPresence {
  mode: TouchMode;
  readonly #manual = new ManualPresence();
  readonly #onPending: PendingListener;

  constructor(mode: TouchMode, onPending: PendingListener) {
    this.mode = mode;
    this.#onPending = onPending;
  }

  get pending(): number {
    return this.#manual.pending;
  }

  async waitForTouch(request: PresenceRequest): Promise<boolean> {
    if (this.mode === 'auto') return request.signal?.aborted !== true;
    if (this.mode === 'deny') return false;
    const waiting = this.#manual.waitForTouch(request);
    this.#onPending(true);
    try {
      return await waiting;
    } finally {
      if (this.#manual.pending === 0) this.#onPending(false);
    }
  }

  /** Grant every waiting request; how many there were. */
  approve(): number {
    return this.#manual.press();
  }

  /** Refuse every waiting request; how many there were. */
  deny(): number {
    return this.#manual.deny();
  }

  /** Change the mode; requests waiting are answered as the new mode would (auto grants, deny refuses). */
  setMode(mode: TouchMode): void {
    this.mode = mode;
    if (mode === 'auto') this.approve();
    else if (mode === 'deny') this.deny();
  }
}

/** uvRetries of the rig's sensor: three failed matches block it until the PIN is entered, as on a YubiKey Bio. */
export const RIG_UV_RETRIES = 3;

/** The finger the rig enrolls on a key whose personality has a fingerprint sensor. */
export const RIG_FINGER = 'rig-finger';

const COOPERATIVE = new AutoFingerprint();
const STRANGER = new WrongFingerprint();

/**
 * The rig's finger on a key's fingerprint sensor (firmware-sim/env/fingerprint.ts): `auto`
 * touches with an enrolled finger at once, `deny` with one the key does not know, `manual`
 * waits for the dashboard (or API) to approve (an enrolled finger) or deny (a wrong one) —
 * one answer per capture; a key that retries internally asks again — the timeout (nobody
 * touched) or the host's cancel. Bio enrollment's samples are a cooperative user's: good
 * samples of a new finger. On a key whose personality has a sensor (`yubikey-bio`) this is
 * the sensor, and the key's own firmware matches, counts uvRetries (kept in its state) and
 * reports uv and bioEnroll in getInfo; on other keys RigUserVerifier puts it behind a built-in
 * verification of the rig's own.
 */
export class RigFingerprint implements FingerprintSensor {
  mode: Exclude<UvMode, 'none'>;
  readonly #waiting = new Set<(ok: boolean) => void>();
  readonly #onPending: PendingListener;

  constructor(mode: Exclude<UvMode, 'none'>, onPending: PendingListener) {
    this.mode = mode;
    this.#onPending = onPending;
  }

  get pending(): number {
    return this.#waiting.size;
  }

  async capture(request: CaptureRequest): Promise<FingerprintSample | undefined> {
    if (request.purpose === 'enroll' || this.mode === 'auto') return COOPERATIVE.capture(request);
    if (this.mode === 'deny') return STRANGER.capture(request);
    const matched = await this.#ask(request);
    if (matched === undefined) return undefined;
    return (matched ? COOPERATIVE : STRANGER).capture(request);
  }

  /** Wait for approve or deny; undefined on the timeout or the host's cancel. */
  #ask(request: CaptureRequest): Promise<boolean | undefined> {
    const signal = request.signal;
    if (signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise<boolean | undefined>((resolve) => {
      const finish = (ok: boolean | undefined): void => {
        if (!this.#waiting.delete(done)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.#waiting.size === 0) this.#onPending(false);
        resolve(ok);
      };
      const done = (ok: boolean): void => finish(ok);
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), request.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(done);
      this.#onPending(true);
    });
  }

  approve(): number {
    const n = this.#waiting.size;
    for (const f of [...this.#waiting]) f(true);
    return n;
  }

  deny(): number {
    const n = this.#waiting.size;
    for (const f of [...this.#waiting]) f(false);
    return n;
  }

  setMode(mode: Exclude<UvMode, 'none'>): void {
    this.mode = mode;
    if (mode === 'auto') this.approve();
    else if (mode === 'deny') this.deny();
  }
}

/**
 * Built-in user verification (CTAP 2.1 §6.5.2.2 performBuiltInUv) for a key whose personality
 * has no fingerprint sensor: the rig's finger (RigFingerprint) on a sensor with one finger
 * enrolled, with keepalives saying the user is needed while it waits. Each request gets one
 * answer (the person at the dashboard is the internal retry). Failed matches spend uvRetries as
 * on a real key — kept while the rig runs, not in its state directory — and a match or a
 * correct PIN restores them. What makeCredential, getAssertion and clientPIN answer for each
 * outcome is the firmware's (firmware-sim/fido/user-verification.ts). Such a key's getInfo
 * does not report it (the personality has no uv option), so only a platform that sends
 * `uv: true` itself reaches it.
 */
export class RigUserVerifier implements UserVerifier {
  readonly #finger: RigFingerprint;
  #retries = RIG_UV_RETRIES;

  constructor(finger: RigFingerprint) {
    this.#finger = finger;
  }

  configured(): boolean {
    return true;
  }

  retries(): number {
    return this.#retries;
  }

  restore(): void {
    this.#retries = RIG_UV_RETRIES;
  }

  async perform(ctx: CtapHidContext): Promise<UvOutcome> {
    if (this.#retries === 0) return 'failed'; // blocked until the PIN is entered
    const waits = this.#finger.mode === 'manual';
    if (waits) ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
    const sample = await this.#finger.capture({ purpose: 'verify', timeoutMs: UV_TIMEOUT_MS, signal: ctx.signal, enrolled: [{ finger: RIG_FINGER }] });
    if (waits) ctx.keepalive(KEEPALIVE_STATUS.PROCESSING);
    if (ctx.signal.aborted) throw new CtapStatusError(CTAP2_STATUS.CTAP2_ERR_KEEPALIVE_CANCEL, 'cancelled');
    if (sample === undefined) return 'timeout';
    if (sample.finger !== RIG_FINGER) {
      this.#retries--;
      return 'failed';
    }
    this.restore();
    return 'verified';
  }
}
