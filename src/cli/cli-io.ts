import { systemClock } from '../clock/index.js';
import { snakeCase, snakeCaseKeys } from '../sim/events.js';

/**
 * What a CLI command writes to: stdout for results (one JSON document or JSON lines with
 * `--json`), stderr for diagnostics. Injected so tests can run commands in process.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** True when stdout is a terminal (live views are shown only then). */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  isTTY: process.stdout.isTTY === true,
  env: process.env,
};

/** Write one line to stdout. */
export function printLine(io: CliIo, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** Write one JSON value as one line (JSON lines: events stream one per line). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, jsonReplacer)}\n`);
}

/**
 * Write one event as a JSON line, the way every command streams events: `event` first, then
 * a `timestamp` (ISO 8601, UTC), then its fields, every name in snake_case.
 */
export function printEvent(io: CliIo, e: { event: string; [field: string]: unknown }): void {
  const { event, ...fields } = snakeCaseKeys(e) as { event: string; [field: string]: unknown };
  printJson(io, { event: snakeCase(event), timestamp: new Date(systemClock.now()).toISOString(), ...fields });
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  return value;
}
