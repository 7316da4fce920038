/**
 * The events a simulated device reports: what the firmware logs (a press, a fault, a
 * credential made, a touch requested), in one naming style, snake_case names and fields, so
 * the API's `onEvent` and the CLI's JSON lines read the same. They never carry secrets.
 *
 * @example
 * ```ts
 * await startOtpToken({ onEvent: (e) => console.log(e.event, e) }); // 'token_created', then 'press' ...
 * ```
 */
import type { DeviceLogger, LogLevel } from '../../firmware-sim/env/index.js';

/** One event: `event` names it; the other fields depend on it (`serial`, `counter`, `rp_id`, ...). */
export interface SimEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** `rpId` → `rp_id`, `token-created` → `token_created`, `ctaphid.internal` → `ctaphid_internal`. */
export function snakeCase(name: string): string {
  let snake = snakeNames.get(name);
  if (snake === undefined) {
    snake = name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[-.\s]+/g, '_')
      .toLowerCase();
    // Event and field names are a small fixed vocabulary, converted on every event of a busy
    // key; the bound keeps memory flat should a caller pass names made from data.
    if (snakeNames.size < SNAKE_NAMES_KEPT) snakeNames.set(name, snake);
  }
  return snake;
}
const SNAKE_NAMES_KEPT = 4096;
const snakeNames = new Map<string, string>();

/** The same value with every plain object's keys in snake_case (arrays and bytes kept). */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), snakeCaseKeys(v)]));
}

/** An event in the house style: snake_case name and fields. */
export function simEvent(event: string, fields: Record<string, unknown> = {}): SimEvent {
  return { ...(snakeCaseKeys(fields) as Record<string, unknown>), event: snakeCase(event) };
}

/**
 * A device logger that hands `info` and louder events to `onEvent` (debug lines, one per
 * CTAP status, are for debugging the firmware, not for event streams). `warn` and `error`
 * events say their level.
 */
export function eventLogger(onEvent: ((e: SimEvent) => void) | undefined): DeviceLogger {
  if (onEvent === undefined) return { log: () => {} };
  return {
    log(level: LogLevel, event: string, fields: Record<string, unknown> = {}) {
      if (level === 'debug') return;
      const { event: _same, ...rest } = fields;
      onEvent(simEvent(event, level === 'info' ? rest : { ...rest, level }));
    },
  };
}
