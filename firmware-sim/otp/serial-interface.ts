/**
 * The token's serial (CDC-ACM) interface: the line protocol of docs/serial-protocol.md over a
 * byte stream. Parse a line into a tagged command, then dispatch; token errors become
 * `ERR <code> <message>` in one place. Nothing from the wire can end the session or throw:
 * over-long lines, control bytes and binary noise are answered with an error once the line
 * ends, a half line is dropped on disconnect.
 *
 * @example
 * ```ts
 * const serial = new OtpSerialInterface(token);
 * serial.attach((bytes) => process.stdout.write(bytes));
 * serial.receive(new TextEncoder().encode('*IDN?\n')); // Tokenrig,OTP 110 (sim),GAKT...,1.0.0
 * ```
 */
import { DISPLAY_BLANK, SERIAL_ERR, SERIAL_MAX_LINE, formatIdentity } from '../../src/protocol/otp/index.js';
import type { SimulatedSerialInterface } from '../hid-interface.js';
import { OtpTokenError, type OtpTokenFirmware, TOKEN_FAULTS, type TokenFault } from './otp-token-firmware.js';

type Command =
  | { kind: 'idn' }
  | { kind: 'press' }
  | { kind: 'display' }
  | { kind: 'status' }
  | { kind: 'sim-time'; seconds: number }
  | { kind: 'sim-time?' }
  | { kind: 'sim-adv'; seconds: number }
  | { kind: 'sim-drift'; ppm: number }
  | { kind: 'sim-drift?' }
  | { kind: 'sim-fault'; fault: TokenFault }
  | { kind: 'error'; code: number; message: string };

const NUMBER = /^[+-]?\d{1,12}(\.\d{1,6})?$/;

/** Parse one command line (without terminator) into a tagged command. Never throws. */
export function parseSerialCommand(line: string): Command {
  const trimmed = line.trim();
  const space = trimmed.indexOf(' ');
  const verb = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : trimmed.slice(space + 1).trim();
  const noArg = (c: Command): Command => (arg === '' ? c : { kind: 'error', code: SERIAL_ERR.BAD_ARGUMENT, message: `${verb} takes no argument` });
  const num = (make: (n: number) => Command, limit: number): Command => {
    if (!NUMBER.test(arg)) return { kind: 'error', code: SERIAL_ERR.BAD_ARGUMENT, message: `${verb} needs a number` };
    const n = Number(arg);
    return Math.abs(n) > limit ? { kind: 'error', code: SERIAL_ERR.BAD_ARGUMENT, message: `${verb} argument out of range` } : make(n);
  };
  switch (verb) {
    case '*IDN?':
      return noArg({ kind: 'idn' });
    case 'PRESS':
      return noArg({ kind: 'press' });
    case 'DISPLAY?':
      return noArg({ kind: 'display' });
    case 'STATUS?':
      return noArg({ kind: 'status' });
    case 'SIM:TIME':
      return num((seconds) => ({ kind: 'sim-time', seconds }), 1e11);
    case 'SIM:TIME?':
      return noArg({ kind: 'sim-time?' });
    case 'SIM:ADV':
      return num((seconds) => ({ kind: 'sim-adv', seconds }), 1e10);
    case 'SIM:DRIFT':
      // DriftingClock refuses |ppm| >= 1e6.
      return num((ppm) => ({ kind: 'sim-drift', ppm }), 999_999);
    case 'SIM:DRIFT?':
      return noArg({ kind: 'sim-drift?' });
    case 'SIM:FAULT': {
      const fault = TOKEN_FAULTS.find((f) => f === arg.toLowerCase());
      return fault === undefined ? { kind: 'error', code: SERIAL_ERR.BAD_ARGUMENT, message: `SIM:FAULT takes one of ${TOKEN_FAULTS.join(' ')}` } : { kind: 'sim-fault', fault };
    }
    default:
      return { kind: 'error', code: SERIAL_ERR.UNKNOWN_COMMAND, message: 'unknown command' };
  }
}

export class OtpSerialInterface implements SimulatedSerialInterface {
  readonly #token: OtpTokenFirmware;
  #send: ((bytes: Uint8Array) => void) | undefined;
  readonly #line = new Uint8Array(SERIAL_MAX_LINE);
  #length = 0;
  #overflow = false;
  #badBytes = false;
  #afterCr = false;

  constructor(token: OtpTokenFirmware) {
    this.#token = token;
  }

  attach(send: (bytes: Uint8Array) => void): void {
    this.#send = send;
  }

  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x0a && this.#afterCr) {
        // The LF of a CRLF: the CR already ended the line.
        this.#afterCr = false;
        continue;
      }
      this.#afterCr = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        this.#endLine();
        continue;
      }
      if (this.#overflow) continue;
      if (this.#length === SERIAL_MAX_LINE) {
        this.#overflow = true;
        continue;
      }
      // Printable ASCII and TAB; anything else spoils the line (answered when it ends).
      if ((b < 0x20 && b !== 0x09) || b > 0x7e) this.#badBytes = true;
      this.#line[this.#length++] = b;
    }
  }

  disconnect(): void {
    this.#reset();
    this.#afterCr = false;
  }

  #reset(): void {
    this.#length = 0;
    this.#overflow = false;
    this.#badBytes = false;
  }

  #endLine(): void {
    const overflow = this.#overflow;
    const bad = this.#badBytes;
    const text = overflow || bad ? '' : String.fromCharCode(...this.#line.subarray(0, this.#length));
    const empty = this.#length === 0 && !overflow;
    this.#reset();
    if (empty) return;
    if (overflow) return this.#answer(`ERR ${SERIAL_ERR.LINE_TOO_LONG} line longer than ${SERIAL_MAX_LINE} bytes`);
    if (bad) return this.#answer(`ERR ${SERIAL_ERR.BAD_CHARACTERS} line holds bytes that are not printable ASCII`);
    if (text.trim() === '') return;
    this.#answer(this.#execute(parseSerialCommand(text)));
  }

  #answer(line: string): void {
    const out = new Uint8Array(line.length + 2);
    for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
    out[line.length] = 0x0d;
    out[line.length + 1] = 0x0a;
    this.#send?.(out);
  }

  #execute(cmd: Command): string {
    const token = this.#token;
    try {
      switch (cmd.kind) {
        case 'error':
          return `ERR ${cmd.code} ${cmd.message}`;
        case 'idn':
          return formatIdentity(token.identity);
        case 'press':
          return token.press().code;
        case 'display':
          return token.display()?.code ?? DISPLAY_BLANK;
        case 'status':
          return token.fault.toUpperCase();
        case 'sim-time':
          token.setTime(cmd.seconds);
          return 'OK';
        case 'sim-time?':
          return String(token.timeSeconds());
        case 'sim-adv':
          token.advance(cmd.seconds);
          return 'OK';
        case 'sim-drift':
          token.setDrift(cmd.ppm);
          return 'OK';
        case 'sim-drift?':
          return String(token.crystal.ppm);
        case 'sim-fault':
          token.setFault(cmd.fault);
          return 'OK';
      }
    } catch (e) {
      return errorLine(e);
    }
  }
}

/** The one place token errors become serial error codes. */
function errorLine(e: unknown): string {
  if (e instanceof OtpTokenError) {
    const code = e.reason === 'battery-dead' ? SERIAL_ERR.BATTERY_DEAD : e.reason === 'end-of-life' ? SERIAL_ERR.END_OF_LIFE : SERIAL_ERR.STORAGE;
    return `ERR ${code} ${e.message}`;
  }
  if (e instanceof RangeError || e instanceof TypeError) return `ERR ${SERIAL_ERR.BAD_ARGUMENT} ${e.message}`;
  return `ERR ${SERIAL_ERR.STORAGE} ${e instanceof Error ? e.message : String(e)}`;
}
