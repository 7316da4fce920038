/**
 * How a CLI command is declared: one table entry says what it does, which flags it takes
 * (each with its help), which positionals, which exit statuses it can end with (each with an
 * invocation that shows it), and the function that runs it. From the entry come the parser
 * (unknown flags refused, `--offset -600` read as a value), `--help` (every flag explained) and
 * `--help --json` (the same as data, which the CLI consistency test walks).
 *
 * A command family (`otp`, `seed`, `fido`, `sim`, ...) is a module exporting `commands`, a
 * table of its subcommands by name (`'code'`, `'pin set'`); a single command (`code`,
 * `devices`) is the entry named `''`. Register the family in commands.ts.
 *
 * @example
 * ```ts
 * export const commands: CommandTable = {
 *   code: {
 *     summary: 'compute the code of a secret',
 *     flags: { secret: { type: 'string', value: 'B32', help: 'the Base32 secret' } },
 *     exits: { BAD_INPUT: ['--secret', '!!'] },
 *     run: async (args, io) => { printLine(io, ...); return 0; },
 *   },
 * };
 * ```
 */
import { parseArgs } from 'node:util';
import { type ErrorCode, EXIT_STATUS, badInput } from '../errors.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { type CliIo, printJson, printLine } from './cli-io.js';
import type { SecretInput } from './secret-input.js';

/** One flag: how it parses and what `--help` says of it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** The value's placeholder in the usage (`SPEC`, `FILE`, `N`); string flags only. */
  readonly value?: string;
  /** One line (or a few) that explain it: what it does, its default, its range. */
  readonly help: string;
  readonly short?: string;
  readonly multiple?: boolean;
  /**
   * A string flag that may stand alone: `--usbip` means `--usbip=3240`. Its value then comes
   * only after `=` (`--usbip=3241`); the usage shows `--usbip[=PORT]`.
   */
  readonly optionalValue?: string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** One command: its help, its flags, the statuses it exits with, and what it does. */
export interface CommandSpec {
  /** One line: what it does (for the family's list and the top of its help). */
  readonly summary: string;
  /** The positionals in the usage line (`CODE [CODE2]`, `FILE`). */
  readonly args?: string;
  /** How many positionals it takes; none unless said. */
  readonly positionals?: { readonly min: number; readonly max: number };
  readonly flags: FlagTable;
  /**
   * Secret inputs (secret-input.ts): their flags join `flags`, and before `run` each is read
   * (flag, stdin, file or environment) into `args.values[name]`, so `run` sees a plain value.
   */
  readonly secrets?: readonly SecretInput[];
  /** Paragraphs after the flags (formats, defaults, where the docs are). */
  readonly notes?: readonly string[];
  readonly examples?: readonly string[];
  /**
   * The non-zero statuses a user can meet, each with an invocation (the arguments after the
   * command's name) that ends with it. Placeholders the consistency test fills in:
   * `{tmp}` a fresh empty directory, `{busy-udp}` / `{busy-tcp}` a port in use on 127.0.0.1,
   * `{silent-udp}` a UDP port where nothing answers, `{pskc-pw}` a PSKC file encrypted with
   * the password `pw`, `{file}` an existing file.
   */
  readonly exits: Readonly<Partial<Record<ErrorCode, readonly string[]>>>;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** A family's commands by name; `''` is the family's own command when it has no subcommands. */
export type CommandTable = Readonly<Record<string, CommandSpec>>;

/** What commands.ts loads for a family. */
export interface FamilyModule {
  readonly commands: CommandTable;
}

/** The flags every command takes. */
export const COMMON_FLAGS: FlagTable = {
  json: { type: 'boolean', help: 'machine-readable output: one JSON document, or JSON lines for events' },
  help: { type: 'boolean', short: 'h', help: 'show this help (with --json: as data)' },
};

/** A command's flags: its own, its secrets', and the common ones. */
export function allFlags(spec: CommandSpec): FlagTable {
  return Object.assign({}, spec.flags, ...(spec.secrets ?? []).map((s) => s.flags), COMMON_FLAGS) as FlagTable;
}

/** A negative number: `--offset -600` is the value -600, not an option. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/**
 * Parse `argv` against the command's flags: strict (an unknown flag or a missing value is
 * BAD_INPUT in one line, naming the command), negative numbers taken as values.
 */
export function parseCommand(name: string, spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = allFlags(spec);
  const options: OptionSpec = {};
  for (const [flag, f] of Object.entries(flags)) options[flag] = { type: f.type, ...(f.short === undefined ? {} : { short: f.short }), ...(f.multiple === true ? { multiple: true } : {}) };
  // parseArgs reads `--offset -600` as two options; join a string flag to a negative number.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const optional = a.startsWith('--') && !a.includes('=') ? flags[a.slice(2)]?.optionalValue : undefined;
    if (optional !== undefined) args.push(`${a}=${optional}`);
    else if (a.startsWith('--') && !a.includes('=') && flags[a.slice(2)]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  const where = `tokenrig ${name}`;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput(parseErrorMessage(e, where, args));
  }
  const { values, positionals } = parsed;
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (values.help !== true) {
    if (positionals.length > max) throw badInput(`${where}: unexpected argument ${JSON.stringify(positionals[max])} (see ${where} --help)`);
    if (positionals.length < min) throw badInput(`${where} needs ${spec.args ?? `${min} argument${min === 1 ? '' : 's'}`} (see ${where} --help)`);
  }
  return { values: values as ParsedArgs['values'], positionals };
}

/** parseArgs' messages are long and name internals: say the same in one line of our own. */
function parseErrorMessage(e: unknown, where: string, args: readonly string[]): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${where}: unknown option ${option ?? message} (see ${where} --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      if (/argument missing/.test(message)) return `${where}: ${option ?? 'an option'} needs a value`;
      if (/ambiguous/.test(message)) {
        const i = option === undefined ? -1 : args.indexOf(option);
        return `${where}: ${option} takes a value; for one that starts with "-", write ${option}=${args[i + 1] ?? 'VALUE'}`;
      }
      return `${where}: ${option ?? 'an option'} takes no value`;
    }
    default:
      return `${where}: ${message.split('\n')[0]!.split('. ')[0]}`;
  }
}

/** Exit statuses in words, for help texts and the README's table. */
export const EXIT_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  BAD_INPUT: 'bad input: a wrong option, value or usage',
  BAD_FILE: 'bad file: unreadable, truncated, tampered with or of the wrong format',
  PROTOCOL: 'protocol error: the device or peer broke its protocol',
  DEVICE: 'device error: the device answered with an error status',
  TIMEOUT: 'timeout: nothing answered in time',
  NOT_FOUND: 'not found: no such file, device or port',
  CLOSED: 'closed: the device or transport went away',
  REJECTED: 'rejected: a wrong code, password, PIN or signature',
  UNSUPPORTED: 'unsupported by this device, profile or build',
  BUSY: 'busy: a port or device is in use',
};

/** The whole table, as `tokenrig --help` and the README print it. */
export function exitStatusLines(): string[] {
  const rows: [number, string][] = [
    [0, 'ok'],
    [1, 'internal error (a bug: TOKENRIG_DEBUG=1 prints the stack)'],
    ...(Object.entries(EXIT_MEANINGS) as [ErrorCode, string][]).map(([code, text]): [number, string] => [EXIT_STATUS[code], text]),
    [130, 'interrupted (Ctrl-C, SIGINT)'],
    [143, 'terminated (SIGTERM)'],
  ];
  return rows.sort((a, b) => a[0] - b[0]).map(([n, text]) => `  ${String(n).padEnd(4)} ${text}`);
}

function usageLine(name: string, spec: CommandSpec): string {
  return `usage: tokenrig ${name}${spec.args === undefined ? '' : ` ${spec.args}`} [options]`;
}

function flagLabel(flag: string, f: FlagSpec): string {
  const value = f.type !== 'string' ? '' : f.optionalValue !== undefined ? `[=${f.value ?? 'VALUE'}]` : ` ${f.value ?? 'VALUE'}`;
  return `${f.short === undefined ? '' : `-${f.short}, `}--${flag}${value}`;
}

/** `tokenrig NAME --help`: usage, what it does, every flag explained, exit statuses, examples. */
export function printCommandHelp(io: CliIo, name: string, spec: CommandSpec, json: boolean): void {
  const flags = allFlags(spec);
  if (json) {
    printJson(io, {
      command: name,
      summary: spec.summary,
      usage: usageLine(name, spec).slice('usage: '.length),
      flags: Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, { type: f.type, ...(f.value === undefined ? {} : { value: f.value }), help: f.help }])),
      exits: Object.fromEntries((Object.entries(spec.exits) as [ErrorCode, readonly string[]][]).map(([code, argv]) => [EXIT_STATUS[code], { code, example: argv }])),
    });
    return;
  }
  printLine(io, usageLine(name, spec));
  printLine(io, `  ${spec.summary}`);
  printLine(io, '');
  printLine(io, 'options:');
  const labels = Object.entries(flags).map(([k, f]) => [flagLabel(k, f), f.help] as const);
  const width = Math.min(28, Math.max(...labels.map(([l]) => l.length)));
  for (const [label, help] of labels) {
    const [first, ...rest] = help.split('\n');
    printLine(io, label.length > width ? `  ${label}\n  ${''.padEnd(width)}  ${first}` : `  ${label.padEnd(width)}  ${first}`);
    for (const line of rest) printLine(io, `  ${''.padEnd(width)}  ${line}`);
  }
  for (const note of spec.notes ?? []) {
    printLine(io, '');
    printLine(io, note);
  }
  const exits = (Object.keys(spec.exits) as ErrorCode[]).map((code) => `${EXIT_STATUS[code]} ${EXIT_MEANINGS[code].split(':')[0]}`);
  printLine(io, '');
  printLine(io, `exit status: 0 ok${exits.length === 0 ? '' : `, ${exits.join(', ')}`}, 130 interrupted (tokenrig --help has the table)`);
  if (spec.examples !== undefined && spec.examples.length > 0) {
    printLine(io, '');
    printLine(io, 'examples:');
    for (const e of spec.examples) printLine(io, `  ${e}`);
  }
}

/** `tokenrig FAMILY` and `tokenrig FAMILY --help`: its commands, one line each. */
export function printFamilyHelp(io: CliIo, family: string, summary: string, table: CommandTable, json: boolean, prefix = ''): void {
  const names = Object.keys(table).filter((n) => n !== '' && n.startsWith(prefix));
  if (json) {
    printJson(io, { family, summary, commands: Object.fromEntries(names.map((n) => [n, table[n]!.summary])) });
    return;
  }
  printLine(io, `tokenrig ${family}: ${summary}`);
  printLine(io, '');
  printLine(io, `usage: tokenrig ${family} <command> [options]`);
  printLine(io, '');
  printLine(io, 'commands:');
  const width = Math.max(...names.map((n) => n.length));
  for (const n of names) printLine(io, `  ${n.padEnd(width)}  ${table[n]!.summary}`);
  printLine(io, '');
  printLine(io, `tokenrig ${family} <command> --help explains a command and every option it takes.`);
}

/**
 * Run `argv` (after the family's name) against a family's table: the longest command name
 * its leading words spell, then that command's flags. A bare family, `help` or `--help`
 * prints the family's help and is not an error.
 */
export async function runFamily(family: string, summary: string, table: CommandTable, argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const single = table[''];
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  let match: string | undefined;
  for (let n = words.length; n > 0 && match === undefined; n--) {
    const candidate = words.slice(0, n).join(' ');
    if (Object.hasOwn(table, candidate) && candidate !== '') match = candidate;
  }
  if (match !== undefined) return runCommand(`${family} ${match}`, table[match]!, argv.slice(match.split(' ').length), io);
  if (single !== undefined) return runCommand(family, single, argv, io);
  const [first] = words;
  if (first === undefined || first === 'help') {
    printFamilyHelp(io, family, summary, table, json);
    return 0;
  }
  // `tokenrig fido pin`: the commands that start with it.
  if (Object.keys(table).some((n) => n.startsWith(`${words.join(' ')} `))) {
    printFamilyHelp(io, family, summary, table, json, `${words.join(' ')} `);
    return 0;
  }
  const known = Object.keys(table)
    .map((n) => n.split(' ')[0])
    .filter((n, i, all) => all.indexOf(n) === i);
  throw badInput(`unknown ${family} command ${JSON.stringify(first)}: use ${known.join(', ')} (tokenrig ${family} --help)`);
}

/** Parse and run one command (or print its help). */
export async function runCommand(name: string, spec: CommandSpec, argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommand(name, spec, argv);
  if (args.values.help === true) {
    printCommandHelp(io, name, spec, args.values.json === true);
    return 0;
  }
  for (const secret of spec.secrets ?? []) {
    const value = await secret.read(args, io);
    delete args.values[`${secret.name}-file`];
    if (value === undefined) delete args.values[secret.name];
    else args.values[secret.name] = value;
  }
  return spec.run(args, io);
}
