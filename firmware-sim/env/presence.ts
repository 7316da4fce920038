/**
 * User presence: the virtual button or touch sensor. The firmware asks; the environment
 * decides how the answer comes (always yes, always no, a script, or a person/controller
 * pressing the button).
 */

export interface PresenceRequest {
  /** Give up (answer false) after this long, as hardware does. */
  timeoutMs: number;
  /** Aborted when the host cancels (CTAPHID_CANCEL) or the device power-cycles. */
  signal?: AbortSignal;
}

export interface UserPresence {
  /** Resolves true when the user touched, false when denied, timed out or aborted. */
  waitForTouch(request: PresenceRequest): Promise<boolean>;
}

/** Touch is always granted at once. */
export class AutoPresence implements UserPresence {
  async waitForTouch(request: PresenceRequest): Promise<boolean> {
    return request.signal?.aborted !== true;
  }
}

/** Touch is always refused at once. */
export class DenyPresence implements UserPresence {
  async waitForTouch(): Promise<boolean> {
    return false;
  }
}

/** Answers from a script, in order; `fallback` once it is used up. */
export class ScriptedPresence implements UserPresence {
  readonly #answers: boolean[];
  readonly #fallback: boolean;
  /** How many times the firmware asked. */
  requests = 0;

  constructor(answers: readonly boolean[], fallback = false) {
    this.#answers = [...answers];
    this.#fallback = fallback;
  }

  async waitForTouch(request: PresenceRequest): Promise<boolean> {
    this.requests++;
    if (request.signal?.aborted === true) return false;
    return this.#answers.length > 0 ? (this.#answers.shift() as boolean) : this.#fallback;
  }
}

/** Minimal timer functions, injected so tests can drive timeouts deterministically. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The host's timers. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * A button pressed from outside: a terminal key, a control command or a test calling
 * `press()`. A press while nobody waits is remembered for `latchMs` (a real button held a
 * moment before the request still counts).
 */
export class ManualPresence implements UserPresence {
  readonly #timers: Timers;
  readonly #waiting = new Set<(touched: boolean) => void>();
  /** Called whenever the firmware starts waiting for a touch (to show "touch your key"). */
  onWaiting: (() => void) | undefined;

  constructor(timers: Timers = realTimers) {
    this.#timers = timers;
  }

  /** Press the button: every pending request is granted. Returns how many were waiting. */
  press(): number {
    const n = this.#waiting.size;
    for (const resolve of [...this.#waiting]) resolve(true);
    return n;
  }

  /** Refuse every pending request. */
  deny(): number {
    const n = this.#waiting.size;
    for (const resolve of [...this.#waiting]) resolve(false);
    return n;
  }

  get pending(): number {
    return this.#waiting.size;
  }

  waitForTouch(request: PresenceRequest): Promise<boolean> {
    if (request.signal?.aborted === true) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (touched: boolean): void => {
        if (!this.#waiting.delete(finish)) return;
        this.#timers.clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(touched);
      };
      const onAbort = (): void => finish(false);
      const timer = this.#timers.setTimeout(() => finish(false), request.timeoutMs);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(finish);
      this.onWaiting?.();
    });
  }
}
