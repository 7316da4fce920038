/**
 * The `tokenrig` command line. A user's mistake prints one line to stderr and exits with the
 * error's status (one table for every command, in `tokenrig --help` and the README); only an
 * unexpected fault prints a stack (and only with TOKENRIG_DEBUG=1).
 */
import { EXIT_STATUS, TokenrigError } from '../errors.js';
import { type CliIo, printJson, printLine, processIo } from './cli-io.js';
import { EXIT_MEANINGS, exitStatusLines, runFamily } from './command.js';
import { COMMANDS } from './commands.js';

/** The package's version (a test checks it against package.json). */
export const VERSION = '0.1.0';

function help(io: CliIo, json: boolean): void {
  if (json) {
    printJson(io, {
      version: VERSION,
      commands: Object.fromEntries(Object.entries(COMMANDS).map(([k, v]) => [k, v.summary])),
      exit_statuses: { 0: 'ok', 1: 'internal error', ...Object.fromEntries(Object.entries(EXIT_MEANINGS).map(([code, text]) => [EXIT_STATUS[code as keyof typeof EXIT_STATUS], text])), 130: 'interrupted (SIGINT)', 143: 'terminated (SIGTERM)' },
    });
    return;
  }
  printLine(io, `tokenrig ${VERSION}: simulated MFA tokens and FIDO keys, bridged over HID, USB and serial`);
  printLine(io, '');
  printLine(io, 'usage: tokenrig <command> [options]   (tokenrig <command> --help explains each; every command takes --json)');
  printLine(io, '');
  printLine(io, 'commands:');
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  for (const [name, c] of Object.entries(COMMANDS)) printLine(io, `  ${name.padEnd(width)}  ${c.summary}`);
  printLine(io, '');
  printLine(io, 'exit status (the same in every command):');
  for (const line of exitStatusLines()) printLine(io, line);
  printLine(io, '');
  printLine(io, 'Secrets and PINs: --NAME VALUE, --NAME - (stdin), --NAME-file FILE or an environment variable.');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const json = argv.includes('--json');
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help' || (name === '--json' && (rest.length === 0 || rest.every((a) => a === '--help' || a === '-h')))) {
      help(io, json);
      return 0;
    }
    if (name === '--version' || name === '-V') {
      printLine(io, json ? JSON.stringify({ version: VERSION }) : VERSION);
      return 0;
    }
    const family = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (family === undefined) throw new TokenrigError('BAD_INPUT', `unknown command ${JSON.stringify(name)} (try tokenrig --help)`);
    const mod = await family.load();
    if ('commands' in mod) return await runFamily(name, family.summary, mod.commands, rest, io);
    return await mod.run(rest, io);
  } catch (e) {
    return reportError(e, io, json);
  }
}

/** Print an error the way every command does; returns the exit status. */
export function reportError(e: unknown, io: CliIo, json: boolean): number {
  if (e instanceof TokenrigError) {
    if (json) printJson(io, { error: { code: e.code, message: e.message, ...(e.wireCode === undefined ? {} : { wire_code: e.wireCode }) } });
    // One line, whatever the message held.
    io.stderr.write(`tokenrig: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return EXIT_STATUS[e.code];
  }
  const message = e instanceof Error ? e.message : String(e);
  if (json) printJson(io, { error: { code: 'INTERNAL', message } });
  io.stderr.write(`tokenrig: internal error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  if (io.env.TOKENRIG_DEBUG === '1' && e instanceof Error && e.stack !== undefined) io.stderr.write(`${e.stack}\n`);
  return 1;
}
