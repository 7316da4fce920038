/**
 * The few typed errors of tokenrig. Every error carries a stable `code` a script can test;
 * errors that came off a wire keep the wire's own status code in `wireCode`.
 *
 * @example
 * ```ts
 * try { parseDeviceSpec('bogus') } catch (e) {
 *   if (e instanceof TokenrigError && e.code === 'BAD_INPUT') console.error(e.message);
 * }
 * ```
 */

/** Stable error codes; the CLI maps each to an exit status. */
export const ErrorCode = {
  /** The caller gave a value that is wrong (a user's mistake): one line, exit 2. */
  BAD_INPUT: 'BAD_INPUT',
  /** A file is unreadable, truncated, tampered with or of the wrong format. */
  BAD_FILE: 'BAD_FILE',
  /** A device or peer broke its protocol (bad framing, non-canonical CBOR, wrong nonce). */
  PROTOCOL: 'PROTOCOL',
  /** A device answered with an error status (CTAP, CTAPHID, APDU or serial ERR). */
  DEVICE: 'DEVICE',
  /** Nothing answered in time. */
  TIMEOUT: 'TIMEOUT',
  /** The device or transport is not there, or went away. */
  NOT_FOUND: 'NOT_FOUND',
  /** A transport or endpoint is closed. */
  CLOSED: 'CLOSED',
  /** A verification failed (wrong OTP code, replay, bad signature, wrong password/MAC). */
  REJECTED: 'REJECTED',
  /** Something not supported by this device, profile or build. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A port or device is taken by something else (another simulator on the same port). */
  BUSY: 'BUSY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Exit status the CLI uses for each error code. */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_INPUT: 2,
  BAD_FILE: 3,
  PROTOCOL: 4,
  DEVICE: 5,
  TIMEOUT: 6,
  NOT_FOUND: 7,
  CLOSED: 8,
  REJECTED: 9,
  UNSUPPORTED: 10,
  BUSY: 11,
};

export interface TokenrigErrorOptions {
  /** The status code as sent on the wire (CTAP status byte, APDU SW, serial ERR code). */
  wireCode?: number | string;
  cause?: unknown;
}

/** The base of every error tokenrig throws on purpose. */
export class TokenrigError extends Error {
  override readonly name: string = 'TokenrigError';
  readonly code: ErrorCode;
  readonly wireCode: number | string | undefined;

  constructor(code: ErrorCode, message: string, options: TokenrigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.wireCode = options.wireCode;
  }
}

/** Shorthand for a user's mistake: `throw badInput('--digits must be 6..10')`. */
export function badInput(message: string): TokenrigError {
  return new TokenrigError(ErrorCode.BAD_INPUT, message);
}

/** Shorthand for a bad or tampered file. */
export function badFile(message: string, cause?: unknown): TokenrigError {
  return new TokenrigError(ErrorCode.BAD_FILE, message, { cause });
}
