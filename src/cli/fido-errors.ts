/**
 * FIDO errors that explain themselves: the CTAP status name (CTAP 2.1 §8.2.1) with what it
 * means and what to do, and the exit status the rest of the CLI uses for the same kind of
 * failure (a wrong PIN is REJECTED like a wrong password; a key that was not touched in time
 * is TIMEOUT). The wire code stays on the error.
 *
 * @example
 * ```ts
 * catch (e) { throw explainFidoError(e, { command: 'pin change', retries: 6 }); }
 * // PIN_INVALID: wrong PIN, 6 tries left
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CTAP2_STATUS, ctap2StatusName } from '../protocol/ctap-status.js';

/** What the CLI knows when a FIDO command fails. */
export interface FidoErrorContext {
  /** The fido command that failed (`reset`, `pin change`, ...). */
  command: string;
  /** PIN retries left, when the key could still say (after PIN_INVALID). */
  retries?: number | undefined;
}

interface Advice {
  code: ErrorCode;
  say: (c: FidoErrorContext) => string;
}

const S = CTAP2_STATUS;

/** CTAP2 statuses a user meets, with their meaning and the way out. */
const ADVICE: Readonly<Partial<Record<number, Advice>>> = {
  [S.CTAP2_ERR_PIN_INVALID]: {
    code: ErrorCode.REJECTED,
    say: (c) => `wrong PIN${c.retries === undefined ? '' : `, ${c.retries} ${c.retries === 1 ? 'try' : 'tries'} left`}${c.retries === 0 ? ': the PIN is now blocked' : ''}`,
  },
  // CTAP 2.1 §6.5.5.5: setPIN on a key that has a PIN answers PIN_AUTH_INVALID.
  [S.CTAP2_ERR_PIN_AUTH_INVALID]: {
    code: ErrorCode.REJECTED,
    say: (c) => (c.command === 'pin set' ? 'the key already has a PIN: change it with tokenrig fido pin change' : 'the key refused the PIN token (it may have been replugged): try again'),
  },
  [S.CTAP2_ERR_PIN_AUTH_BLOCKED]: { code: ErrorCode.DEVICE, say: () => 'three wrong PINs in a row: unplug and replug the key, then try again' },
  [S.CTAP2_ERR_PIN_BLOCKED]: { code: ErrorCode.DEVICE, say: () => 'the PIN is blocked after too many wrong tries: only a reset (tokenrig fido reset --yes) makes the key usable again, and it erases every credential' },
  [S.CTAP2_ERR_PIN_NOT_SET]: { code: ErrorCode.DEVICE, say: () => 'the key has no PIN yet: set one with tokenrig fido pin set' },
  [S.CTAP2_ERR_PUAT_REQUIRED]: { code: ErrorCode.DEVICE, say: () => 'the key needs its PIN for this: give --pin (or --pin-file, TOKENRIG_FIDO_PIN)' },
  [S.CTAP2_ERR_PIN_POLICY_VIOLATION]: { code: ErrorCode.BAD_INPUT, say: () => "the new PIN breaks the key's PIN policy (at least 4 characters, more on some keys; at most 63 bytes)" },
  [S.CTAP2_ERR_NOT_ALLOWED]: {
    code: ErrorCode.DEVICE,
    say: (c) =>
      c.command === 'reset'
        ? 'reset is only allowed within 10 s of plugging the key in: replug it and run the command at once'
        : 'the key does not allow this now',
  },
  [S.CTAP2_ERR_OPERATION_DENIED]: { code: ErrorCode.REJECTED, say: () => 'the key refused: the touch was denied' },
  [S.CTAP2_ERR_USER_ACTION_TIMEOUT]: { code: ErrorCode.TIMEOUT, say: () => 'nobody touched the key in time: run the command again and touch the key when it blinks' },
  [S.CTAP2_ERR_ACTION_TIMEOUT]: { code: ErrorCode.TIMEOUT, say: () => 'the key timed out waiting: run the command again' },
  [S.CTAP2_ERR_KEEPALIVE_CANCEL]: { code: ErrorCode.DEVICE, say: () => 'the request was cancelled' },
  [S.CTAP2_ERR_NO_CREDENTIALS]: { code: ErrorCode.NOT_FOUND, say: () => 'the key holds no credential for this relying party (or none of allowCredentials)' },
  [S.CTAP2_ERR_CREDENTIAL_EXCLUDED]: { code: ErrorCode.REJECTED, say: () => 'the key already holds a credential in excludeCredentials: it is registered already' },
  [S.CTAP2_ERR_UNSUPPORTED_ALGORITHM]: { code: ErrorCode.UNSUPPORTED, say: () => 'the key supports none of the algorithms in pubKeyCredParams (tokenrig fido info lists its own)' },
  [S.CTAP2_ERR_UNSUPPORTED_OPTION]: { code: ErrorCode.UNSUPPORTED, say: () => 'the key does not support an option asked for (resident keys or user verification)' },
  [S.CTAP2_ERR_KEY_STORE_FULL]: { code: ErrorCode.DEVICE, say: () => 'the key has no room for another discoverable credential: delete one first' },
  [S.CTAP2_ERR_FP_DATABASE_FULL]: { code: ErrorCode.DEVICE, say: () => 'the key holds as many fingerprints as it can: delete one first (tokenrig fido bio delete)' },
  [S.CTAP2_ERR_UV_BLOCKED]: { code: ErrorCode.DEVICE, say: () => 'built-in user verification is blocked: use the PIN' },
  [S.CTAP2_ERR_UV_INVALID]: { code: ErrorCode.REJECTED, say: () => 'user verification failed (fingerprint not recognised)' },
  [S.CTAP2_ERR_UP_REQUIRED]: { code: ErrorCode.DEVICE, say: () => 'the key needs a touch for this' },
  [S.CTAP2_ERR_REQUEST_TOO_LARGE]: { code: ErrorCode.DEVICE, say: () => 'the request is larger than the key accepts (see maxMsgSize in tokenrig fido info)' },
  [S.CTAP1_ERR_CHANNEL_BUSY]: { code: ErrorCode.BUSY, say: () => 'the key is busy with another program: close it or try again' },
  [S.CTAP1_ERR_INVALID_COMMAND]: { code: ErrorCode.UNSUPPORTED, say: () => 'the device does not know this command: is --device its FIDO interface (a ready line\'s hid, or fido on a composite key)?' },
  [S.CTAP2_ERR_INVALID_CREDENTIAL]: { code: ErrorCode.DEVICE, say: () => 'the key does not know this credential (it was made by another key, or before a reset)' },
};

/** The short CTAP name: `CTAP2_ERR_PIN_INVALID` → `PIN_INVALID`. */
export function shortStatusName(status: number): string {
  return ctap2StatusName(status).replace(/^CTAP[12]_ERR_/, '');
}

/** True when `e` is a CTAP2 status error (a DEVICE error whose wire code is a status byte). */
export function ctapStatusOf(e: unknown): number | undefined {
  return e instanceof TokenrigError && e.code === ErrorCode.DEVICE && typeof e.wireCode === 'number' && e.wireCode <= 0xff ? e.wireCode : undefined;
}

/** `e` with its CTAP status explained; other errors pass through unchanged. */
export function explainFidoError(e: unknown, context: FidoErrorContext): unknown {
  const status = ctapStatusOf(e);
  if (status === undefined) return e;
  const advice = ADVICE[status];
  const name = shortStatusName(status);
  const message = advice === undefined ? `${name}: the key refused the request (${(e as Error).message})` : `${name}: ${advice.say(context)}`;
  return new TokenrigError(advice?.code ?? ErrorCode.DEVICE, message, { wireCode: status, cause: e });
}
