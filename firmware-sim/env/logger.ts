/**
 * Structured events from a simulated device. Fields never carry secrets: the firmware logs
 * serials and counters, never seeds, keys or PINs.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface DeviceLogger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

/** Drops everything. */
export const silentLogger: DeviceLogger = { log: () => {} };

/** Keeps events in memory, for tests and for the CLI's event stream. */
export class MemoryLogger implements DeviceLogger {
  readonly events: { level: LogLevel; event: string; fields: Record<string, unknown> }[] = [];

  log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
    this.events.push({ level, event, fields });
  }
}
