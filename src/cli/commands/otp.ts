/**
 * `tokenrig otp code|verify`: compute a code, or check one or two consecutive codes and say
 * the drift. The first stdout line of `otp code` is the code alone, so scripts can read it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { systemClock } from '../../clock/index.js';
import { EXIT_STATUS, TokenrigError, badFile, badInput } from '../../errors.js';
import { removeLeftoverTemporaries, writeFileAtomic } from '../../files/atomic-file.js';
import { lockFile } from '../../files/lock-file.js';
import {
  HASH_ALGORITHMS,
  type HashAlgorithm,
  Totp,
  TotpVerifier,
  type VerifierState,
  type VerifyResult,
  OtpKey,
  checkVerifierState,
  createVerifierState,
  parseBase32Secret,
  parseOtpAuthUri,
} from '../../otp/index.js';
import { type OptionSpec, type ParsedArgs, choiceOpt, flag, intOpt, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { SEED_FILE_OPTIONS, seedOptionsAsUri } from '../seed-options.js';

const USAGE = `usage:
  tokenrig otp code   (--secret B32 | --uri otpauth://...) [--time UNIX|ISO] [--algorithm SHA1|SHA256|SHA512]
                      [--digits 6-10] [--period S] [--counter N (HOTP)] [--json]
  tokenrig otp verify (--secret B32 | --uri ...) CODE [CODE2] [--time UNIX|ISO] [--window STEPS]
                      [--state FILE] [--algorithm ...] [--digits N] [--period S] [--json]

  verify with one code checks it within --window steps (default 1) and prints the drift;
  with two consecutive codes it searches --window steps (default 3000) for the pair.
  With --state FILE it keeps a verifier's state like a service does: the first two codes
  enroll, later single codes sign in (replays refused), later pairs resync.
  Instead of --secret/--uri: --seed-file FILE [--password P | --key HEX] [--serial SN]
  (PSKC, CSV, otpauth URIs; docs/seed-files.md) or --qr FILE.png (an enrollment QR code).`;

const PARAMS = {
  ...SEED_FILE_OPTIONS,
  secret: { type: 'string' },
  uri: { type: 'string' },
  time: { type: 'string' },
  algorithm: { type: 'string' },
  digits: { type: 'string' },
  period: { type: 'string' },
} as const satisfies OptionSpec;

export interface OtpParameters {
  secret: Uint8Array;
  algorithm: HashAlgorithm;
  digits: number;
  period: number;
  type: 'totp' | 'hotp';
  counter?: bigint;
  label?: string;
}

/** Secret and parameters from --secret or --uri, with explicit options overriding the URI. */
export function otpParameters(args: ParsedArgs): OtpParameters {
  const secretText = stringOpt(args, 'secret');
  const uriText = stringOpt(args, 'uri');
  if (secretText !== undefined && uriText !== undefined) throw badInput('give --secret or --uri, not both');
  let base: OtpParameters;
  if (uriText !== undefined) {
    const u = parseOtpAuthUri(uriText);
    base = { secret: u.secret, algorithm: u.algorithm, digits: u.digits, period: u.period, type: u.type, label: u.issuer === undefined ? u.account : `${u.issuer}:${u.account}` };
    if (u.counter !== undefined) base.counter = u.counter;
  } else if (secretText !== undefined) {
    base = { secret: parseBase32Secret(secretText), algorithm: 'SHA1', digits: 6, period: 30, type: 'totp' };
  } else {
    throw badInput('--secret B32 or --uri otpauth://... is required');
  }
  const algorithm = choiceOpt(args, 'algorithm', HASH_ALGORITHMS);
  if (algorithm !== undefined) base.algorithm = algorithm;
  base.digits = intOpt(args, 'digits', 6, 10) ?? base.digits;
  base.period = intOpt(args, 'period', 1, 86_400) ?? base.period;
  return base;
}

/** --time as Unix seconds or an ISO 8601 date; default now. */
export function timeOpt(args: ParsedArgs): number {
  const t = stringOpt(args, 'time');
  if (t === undefined) return Math.floor(systemClock.now() / 1000);
  if (/^\d+(\.\d+)?$/.test(t)) return Math.floor(Number(t));
  const ms = Date.parse(t);
  if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(t)) throw badInput(`--time must be Unix seconds or an ISO 8601 date, got ${JSON.stringify(t)}`);
  return Math.floor(ms / 1000);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'code') return code(rest, io);
  if (sub === 'verify') return verify(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    printLine(io, USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw badInput(`unknown otp command ${JSON.stringify(sub)}: use code or verify`);
}

async function code(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...PARAMS, counter: { type: 'string' } });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  await seedOptionsAsUri(args, io);
  const p = otpParameters(args);
  const counterText = stringOpt(args, 'counter');
  if (counterText !== undefined) {
    if (!/^\d+$/.test(counterText) || BigInt(counterText) >= 1n << 64n) throw badInput('--counter must be a 64-bit unsigned integer');
    p.type = 'hotp';
    p.counter = BigInt(counterText);
  }
  if (p.type === 'hotp') {
    const key = new OtpKey(p.secret, p.algorithm);
    const value = key.hotp(p.counter ?? 0n, p.digits);
    key.destroy();
    if (flag(args, 'json')) printJson(io, { code: value, type: 'hotp', counter: (p.counter ?? 0n).toString(), algorithm: p.algorithm, digits: p.digits });
    else printLine(io, value);
    return 0;
  }
  const time = timeOpt(args);
  const totp = new Totp(p.secret, { algorithm: p.algorithm, digits: p.digits, period: p.period });
  const value = totp.generate(time);
  const result = { code: value, type: 'totp', time, step: totp.counterAt(time), remaining: totp.remaining(time), algorithm: p.algorithm, digits: p.digits, period: p.period };
  totp.destroy();
  if (flag(args, 'json')) printJson(io, result);
  else {
    printLine(io, value);
    printLine(io, `step ${result.step}, valid for ${result.remaining} s more (${p.algorithm}, ${p.digits} digits, ${p.period} s)`);
  }
  return 0;
}

function readState(path: string): VerifierState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return checkVerifierState(JSON.parse(readFileSync(path, 'utf8')));
  } catch (e) {
    throw badFile(`${path}: not a verifier state file (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/**
 * Read the state at `path`, let `change` compute the next one, write it: all under the file's
 * exclusive lock, so processes verifying at the same time never accept one code twice nor
 * lose an update. Temporaries a killed run left are removed first (the lock says no writer
 * is mid-write); the write is atomic (temporary, fsync, rename) with mode 0600.
 */
async function updateState<T extends { state: VerifierState }>(path: string, change: (stored: VerifierState | undefined) => T): Promise<T> {
  const lock = await lockFile(path);
  try {
    await removeLeftoverTemporaries(path);
    const result = change(readState(path));
    await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(result.state)}\n`));
    return result;
  } finally {
    await lock.release();
  }
}

async function verify(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...PARAMS, window: { type: 'string' }, state: { type: 'string' } }, true);
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const codes = args.positionals;
  if (codes.length < 1 || codes.length > 2) throw badInput('give one code, or two consecutive codes');
  await seedOptionsAsUri(args, io);
  const p = otpParameters(args);
  if (p.type !== 'totp') throw badInput('otp verify checks TOTP codes; this URI is hotp');
  for (const c of codes) if (!new RegExp(`^\\d{${p.digits}}$`).test(c)) throw badInput(`the code ${JSON.stringify(c)} is not ${p.digits} digits`);
  const time = timeOpt(args);
  const statePath = stringOpt(args, 'state');
  const window = intOpt(args, 'window', 0, 1_000_000) ?? (codes.length === 2 ? 3000 : 1);
  const verifier = new TotpVerifier(p.secret, { algorithm: p.algorithm, digits: p.digits, period: p.period, window, enrollWindow: window, resyncWindow: window });
  const check = (stored: VerifierState | undefined): { action: 'verify' | 'enroll' | 'resync'; result: VerifyResult; state: VerifierState } => {
    let action: 'verify' | 'enroll' | 'resync';
    let result: VerifyResult;
    if (codes.length === 1) {
      action = 'verify';
      // Without a state file nothing was spent yet: a state "enrolled before any step" checks the window alone.
      const state = stored ?? (statePath === undefined ? { ...createVerifierState(), lastStep: -1 } : undefined);
      if (state === undefined) throw badInput(`${statePath} does not exist yet: enroll first with two consecutive codes`);
      result = verifier.verify(codes[0]!, state, time);
    } else if (stored === undefined) {
      action = statePath === undefined ? 'resync' : 'enroll';
      result = verifier.resync(codes[0]!, codes[1]!, createVerifierState(), time);
    } else {
      action = 'resync';
      result = verifier.resync(codes[0]!, codes[1]!, stored, time);
    }
    return { action, result, state: result.state };
  };
  let outcome: ReturnType<typeof check>;
  try {
    outcome = statePath === undefined ? check(undefined) : await updateState(statePath, check);
  } finally {
    verifier.destroy();
  }
  const { action, result } = outcome;
  if (!result.ok) {
    const why = { invalid: 'no match within the window', replay: 'the code was already used (replay)', locked: 'locked out after repeated failures', 'not-enrolled': 'not enrolled', malformed: 'malformed code' }[result.reason];
    const message = `${action} rejected: ${why}`;
    if (!flag(args, 'json')) throw new TokenrigError('REJECTED', message);
    // One JSON document: the result and the error together.
    printJson(io, { ok: false, action, reason: result.reason, error: { code: 'REJECTED', message } });
    io.stderr.write(`tokenrig: ${message}\n`);
    return EXIT_STATUS.REJECTED;
  }
  const d = result.drift;
  if (flag(args, 'json')) printJson(io, { ok: true, action, step: result.step, drift: d, driftSeconds: d * p.period, delta: result.delta });
  else printLine(io, `ok: ${action} accepted at step ${result.step}, drift ${d >= 0 ? '+' : ''}${d} step${Math.abs(d) === 1 ? '' : 's'} (${d * p.period >= 0 ? '+' : ''}${d * p.period} s)`);
  return 0;
}
