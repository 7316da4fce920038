/**
 * The parsed arguments of a CLI command and typed readers for them (numbers, choices, flags),
 * each refusing a bad value with a one-line `BAD_INPUT` naming the option.
 */
import { parseArgs } from 'node:util';
import { badInput } from '../errors.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** The options every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/**
 * Parse `argv` against `options` (plus --json and --help); unknown options are a user error.
 * For a family not yet declared as a command table (command.ts), whose module exports `run`;
 * a table's commands get their parsing, help and secrets from `runFamily` instead.
 */
export function parseCommandArgs(argv: string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    // parseArgs messages are long and mention internals; keep the first sentence.
    const message = e instanceof Error ? e.message.split('. ')[0]!.replace(/^Unknown option '(.*)'$/, 'unknown option $1') : String(e);
    throw badInput(message);
  }
}

/** A string option, or undefined. */
export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badInput(`--${name} takes a value`);
  return v;
}

/** A required string option. */
export function requireOpt(args: ParsedArgs, name: string): string {
  const v = stringOpt(args, name);
  if (v === undefined || v === '') throw badInput(`--${name} is required`);
  return v;
}

/** An integer option within [min, max]. */
export function intOpt(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw badInput(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw badInput(`--${name} must be between ${min} and ${max}, got ${v}`);
  return n;
}

/** A number option (may be fractional) within [min, max]. */
export function numberOpt(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw badInput(`--${name} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** A choice among `choices` (case-insensitive); returns the canonical spelling. */
export function choiceOpt<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  const found = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (found === undefined) throw badInput(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  return found;
}

/** A boolean flag. */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
