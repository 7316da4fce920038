/**
 * The OTP token's serial protocol (docs/serial-protocol.md), shared by the simulated token and
 * the host driver: one command per line (LF; CR or CRLF accepted), instrument conventions
 * (`*IDN?`), `ERR <code> <message>` for errors, simulator-only commands under `SIM:`.
 */

/** Longest command line the device accepts, terminator excluded. */
export const SERIAL_MAX_LINE = 128;

/** `ERR <code>` numbers. 1xx: the host's mistake; 2xx: the device's state. */
export const SERIAL_ERR = {
  UNKNOWN_COMMAND: 100,
  BAD_CHARACTERS: 101,
  LINE_TOO_LONG: 102,
  BAD_ARGUMENT: 103,
  /** A TCP serial server already has a client. */
  PORT_BUSY: 104,
  BATTERY_DEAD: 200,
  END_OF_LIFE: 201,
  STORAGE: 202,
} as const;
export type SerialErrCode = (typeof SERIAL_ERR)[keyof typeof SERIAL_ERR];

/** What the device answers to `DISPLAY?` when nothing is shown. */
export const DISPLAY_BLANK = 'BLANK';

/** A parsed answer line: a value, or an error with its wire code. */
export type SerialAnswer = { ok: true; text: string } | { ok: false; code: number; message: string };

/** Parse one answer line; `ERR <code> <message>` becomes an error value, the rest is text. */
export function parseSerialAnswer(line: string): SerialAnswer {
  const m = /^ERR (\d{3})(?: (.*))?$/.exec(line);
  if (m === null) return { ok: true, text: line };
  return { ok: false, code: Number(m[1]), message: m[2] ?? '' };
}

/** The fields of an `*IDN?` answer. */
export interface Identity {
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
}

/** Parse `manufacturer,model,serial,firmware`; undefined when it has another shape. */
export function parseIdentity(text: string): Identity | undefined {
  const parts = text.split(',');
  if (parts.length !== 4 || parts.some((p) => p.length === 0)) return undefined;
  const [manufacturer, model, serial, firmware] = parts as [string, string, string, string];
  return { manufacturer, model, serial, firmware };
}

export function formatIdentity(id: Identity): string {
  return `${id.manufacturer},${id.model},${id.serial},${id.firmware}`;
}
