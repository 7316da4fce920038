/**
 * How every `tokenrig sim ...` command runs a device: events held until the `ready` line
 * (which names the endpoints as device specs), then one line per event, until Ctrl-C,
 * SIGTERM or the live view's quit; then the endpoints close and a `stopped` line says why.
 * The device itself comes from `tokenrig/sim`, the same API tests use in-process.
 *
 * @example
 * ```ts
 * const events = new EventStream(io, json);
 * const token = await startOtpToken({ ...options, onEvent: events.push });
 * return serveUntilStopped(io, token, events, { json, ready: { serial: token.serial }, lines: [...] });
 * ```
 */
import { createInterface } from 'node:readline';
import type { SimEvent, SimulatedDevice } from '../sim/index.js';
import { type CliIo, printEvent, printLine } from './cli-io.js';
import { SIGNAL_EXIT_STATUS, type StopSignal, untilStopped } from './signals.js';

/** Device events for stdout: JSON lines with --json, else a line from `describe` (or none). */
export class EventStream {
  readonly #io: CliIo;
  readonly #json: boolean;
  readonly #describe: (e: SimEvent) => string | undefined;
  readonly #show: (e: SimEvent) => boolean;
  #held: SimEvent[] | undefined = [];

  constructor(io: CliIo, json: boolean, options: { describe?: (e: SimEvent) => string | undefined; show?: (e: SimEvent) => boolean } = {}) {
    this.#io = io;
    this.#json = json;
    this.#describe = options.describe ?? (() => undefined);
    this.#show = options.show ?? (() => true);
  }

  /** Report an event (held until `release()` while the device is starting). */
  readonly push = (e: SimEvent): void => {
    if (!this.#show(e)) return;
    if (this.#held !== undefined) this.#held.push(e);
    else this.#print(e);
  };

  /** Print what was held and every later event at once. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const e of held) this.#print(e);
  }

  #print(e: SimEvent): void {
    if (this.#json) return printEvent(this.#io, e);
    const line = this.#describe(e);
    if (line !== undefined) printLine(this.#io, line);
  }
}

/**
 * Without a live view (stdin or stdout not a terminal): each line on stdin presses the device's
 * button, so a person at a pipe or a controller process can make a token show (and a composite
 * key type) its code.
 */
export function pressOnEnter(io: CliIo, press: () => void): { stop(): void } {
  const lines = createInterface({ input: io.stdin });
  lines.on('line', () => press());
  return { stop: () => lines.close() };
}

export interface SessionOptions {
  json: boolean;
  /** The `ready` event's fields (besides `event`, `endpoints` and `pid`). */
  ready: Record<string, unknown>;
  /** What a person reads instead of the ready line. */
  lines: readonly string[];
  /** A live terminal view: started after the ready lines, `quit` ends the session with status 0. */
  live?: (quit: () => void) => { stop(): void };
}

/** Announce the device, stream its events until stopped, close it; resolves to the exit status. */
export async function serveUntilStopped(io: CliIo, device: SimulatedDevice, events: EventStream, options: SessionOptions): Promise<number> {
  // Listen for Ctrl-C before announcing readiness: a controller may signal as soon as it reads it.
  const signals = untilStopped();
  if (options.json) printEvent(io, { event: 'ready', ...options.ready, endpoints: device.endpoints, pid: process.pid });
  else for (const line of options.lines) printLine(io, line);
  events.release();
  let quit!: () => void;
  const quitting = new Promise<'quit'>((resolve) => (quit = () => resolve('quit')));
  const view = options.live?.(quit);
  const reason: StopSignal | 'quit' = await Promise.race([signals.stopped, quitting]);
  view?.stop();
  await device.close();
  signals.dispose();
  if (options.json) printEvent(io, { event: 'stopped', reason });
  else printLine(io, `stopped (${reason === 'quit' ? 'quit' : reason})`);
  return reason === 'quit' ? 0 : SIGNAL_EXIT_STATUS[reason];
}
