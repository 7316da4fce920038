/**
 * What importing a seed file may cost, and so what it refuses (docs/limits.md has the table
 * and what each refusal says). Files are checked before they are read: their size from the
 * file system, a PNG's pixel count from its IHDR (qr.ts); keys are counted as they are read.
 */
export const SEED_LIMITS = {
  /**
   * The largest seed file. 100,000 keys (the most `seed generate` makes) are about 60 MB of
   * plain PSKC and 90 MB encrypted; text formats need a tenth of that.
   */
  maxFileBytes: 128 * 1024 * 1024,
  /** The largest QR image file: a PNG screenshot of a large screen is a few megabytes. */
  maxPngBytes: 32 * 1024 * 1024,
  /** Keys (tokens) in one file. */
  maxKeysPerFile: 100_000,
  /**
   * PBKDF2 iterations of a password-protected PSKC file: derivation holds the process, about
   * 1.5 µs an iteration here, so 1,000,000 is a second and a half. RFC 6030's example uses
   * 1,000; `seed generate` writes 100,000.
   */
  maxPbkdf2Iterations: 1_000_000,
} as const;
