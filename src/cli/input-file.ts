/**
 * Files a command reads (`--options create.json`, `--profile-file p.json`), the same way in
 * every command: `-` is stdin; a missing file is NOT_FOUND (exit 7), one that cannot be read
 * BAD_FILE (exit 3), each in one line naming the flag.
 *
 * @example
 * ```ts
 * const options = await readJsonInput(args.values.options, '--options', io); // parsed JSON
 * ```
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, TokenrigError, badFile } from '../errors.js';
import type { CliIo } from './cli-io.js';

/** The text of `path` (`-`: all of stdin). */
export async function readTextInput(path: string, what: string, io: CliIo): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TokenrigError(ErrorCode.NOT_FOUND, `${what} ${path}: no such file`, { cause: e });
    throw badFile(`${what} ${path}: cannot read it (${code ?? (e as Error).message})`, e);
  }
}

/** The JSON document in `path` (`-`: stdin); BAD_FILE naming the flag when it is not JSON. */
export async function readJsonInput(path: string, what: string, io: CliIo): Promise<unknown> {
  const text = await readTextInput(path, what, io);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badFile(`${what} ${path} is not valid JSON: ${(e as Error).message.split('\n')[0]}`, e);
  }
}
