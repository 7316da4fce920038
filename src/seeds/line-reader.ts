/**
 * Line-based seed formats (CSV layouts, otpauth:// URI lists) are read one line at a time,
 * from a string or streamed from a file, so a file's memory is its keys, not its text.
 */
import { badFile } from '../errors.js';
import { SEED_LIMITS } from './limits.js';
import type { TokenSeed } from './token-seed.js';

/** Reads a line-based format: `line` for each line (numbered from 1), then `finish`. */
export interface SeedLineReader {
  line(text: string, no: number): void;
  /** Every seed read; BAD_FILE when the file held none. */
  finish(): TokenSeed[];
  /** Keys read so far. */
  readonly count: number;
}

/** Feed every line of `text` (CR, LF or CRLF; a leading BOM dropped) to `reader`. */
export function readLines(text: string, reader: SeedLineReader): TokenSeed[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) reader.line(lines[i]!, i + 1);
  return reader.finish();
}

/** BAD_FILE once `seeds` already holds the most keys a file may have. */
export function checkKeyCount(seeds: readonly TokenSeed[], format: string, max: number = SEED_LIMITS.maxKeysPerFile): void {
  if (seeds.length >= max) throw badFile(`${format}: more than ${max} keys in one file (the limit; split the file)`);
}
