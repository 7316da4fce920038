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
import type { PskcKeys, TokenSeed } from '../seeds/index.js';
import { type ParsedArgs, stringOpt } from './args.js';
import type { FlagTable } from './command.js';
import { type SecretInput, secretInput } from './secret-input.js';
import type { CliIo } from './cli-io.js';
import { withImportProgress } from './progress.js';

/** The password of an encrypted PSKC file read (`--password`, `--password-file`, TOKENRIG_PASSWORD). */
export const PASSWORD = secretInput('password', { value: 'PASSWORD', env: 'TOKENRIG_PASSWORD', help: 'the password of an encrypted PSKC file read (PBKDF2, RFC 6030 §6.2)' });
/** The pre-shared key of an encrypted PSKC file read (`--key`, `--key-file`, TOKENRIG_KEY). */
export const KEY = secretInput('key', { value: 'HEX', env: 'TOKENRIG_KEY', help: 'the pre-shared AES key (32 hex digits) of an encrypted PSKC file read' });
/** The secrets that unlock a seed file. */
export const SEED_FILE_SECRETS: readonly SecretInput[] = [PASSWORD, KEY];

/** The flags to merge into a command's flags (with SEED_FILE_SECRETS in its secrets). */
export const SEED_FILE_FLAGS: FlagTable = {
  'seed-file': { type: 'string', value: 'FILE', help: 'take the token from a seed file (PSKC, Entra or privacyIDEA CSV, otpauth URIs,\na QR PNG; docs/seed-files.md); --serial picks one of many' },
  qr: { type: 'string', value: 'PNG', help: 'take the token from an enrollment QR code (AWS CreateVirtualMFADevice, authenticator apps)' },
  serial: { type: 'string', value: 'SN', help: 'the serial number of the token to take from a --seed-file that holds many' },
};

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
  // Loaded only when asked for: the seed formats pull in XML and PNG code `otp code` rarely needs.
  const { loadSeedFile, pickSeed } = await import('../seeds/index.js');
  const seeds = await withImportProgress(io, path, (onProgress) => loadSeedFile(path, pskcKeysFromOptions(args), { onProgress }));
  return pickSeed(seeds, stringOpt(args, 'serial'));
}

/** `--password` or `--key` (not both; read by SEED_FILE_SECRETS) as the keys that decrypt a PSKC file. */
export function pskcKeysFromOptions(args: ParsedArgs): PskcKeys {
  const password = stringOpt(args, 'password');
  const keyHex = stringOpt(args, 'key');
  if (password !== undefined && keyHex !== undefined) throw badInput('give --password or --key, not both');
  if (password !== undefined) return { password };
  if (keyHex === undefined) return {};
  try {
    return { key: hexDecode(keyHex) };
  } catch {
    throw badInput('--key must be hex (32 hex digits for AES-128)');
  }
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
