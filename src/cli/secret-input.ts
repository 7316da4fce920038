/**
 * Secrets and PINs on the command line, the same way in every command: `--NAME VALUE`, or
 * `--NAME -` to read it from stdin, or `--NAME-file FILE` (`-` for stdin too), or an
 * environment variable; so a secret need never sit in argv, where `ps` and shell history see
 * it. One table entry declares the flags and their help; one call reads the value.
 *
 * @example
 * ```ts
 * const PIN = secretInput('pin', { value: 'PIN', env: 'TOKENRIG_FIDO_PIN', help: "the key's PIN" });
 * flags: { ...PIN.flags }
 * const pin = await PIN.read(args, io); // undefined when none was given
 * ```
 */
import { readFile } from 'node:fs/promises';
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';
import type { FlagTable } from './command.js';

export interface SecretInput {
  /** The flag's name (`pin`); `--pin-file` comes with it. */
  readonly name: string;
  readonly env: string;
  readonly flags: FlagTable;
  /** The secret from the flag, its file, stdin or the environment; undefined when none. */
  read(args: ParsedArgs, io: CliIo): Promise<string | undefined>;
}

/** Stdin read once per run: two secrets cannot both come from it. */
const stdinTaken = new WeakSet<CliIo>();

async function readStdin(io: CliIo, what: string): Promise<string> {
  if (stdinTaken.has(io)) throw badInput(`${what}: only one secret can come from stdin`);
  stdinTaken.add(io);
  if ((io.stdin as NodeJS.ReadStream).isTTY === true) io.stderr.write(`${what}: `);
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    // A terminal ends the secret with Enter; a pipe or file with its end.
    if ((io.stdin as NodeJS.ReadStream).isTTY === true && chunks.some((c) => c.includes(0x0a))) break;
  }
  return firstLine(Buffer.concat(chunks).toString('utf8'));
}

/** The first line, without its line end (a file written by `echo` ends with one). */
function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]!;
}

/** A secret flag with its `-file` twin and its environment variable. */
export function secretInput(name: string, o: { value: string; env: string; help: string }): SecretInput {
  const flags: FlagTable = {
    [name]: { type: 'string', value: o.value, help: `${o.help}; - reads it from stdin` },
    [`${name}-file`]: { type: 'string', value: 'FILE', help: `read --${name} from the first line of FILE (- for stdin); or set ${o.env}` },
  };
  return {
    name,
    env: o.env,
    flags,
    async read(args, io) {
      const direct = args.values[name];
      const file = args.values[`${name}-file`];
      if (direct !== undefined && file !== undefined) throw badInput(`give --${name} or --${name}-file, not both`);
      if (typeof direct === 'string') return direct === '-' ? readStdin(io, `--${name}`) : direct;
      if (typeof file === 'string') {
        if (file === '-') return readStdin(io, `--${name}`);
        try {
          return firstLine(await readFile(file, 'utf8'));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw new TokenrigError(ErrorCode.NOT_FOUND, `--${name}-file ${file}: no such file`);
          throw badInput(`--${name}-file ${file}: cannot read it (${code ?? (e as Error).message})`);
        }
      }
      const fromEnv = io.env[o.env];
      return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
    },
  };
}
