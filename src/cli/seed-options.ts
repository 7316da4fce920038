/**
 * `--seed-file FILE [--password P | --key HEX] [--serial SN]` and `--qr FILE.png` for commands
 * that take a token's secret (`otp code|verify`, `sim otp`): one loader, one set of messages.
 *
 * @example
 * ```ts
 * const seed = await seedFromOptions(args); // undefined when neither option was given
 * ```
 */
import { badInput } from '../errors.js';
import { hexDecode } from '../otp/index.js';
import type { TokenSeed } from '../seeds/index.js';
import { type OptionSpec, type ParsedArgs, stringOpt } from './args.js';
import type { CliIo } from './cli-io.js';
import { withImportProgress } from './progress.js';

/** The options to merge into a command's option spec (`serial` may already be there). */
export const SEED_FILE_OPTIONS = {
  'seed-file': { type: 'string' },
  qr: { type: 'string' },
  password: { type: 'string' },
  key: { type: 'string' },
  serial: { type: 'string' },
} as const satisfies OptionSpec;

/** The token named by --seed-file (picked by --serial when the file has many) or --qr; progress on `io`'s terminal. */
export async function seedFromOptions(args: ParsedArgs, io?: CliIo): Promise<TokenSeed | undefined> {
  const file = stringOpt(args, 'seed-file');
  const qr = stringOpt(args, 'qr');
  if (file !== undefined && qr !== undefined) throw badInput('give --seed-file or --qr, not both');
  const path = file ?? qr;
  if (path === undefined) {
    if (stringOpt(args, 'password') !== undefined || stringOpt(args, 'key') !== undefined) throw badInput('--password and --key go with --seed-file');
    return undefined;
  }
  const password = stringOpt(args, 'password');
  const keyHex = stringOpt(args, 'key');
  if (password !== undefined && keyHex !== undefined) throw badInput('give --password or --key, not both');
  let key: Uint8Array | undefined;
  if (keyHex !== undefined) {
    try {
      key = hexDecode(keyHex);
    } catch {
      throw badInput('--key must be hex (32 hex digits for AES-128)');
    }
  }
  // Loaded only when asked for: the seed formats pull in XML and PNG code `otp code` rarely needs.
  const { loadSeedFile, pickSeed } = await import('../seeds/index.js');
  const seeds = await withImportProgress(io, path, (onProgress) => loadSeedFile(path, { ...(password === undefined ? {} : { password }), ...(key === undefined ? {} : { key }) }, { onProgress }));
  return pickSeed(seeds, stringOpt(args, 'serial'));
}

/**
 * For commands that read `--uri`: resolve --seed-file/--qr into `--uri`, so every other option
 * (--digits, --period, ...) still overrides the file as it overrides a URI.
 */
export async function seedOptionsAsUri(args: ParsedArgs, io?: CliIo): Promise<void> {
  const seed = await seedFromOptions(args, io);
  if (seed === undefined) return;
  if (stringOpt(args, 'uri') !== undefined || stringOpt(args, 'secret') !== undefined) throw badInput('give --seed-file/--qr, --uri or --secret, only one');
  const { seedToUri } = await import('../seeds/index.js');
  args.values.uri = seedToUri(seed);
}
