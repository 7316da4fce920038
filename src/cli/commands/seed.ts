/**
 * `tokenrig seed generate|export|import`: make, convert and read seed files (PSKC, Entra and
 * privacyIDEA CSV, otpauth:// URIs, QR PNGs). Secrets are printed only with --reveal; files are
 * written atomically with mode 0600.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_PROFILES, type DeviceProfile } from '../../../devices/index.js';
import { OTP_TOKEN_STATE_KEY, type OtpTokenState } from '../../../firmware-sim/otp/index.js';
import { badFile, badInput } from '../../errors.js';
import { base32Encode, hexDecode, parseBase32Secret } from '../../otp/index.js';
import {
  BUILTIN_SEED_PROFILES,
  type PskcWriteOptions,
  SEED_FORMATS,
  type SeedProfile,
  type TokenSeed,
  describeSeed,
  formatSeedFile,
  generateSeeds,
  loadSeedFile,
  readSeedFile,
  renderQrTerminal,
  seedFromUri,
  seedToUri,
} from '../../seeds/index.js';
import { type ParsedArgs, choiceOpt, flag, intOpt, requireOpt, stringOpt } from '../args.js';
import { withImportProgress } from '../progress.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable, FlagTable } from '../command.js';
import { OUTPUT_FLAGS, checkOutput, outputPath, writeOutput } from '../output-file.js';
import { KEY, PASSWORD } from '../seed-options.js';
import { secretInput } from '../secret-input.js';
import { SECRET } from './otp.js';

const OUT_FORMATS = [...SEED_FORMATS, 'qr-terminal'] as const;
type OutFormat = (typeof OUT_FORMATS)[number];

const PROFILES = [...new Set([...Object.keys(DEVICE_PROFILES), ...Object.keys(BUILTIN_SEED_PROFILES)])];

/** The secrets that encrypt a PSKC file written: `--out-password`, `--out-key` (and -file, env). */
const OUT_PASSWORD = secretInput('out-password', { value: 'PASSWORD', env: 'TOKENRIG_OUT_PASSWORD', help: 'encrypt the PSKC file written with a key derived from this password (PBKDF2)' });
const OUT_KEY = secretInput('out-key', { value: 'HEX', env: 'TOKENRIG_OUT_KEY', help: 'encrypt the PSKC file written with this pre-shared AES key (32 hex digits)' });

const WRITE_FLAGS: FlagTable = {
  format: { type: 'string', value: 'FORMAT', help: 'pskc, csv-entra, csv-privacyidea, uri, base32 (AWS Base32StringSeed), qr (a PNG),\nqr-terminal (on stdout, needs --reveal)' },
  ...OUTPUT_FLAGS,
  reveal: { type: 'boolean', help: 'show the secrets in the summary (and allow qr-terminal)' },
};

const WRITE_NOTE = 'Only PSKC can be encrypted: --out-key is a pre-shared AES-128 key, --out-password derives one with\nPBKDF2 (RFC 6030 §6.2). Files are written atomically with mode 0600 and never replace a file without\n--force. Text formats go to stdout without --out (or with --out -). docs/seed-files.md has the formats.';

/** A seed profile: a device profile of that name, else a built-in seed profile. */
export function seedProfile(name: string): SeedProfile {
  const d: DeviceProfile | undefined = Object.hasOwn(DEVICE_PROFILES, name) ? DEVICE_PROFILES[name] : undefined;
  if (d !== undefined) return fromDeviceProfile(d);
  const b = Object.hasOwn(BUILTIN_SEED_PROFILES, name) ? BUILTIN_SEED_PROFILES[name] : undefined;
  if (b !== undefined) return b;
  throw badInput(`unknown profile ${JSON.stringify(name)}: use one of ${[...Object.keys(DEVICE_PROFILES), ...Object.keys(BUILTIN_SEED_PROFILES)].join(', ')}`);
}

function fromDeviceProfile(d: DeviceProfile): SeedProfile {
  const p: SeedProfile = { name: d.name, manufacturer: d.manufacturer, model: d.model, serialPrefix: d.serialFormat.prefix, serialDigits: d.serialFormat.digits, type: d.otp.kind, algorithm: d.otp.algorithm, digits: d.otp.digits };
  if (d.otp.kind === 'totp') p.period = d.otp.period;
  else p.counter = BigInt(d.otp.initialCounter);
  return p;
}

/** The PSKC keys `--password`/`--key` (a file read) or, with `prefix` 'out-', of the file written. */
function keyOptions(args: ParsedArgs, prefix: '' | 'out-' = ''): { password?: string; key?: Uint8Array } {
  const password = stringOpt(args, `${prefix}password`);
  const keyHex = stringOpt(args, `${prefix}key`);
  if (password !== undefined && keyHex !== undefined) throw badInput(`give --${prefix}password or --${prefix}key, not both`);
  if (password !== undefined) return { password };
  if (keyHex !== undefined) {
    let key: Uint8Array;
    try {
      key = hexDecode(keyHex);
    } catch {
      throw badInput(`--${prefix}key must be hex (32 hex digits for AES-128)`);
    }
    if (![16, 24, 32].includes(key.length)) throw badInput(`--${prefix}key must be 16, 24 or 32 bytes of hex, got ${key.length} bytes`);
    return { key };
  }
  return {};
}

function describeAll(seeds: readonly TokenSeed[], reveal: boolean): Record<string, string | number>[] {
  return seeds.map((s) => describeSeed(s, reveal, (b) => base32Encode(b, { padding: false })));
}

async function writeOut(io: CliIo, args: ParsedArgs, seeds: TokenSeed[], format: OutFormat, options: PskcWriteOptions, action: string): Promise<number> {
  const json = flag(args, 'json');
  if (format === 'qr-terminal') {
    if (!flag(args, 'reveal')) throw badInput('a terminal QR code shows the secret: add --reveal to print it');
    if (seeds.length !== 1) throw badInput(`a QR code holds one token; got ${seeds.length}`);
    if (options.key !== undefined || options.password !== undefined) throw badInput('only PSKC files can be encrypted');
    const uri = seedToUri(seeds[0]!);
    if (json) printJson(io, { format, uri, qr: renderQrTerminal(uri) });
    else io.stdout.write(renderQrTerminal(uri));
    return 0;
  }
  const data = await formatSeedFile(seeds, format, options);
  const encrypted = options.key !== undefined ? 'key' : options.password !== undefined ? 'password' : 'none';
  const summary = { [action]: seeds.length, format, encrypted, tokens: describeAll(seeds, flag(args, 'reveal')) };
  if (json && outputPath(args) === undefined && format !== 'qr') {
    // One JSON document on stdout: the file's text goes inside it.
    printJson(io, { ...summary, out: 'stdout', content: new TextDecoder().decode(data) });
    return 0;
  }
  const to = await writeOutput(io, args, data, { binary: format === 'qr' });
  if (json) printJson(io, { ...summary, out: to, ...(to === 'stdout' ? {} : { mode: '0600' }) });
  else if (to !== 'stdout') printLine(io, `${action} ${seeds.length} token${seeds.length === 1 ? '' : 's'} to ${to} (${format}${encrypted === 'none' ? '' : `, encrypted with a ${encrypted}`}, mode 0600)`);
  return 0;
}

async function generate(args: ParsedArgs, io: CliIo): Promise<number> {
  checkOutput(args);
  const count = intOpt(args, 'count', 1, 100_000) ?? 1;
  const format = choiceOpt(args, 'format', OUT_FORMATS) ?? 'pskc';
  const seeds = generateSeeds(count, seedProfile(stringOpt(args, 'profile') ?? 'aws-totp'));
  const issuer = stringOpt(args, 'issuer');
  if (issuer !== undefined) for (const s of seeds) s.issuer = issuer;
  return writeOut(io, args, seeds, format, keyOptions(args, 'out-'), 'generated');
}

/** The token(s) an export starts from. */
async function exportSource(args: ParsedArgs): Promise<TokenSeed[]> {
  const sources = ['secret', 'uri', 'state', 'seed-file'].filter((n) => stringOpt(args, n) !== undefined);
  if (sources.length !== 1) throw badInput('give exactly one of --secret B32 (with --serial), --uri, --state DIR or --seed-file FILE');
  const serial = stringOpt(args, 'serial');
  let seeds: TokenSeed[];
  if (sources[0] === 'secret') {
    if (serial === undefined) throw badInput('--secret needs --serial SN');
    const p = seedProfile(stringOpt(args, 'profile') ?? 'aws-totp');
    const seed: TokenSeed = { serial, secret: parseBase32Secret(requireOpt(args, 'secret')), type: p.type, algorithm: p.algorithm, digits: p.digits, manufacturer: p.manufacturer, model: p.model };
    if (p.type === 'totp') seed.period = p.period ?? 30;
    else seed.counter = p.counter ?? 0n;
    seeds = [seed];
  } else if (sources[0] === 'uri') {
    seeds = [seedFromUri(requireOpt(args, 'uri'), serial)];
  } else if (sources[0] === 'state') {
    seeds = [seedFromState(requireOpt(args, 'state'))];
  } else {
    const all = await loadSeedFile(requireOpt(args, 'seed-file'), keyOptions(args));
    seeds = serial === undefined ? all : all.filter((s) => s.serial === serial);
    if (seeds.length === 0) throw badInput(`no token with serial ${JSON.stringify(serial)} in the seed file`);
  }
  const issuer = stringOpt(args, 'issuer');
  const account = stringOpt(args, 'account');
  for (const s of seeds) {
    if (issuer !== undefined) s.issuer = issuer;
    if (account !== undefined) s.account = account;
  }
  return seeds;
}

/** The token a simulator persisted with `tokenrig sim otp --state DIR`. */
function seedFromState(dir: string): TokenSeed {
  let state: OtpTokenState;
  try {
    state = JSON.parse(readFileSync(join(dir, OTP_TOKEN_STATE_KEY), 'utf8')) as OtpTokenState;
  } catch (e) {
    throw badFile(`${dir}: no readable token state (${OTP_TOKEN_STATE_KEY}); start one with tokenrig sim otp --state ${dir}`, e);
  }
  if (typeof state !== 'object' || state === null || typeof state.serial !== 'string' || typeof state.secret !== 'string' || typeof state.profile !== 'string') throw badFile(`${dir}/${OTP_TOKEN_STATE_KEY}: unknown shape`);
  const d = Object.hasOwn(DEVICE_PROFILES, state.profile) ? DEVICE_PROFILES[state.profile] : undefined;
  if (d === undefined) throw badFile(`${dir}: the token's profile ${JSON.stringify(state.profile)} is unknown`);
  const seed: TokenSeed = { serial: state.serial, secret: parseBase32Secret(state.secret), type: d.otp.kind, algorithm: d.otp.algorithm, digits: d.otp.digits, manufacturer: d.manufacturer, model: d.model };
  if (d.otp.kind === 'totp') seed.period = d.otp.period;
  else seed.counter = BigInt(state.counter);
  return seed;
}

async function exportSeeds(args: ParsedArgs, io: CliIo): Promise<number> {
  checkOutput(args);
  const format = choiceOpt(args, 'format', OUT_FORMATS);
  if (format === undefined) throw badInput(`--format is required: ${OUT_FORMATS.join(', ')}`);
  const seeds = await exportSource(args);
  return writeOut(io, args, seeds, format, keyOptions(args, 'out-'), 'exported');
}

async function importSeeds(args: ParsedArgs, io: CliIo): Promise<number> {
  const file = args.positionals[0]!;
  const { format, seeds } = await withImportProgress(io, file, (onProgress) => readSeedFile(file, keyOptions(args), { onProgress }));
  const reveal = flag(args, 'reveal');
  const tokens = describeAll(seeds, reveal);
  if (flag(args, 'json')) {
    printJson(io, { file, format, count: seeds.length, tokens });
    return 0;
  }
  printLine(io, `${file}: ${seeds.length} token${seeds.length === 1 ? '' : 's'} (${format})`);
  for (const t of tokens) {
    const params = t.type === 'totp' ? `${t.period}s` : `counter ${t.counter}`;
    const who = [t.issuer, t.account].filter((x) => x !== undefined).join(':');
    printLine(io, `  ${t.serial}  ${t.type} ${t.algorithm} ${t.digits} digits ${params}${who === '' ? '' : `  ${who}`}${reveal ? `  secret ${t.secret}` : ''}`);
  }
  return 0;
}

export const commands: CommandTable = {
  generate: {
    summary: "make N new tokens (random seeds, serials in the profile's format) as a seed file",
    flags: {
      count: { type: 'string', value: 'N', help: 'how many tokens, 1 to 100000 (default 1)' },
      profile: { type: 'string', value: 'NAME', help: `the tokens' kind: ${PROFILES.join(', ')} (default aws-totp)` },
      issuer: { type: 'string', value: 'NAME', help: 'the issuer named in URIs and QR codes' },
      ...WRITE_FLAGS,
    },
    secrets: [OUT_PASSWORD, OUT_KEY],
    notes: [WRITE_NOTE],
    examples: ['tokenrig seed generate --count 50 --format pskc --out-password-file pw.txt --out batch.pskc', 'tokenrig seed generate --format uri'],
    exits: { BAD_INPUT: ['--count', '0'], BAD_FILE: ['--out', '{tmp}/no/such/dir/batch.pskc'] },
    run: generate,
  },
  export: {
    summary: 'write tokens from a secret, a URI, a simulator state or a seed file in another format',
    flags: {
      ...WRITE_FLAGS,
      serial: { type: 'string', value: 'SN', help: 'the serial of the token (with --secret), or the one to take from --seed-file' },
      profile: { type: 'string', value: 'NAME', help: `with --secret: the token's kind (${PROFILES.join(', ')}; default aws-totp)` },
      issuer: { type: 'string', value: 'NAME', help: 'the issuer named in URIs and QR codes' },
      account: { type: 'string', value: 'NAME', help: 'the account named in URIs and QR codes' },
      uri: { type: 'string', value: 'URI', help: 'the token of an otpauth:// URI' },
      state: { type: 'string', value: 'DIR', help: 'the token a simulator keeps in DIR (tokenrig sim otp --state DIR)' },
      'seed-file': { type: 'string', value: 'FILE', help: 'the tokens of a seed file (decrypted with --password or --key)' },
    },
    secrets: [SECRET, PASSWORD, KEY, OUT_PASSWORD, OUT_KEY],
    notes: ['The tokens come from exactly one of --secret (with --serial), --uri, --state or --seed-file.\n--password and --key unlock the --seed-file read; --out-password and --out-key encrypt the file written.', WRITE_NOTE],
    examples: [
      'tokenrig seed export --seed-file batch.pskc --password-file pw.txt --format csv-entra --out entra.csv',
      "tokenrig seed export --uri 'otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP' --format qr --out alice.png",
      'tokenrig seed export --state ./token --format uri',
    ],
    exits: {
      BAD_INPUT: ['--format', 'pskc'],
      BAD_FILE: ['--format', 'uri', '--seed-file', '{file}'],
      NOT_FOUND: ['--format', 'uri', '--seed-file', '{tmp}/missing.pskc'],
      REJECTED: ['--format', 'uri', '--seed-file', '{pskc-pw}', '--password', 'wrong'],
    },
    run: exportSeeds,
  },
  import: {
    summary: 'read a seed file (format sniffed from its content) and list its tokens, secrets hidden',
    args: 'FILE',
    positionals: { min: 1, max: 1 },
    flags: { reveal: { type: 'boolean', help: 'show the secrets (Base32)' } },
    secrets: [PASSWORD, KEY],
    notes: ['FILE is PSKC (plain or encrypted: --password or --key), Entra or privacyIDEA CSV, otpauth:// URIs, or a\nQR PNG. A wrong password or a tampered file is exit 9, a truncated one exit 3.'],
    examples: ['tokenrig seed import batch.pskc --password-file pw.txt', 'tokenrig seed import QRCode.png --json'],
    exits: {
      BAD_INPUT: [],
      BAD_FILE: ['{file}'],
      NOT_FOUND: ['{tmp}/missing.pskc'],
      REJECTED: ['{pskc-pw}', '--password', 'wrong'],
    },
    run: importSeeds,
  },
};
