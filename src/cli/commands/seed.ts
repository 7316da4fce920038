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
  writeFileAtomic,
} from '../../seeds/index.js';
import { type OptionSpec, type ParsedArgs, choiceOpt, flag, intOpt, parseCommandArgs, requireOpt, stringOpt } from '../args.js';
import { withImportProgress } from '../progress.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';

const OUT_FORMATS = [...SEED_FORMATS, 'qr-terminal'] as const;
type OutFormat = (typeof OUT_FORMATS)[number];

const USAGE = `usage:
  tokenrig seed generate --count N [--profile P] --format F --out FILE [--password P | --key HEX]
  tokenrig seed export   --format F [--out FILE] [--password P | --key HEX]
                         (--secret B32 --serial SN [--profile P] [--issuer I] [--account A]
                          | --uri otpauth://... | --state DIR | --seed-file FILE [--serial SN])
  tokenrig seed import   FILE [--password P | --key HEX] [--reveal] [--json]

  formats: pskc, csv-entra, csv-privacyidea, uri, qr (a PNG), base32 (AWS Base32StringSeed),
           qr-terminal (stdout, needs --reveal)
  profiles: ${[...Object.keys(DEVICE_PROFILES), ...Object.keys(BUILTIN_SEED_PROFILES)].join(', ')} (default aws-totp)
  Only PSKC can be encrypted: --key HEX is a pre-shared AES-128 key (32 hex digits),
  --password derives one with PBKDF2 (RFC 6030 §6.2). Files are written with mode 0600.
  import sniffs the format from the content and prints tokens without secrets unless --reveal.`;

const KEY_OPTIONS = { password: { type: 'string' }, key: { type: 'string' }, reveal: { type: 'boolean' } } as const satisfies OptionSpec;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'generate') return generate(rest, io);
  if (sub === 'export') return exportSeeds(rest, io);
  if (sub === 'import') return importSeeds(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    printLine(io, USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw badInput(`unknown seed command ${JSON.stringify(sub)}: use generate, export or import`);
}

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

function keyOptions(args: ParsedArgs): { password?: string; key?: Uint8Array } {
  const password = stringOpt(args, 'password');
  const keyHex = stringOpt(args, 'key');
  if (password !== undefined && keyHex !== undefined) throw badInput('give --password or --key, not both');
  if (password !== undefined) return { password };
  if (keyHex !== undefined) {
    let key: Uint8Array;
    try {
      key = hexDecode(keyHex);
    } catch {
      throw badInput('--key must be hex (32 hex digits for AES-128)');
    }
    if (![16, 24, 32].includes(key.length)) throw badInput(`--key must be 16, 24 or 32 bytes of hex, got ${key.length} bytes`);
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
  const out = requireOpt(args, 'out');
  await writeFileAtomic(out, await formatSeedFile(seeds, format, options));
  const encrypted = options.key !== undefined ? 'key' : options.password !== undefined ? 'password' : 'none';
  if (json) printJson(io, { [action]: seeds.length, format, out, mode: '0600', encrypted, tokens: describeAll(seeds, flag(args, 'reveal')) });
  else printLine(io, `${action} ${seeds.length} token${seeds.length === 1 ? '' : 's'} to ${out} (${format}${encrypted === 'none' ? '' : `, encrypted with a ${encrypted}`}, mode 0600)`);
  return 0;
}

async function generate(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...KEY_OPTIONS, count: { type: 'string' }, profile: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, issuer: { type: 'string' } });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const count = intOpt(args, 'count', 1, 100_000) ?? 1;
  const format = choiceOpt(args, 'format', OUT_FORMATS) ?? 'pskc';
  const seeds = generateSeeds(count, seedProfile(stringOpt(args, 'profile') ?? 'aws-totp'));
  const issuer = stringOpt(args, 'issuer');
  if (issuer !== undefined) for (const s of seeds) s.issuer = issuer;
  return writeOut(io, args, seeds, format, keyOptions(args), 'generated');
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
    const all = await loadSeedFile(requireOpt(args, 'seed-file'), keyOptions({ values: { password: args.values['in-password'], key: args.values['in-key'] }, positionals: [] }));
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

async function exportSeeds(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {
    ...KEY_OPTIONS,
    format: { type: 'string' },
    out: { type: 'string' },
    secret: { type: 'string' },
    serial: { type: 'string' },
    profile: { type: 'string' },
    issuer: { type: 'string' },
    account: { type: 'string' },
    uri: { type: 'string' },
    state: { type: 'string' },
    'seed-file': { type: 'string' },
    'in-password': { type: 'string' },
    'in-key': { type: 'string' },
  });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const format = choiceOpt(args, 'format', OUT_FORMATS);
  if (format === undefined) throw badInput(`--format is required: ${OUT_FORMATS.join(', ')}`);
  const seeds = await exportSource(args);
  return writeOut(io, args, seeds, format, keyOptions(args), 'exported');
}

async function importSeeds(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, KEY_OPTIONS, true);
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  if (args.positionals.length !== 1) throw badInput('usage: tokenrig seed import FILE [--password P | --key HEX] [--reveal] [--json]');
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
