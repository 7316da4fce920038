/**
 * Ctrl-C and termination, the same way in every command. A command that runs until stopped
 * (a simulator) waits on `untilStopped()`, closes what it opened and returns the status of the
 * signal: 130 for SIGINT, 143 for SIGTERM (128 + the signal number, as shells report it). A
 * second signal while it closes exits at once. Commands that wait on nothing of their own are
 * ended by the CLI's default handler with the same status (see bin.ts).
 *
 * @example
 * ```ts
 * const stop = untilStopped();
 * const signal = await stop.stopped; // 'SIGINT' after Ctrl-C
 * await device.close();
 * return SIGNAL_EXIT_STATUS[signal];
 * ```
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status after each signal: 128 + its number. */
export const SIGNAL_EXIT_STATUS: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

export interface StopWatch {
  /** Resolves with the first signal that arrives. */
  readonly stopped: Promise<StopSignal>;
  /** Stop listening (the command is done). */
  dispose(): void;
}

/** How many commands are waiting on a signal now (the default handler leaves it to them). */
let watching = 0;

/** Wait for SIGINT or SIGTERM; a second signal exits with its status at once. */
export function untilStopped(): StopWatch {
  watching++;
  let disposed = false;
  let first: StopSignal | undefined;
  let resolve!: (s: StopSignal) => void;
  const stopped = new Promise<StopSignal>((r) => (resolve = r));
  const on = (signal: StopSignal) => (): void => {
    if (first !== undefined) process.exit(SIGNAL_EXIT_STATUS[signal]);
    first = signal;
    resolve(signal);
  };
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    stopped,
    dispose() {
      if (disposed) return;
      disposed = true;
      watching--;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/**
 * The CLI's default: a signal that no command waits for ends the process with its status
 * (rather than Node's death by signal, which a parent sees as no exit code at all).
 */
export function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (watching === 0) process.exit(SIGNAL_EXIT_STATUS[signal]);
    });
  }
}
