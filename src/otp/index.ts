/** The OTP core: HOTP/TOTP (RFC 4226/6238), base32, otpauth:// URIs, secrets, the verifier. */
export { HashAlgorithm, HASH_ALGORITHMS, MAX_PERIOD_SECONDS, parseHashAlgorithm, checkDigits, checkPeriod } from './algorithm.js';
export { base32Decode, base32Encode } from './base32.js';
export { type Counter, OtpKey, dynamicTruncation, hotp } from './hotp.js';
export { type TotpParameters, Totp, totp, totpCounter } from './totp.js';
export { type RandomBytes, cryptoRandomBytes, generateSecret, hexDecode, hexEncode, parseBase32Secret } from './secret.js';
export { type OtpAuthUri, formatOtpAuthUri, parseOtpAuthUri } from './uri.js';
export {
  type LockoutPolicy,
  type RefusalReason,
  type TotpVerifierOptions,
  type VerifierState,
  type VerifyResult,
  HotpVerifier,
  TotpVerifier,
  checkVerifierState,
  createVerifierState,
  lockoutAfter,
} from './verifier.js';
