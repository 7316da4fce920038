/**
 * Where a command's output goes, the same way in every command: `--out FILE` writes the file
 * atomically with mode 0600 and never replaces one that exists unless `--force` is given;
 * `--out -` or no `--out` writes to stdout, for text (a PNG goes to stdout only on request,
 * and never to a terminal).
 *
 * @example
 * ```ts
 * flags: { ...OUTPUT_FLAGS }
 * checkOutput(args);                          // before the work: refuse an existing file early
 * const to = await writeOutput(io, args, text, { binary: false }); // 'stdout' or the path
 * ```
 */
import { existsSync } from 'node:fs';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { writeFileAtomic } from '../seeds/index.js';
import { type ParsedArgs, flag, stringOpt } from './args.js';
import type { CliIo } from './cli-io.js';
import type { FlagTable } from './command.js';

export const OUTPUT_FLAGS: FlagTable = {
  out: { type: 'string', value: 'FILE', help: 'write to FILE (atomically, mode 0600); - or no --out: stdout (text formats)' },
  force: { type: 'boolean', help: 'replace --out FILE if it exists (never replaced otherwise)' },
};

/** The --out file, or undefined for stdout. */
export function outputPath(args: ParsedArgs): string | undefined {
  const out = stringOpt(args, 'out');
  return out === undefined || out === '-' ? undefined : out;
}

/** Refuse an existing --out file before doing the work (writeOutput checks again, atomically). */
export function checkOutput(args: ParsedArgs): void {
  const path = outputPath(args);
  if (path !== undefined && !flag(args, 'force') && existsSync(path)) throw badInput(`${path} exists: add --force to replace it`);
}

/** Write the output where --out says; resolves to the path written, or 'stdout'. */
export async function writeOutput(io: CliIo, args: ParsedArgs, data: string | Uint8Array, o: { binary: boolean }): Promise<string> {
  const path = outputPath(args);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (path === undefined) {
    if (o.binary && stringOpt(args, 'out') !== '-') throw badInput('this format is binary: give --out FILE (or --out - to write it to a pipe)');
    if (o.binary && io.isTTY) throw badInput('this format is binary: it is not written to a terminal (give --out FILE or pipe it)');
    io.stdout.write(bytes);
    return 'stdout';
  }
  try {
    await writeFileAtomic(path, bytes, { overwrite: flag(args, 'force') });
  } catch (e) {
    if (e instanceof TokenrigError && e.code === ErrorCode.BAD_INPUT) throw badInput(`${path} exists: add --force to replace it`);
    throw e;
  }
  return path;
}
