/**
 * The rig's user presence and user verification for a FIDO key: a touch pad and a
 * fingerprint sensor whose mode (auto, manual, deny) the API and the dashboard switch at run
 * time, and whose pending requests they approve or deny. Each says when a request starts and
 * ends, so the dashboard lights the pad while presence is requested.
 */
import { ManualPresence, type PresenceRequest, type UserPresence } from '../../firmware-sim/env/index.js';
import type { UserVerifier, UvOutcome } from '../../firmware-sim/fido/index.js';
import type { CtapHidContext } from '../../firmware-sim/ctaphid/index.js';
import { CtapStatusError } from '../../firmware-sim/fido/errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import { KEEPALIVE_STATUS } from '../protocol/ctaphid/index.js';
import type { TouchMode, UvMode } from './rig-file.js';

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

/**
 * A fingerprint sensor (built-in user verification, CTAP 2.1 §6.5.2.2 performBuiltInUv): `auto`
 * matches at once, `deny` is a finger that does not match, `manual` waits for approve (a match)
 * or deny, with keepalives saying the user is needed. Each request gets one answer (the person
 * at the dashboard is the internal retry). Failed matches spend uvRetries as on a real key —
 * kept while the rig runs, not in its state directory — and a match or a correct PIN restores
 * them. `none` is a key without a sensor (fixed when the key starts: getInfo tells the platform
 * once). What makeCredential, getAssertion and clientPIN answer for each outcome is the
 * firmware's (firmware-sim/fido/user-verification.ts).
 */
export class RigUserVerifier implements UserVerifier {
  mode: Exclude<UvMode, 'none'>;
  readonly #waiting = new Set<(ok: boolean) => void>();
  readonly #onPending: PendingListener;
  #retries = RIG_UV_RETRIES;

  constructor(mode: Exclude<UvMode, 'none'>, onPending: PendingListener) {
    this.mode = mode;
    this.#onPending = onPending;
  }

  get pending(): number {
    return this.#waiting.size;
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
    const matched = this.mode === 'auto' ? true : this.mode === 'deny' ? false : await this.#ask(ctx);
    if (matched === 'timeout') return 'timeout';
    if (!matched) {
      this.#retries--;
      return 'failed';
    }
    this.restore();
    return 'verified';
  }

  /** Wait for the dashboard (or API) to approve or deny, the host to cancel, or the timeout. */
  async #ask(ctx: CtapHidContext): Promise<boolean | 'timeout'> {
    ctx.keepalive(KEEPALIVE_STATUS.UPNEEDED);
    const answer = await new Promise<boolean | 'timeout' | 'cancel'>((resolve) => {
      const finish = (ok: boolean | 'timeout' | 'cancel'): void => {
        if (!this.#waiting.delete(done)) return;
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        if (this.#waiting.size === 0) this.#onPending(false);
        resolve(ok);
      };
      const done = (ok: boolean): void => finish(ok);
      const onAbort = (): void => finish('cancel');
      const timer = setTimeout(() => finish('timeout'), UV_TIMEOUT_MS);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(done);
      this.#onPending(true);
    });
    ctx.keepalive(KEEPALIVE_STATUS.PROCESSING);
    if (answer === 'cancel') throw new CtapStatusError(CTAP2_STATUS.CTAP2_ERR_KEEPALIVE_CANCEL, 'cancelled');
    return answer;
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
