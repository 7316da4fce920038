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
import { type ParsedArgs, choiceOpt, flag, intOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable, FlagTable } from '../command.js';
import { SEED_FILE_FLAGS, SEED_FILE_SECRETS, seedOptionsAsUri } from '../seed-options.js';
import { secretInput } from '../secret-input.js';

/** The token's secret: `--secret B32`, `--secret -` (stdin), `--secret-file FILE` or TOKENRIG_SECRET. */
export const SECRET = secretInput('secret', { value: 'B32', env: 'TOKENRIG_SECRET', help: 'the Base32 secret (the seed an authenticator app or AWS shows)' });

const PARAMS: FlagTable = {
  uri: { type: 'string', value: 'URI', help: 'an otpauth://totp/... or otpauth://hotp/... URI instead of --secret' },
  ...SEED_FILE_FLAGS,
  time: { type: 'string', value: 'UNIX|ISO', help: 'the time: Unix seconds or an ISO 8601 date (default now)' },
  algorithm: { type: 'string', value: 'NAME', help: 'SHA1 (default), SHA256 or SHA512' },
  digits: { type: 'string', value: 'N', help: 'code length, 6 (default) to 10' },
  period: { type: 'string', value: 'S', help: 'TOTP step in seconds (default 30)' },
};

const SECRET_NOTE = 'The secret comes from --secret, --uri, --seed-file or --qr (one of them); options given with a\nURI or a seed file override its parameters.';

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
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const seconds = Math.floor(Number(t));
    if (seconds < 0) throw badInput(`--time must be at or after 0 (1970-01-01T00:00:00Z), got ${t}`);
    return seconds;
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(t)) throw badInput(`--time must be Unix seconds or an ISO 8601 date, got ${JSON.stringify(t)}`);
  return Math.floor(ms / 1000);
}

async function code(args: ParsedArgs, io: CliIo): Promise<number> {
  await seedOptionsAsUri(args, io);
  const count = intOpt(args, 'window', 1, 1000) ?? 1;
  const p = otpParameters(args);
  const counterText = stringOpt(args, 'counter');
  if (counterText !== undefined) {
    if (!/^\d+$/.test(counterText) || BigInt(counterText) >= 1n << 64n) throw badInput('--counter must be a 64-bit unsigned integer');
    p.type = 'hotp';
    p.counter = BigInt(counterText);
  }
  if (p.type === 'hotp') {
    const key = new OtpKey(p.secret, p.algorithm);
    const counter = p.counter ?? 0n;
    const codes = Array.from({ length: count }, (_, i) => key.hotp(counter + BigInt(i), p.digits));
    key.destroy();
    if (flag(args, 'json')) printJson(io, { code: codes[0], ...(count > 1 ? { codes } : {}), type: 'hotp', counter: counter.toString(), algorithm: p.algorithm, digits: p.digits });
    else for (const c of codes) printLine(io, c);
    return 0;
  }
  const time = timeOpt(args);
  const totp = new Totp(p.secret, { algorithm: p.algorithm, digits: p.digits, period: p.period });
  // --window N: this step's code and the next N - 1 (EnableMFADevice takes two consecutive codes).
  const codes = Array.from({ length: count }, (_, i) => totp.generate(time + i * p.period));
  const result = { code: codes[0]!, ...(count > 1 ? { codes } : {}), type: 'totp', time, step: totp.counterAt(time), remaining: totp.remaining(time), algorithm: p.algorithm, digits: p.digits, period: p.period };
  totp.destroy();
  if (flag(args, 'json')) printJson(io, result);
  else {
    for (const c of codes) printLine(io, c);
    printLine(io, `step ${result.step}${count > 1 ? ` to ${result.step + count - 1}` : ''}, the first valid for ${result.remaining} s more (${p.algorithm}, ${p.digits} digits, ${p.period} s)`);
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

async function verify(args: ParsedArgs, io: CliIo): Promise<number> {
  const codes = args.positionals;
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

export const commands: CommandTable = {
  code: {
    summary: 'compute the code of a secret: now, at --time, or --window N consecutive codes',
    flags: {
      ...PARAMS,
      counter: { type: 'string', value: 'N', help: 'HOTP: the counter (makes the code an HOTP code)' },
      window: { type: 'string', value: 'N', help: "N consecutive codes, this step's first, one a line (EnableMFADevice takes 2)" },
    },
    secrets: [SECRET, ...SEED_FILE_SECRETS],
    notes: [SECRET_NOTE, 'The first line is the code alone, so scripts can read it.'],
    examples: [
      'tokenrig otp code --secret JBSWY3DPEHPK3PXP',
      'tokenrig otp code --secret-file seed.txt --window 2          # two consecutive codes for EnableMFADevice',
      "tokenrig otp code --uri 'otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP' --time 2026-01-01T00:00:00Z --json",
      'echo JBSWY3DPEHPK3PXP | tokenrig otp code --secret -',
    ],
    exits: {
      BAD_INPUT: ['--secret', 'not-base32!'],
      BAD_FILE: ['--seed-file', '{file}'],
      NOT_FOUND: ['--seed-file', '{tmp}/missing.pskc'],
      REJECTED: ['--seed-file', '{pskc-pw}', '--password', 'wrong'],
    },
    run: code,
  },
  verify: {
    summary: 'check one code, or two consecutive codes, and say the drift; with --state, like a service',
    args: 'CODE [CODE2]',
    positionals: { min: 1, max: 2 },
    flags: {
      ...PARAMS,
      window: { type: 'string', value: 'STEPS', help: 'how far to search, in steps: default 1 for one code, 3000 for two' },
      state: { type: 'string', value: 'FILE', help: "keep a verifier's state in FILE (mode 0600): the first two codes enroll,\nlater single codes sign in (replays refused), later pairs resync" },
    },
    secrets: [SECRET, ...SEED_FILE_SECRETS],
    notes: [SECRET_NOTE],
    examples: ['tokenrig otp verify --secret JBSWY3DPEHPK3PXP 123456', 'tokenrig otp verify --secret JBSWY3DPEHPK3PXP 123456 654321 --state svc.json --window 1'],
    exits: {
      BAD_INPUT: ['--secret', 'JBSWY3DPEHPK3PXP', '12345'],
      BAD_FILE: ['--secret', 'JBSWY3DPEHPK3PXP', '--state', '{file}', '123456'],
      NOT_FOUND: ['--seed-file', '{tmp}/missing.csv', '123456'],
      REJECTED: ['--secret', 'JBSWY3DPEHPK3PXP', '--time', '59', '000000'],
    },
    run: verify,
  },
};
