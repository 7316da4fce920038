/** `tokenrig sim otp|fido ...`: start a simulated device. */
import { badInput } from '../../errors.js';
import type { CliIo } from '../cli-io.js';
import { printLine } from '../cli-io.js';

const KINDS: Record<string, () => Promise<{ run(argv: string[], io: CliIo): Promise<number> }>> = {
  otp: () => import('./sim-otp.js'),
  fido: () => import('./sim-fido.js'),
  key: () => import('./sim-key.js'),
};

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === undefined || kind === '--help' || kind === '-h') {
    printLine(io, 'usage: tokenrig sim otp|fido|key [options]   (tokenrig sim otp --help)');
    return kind === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  if (load === undefined) throw badInput(`unknown simulator ${JSON.stringify(kind)}: use otp, fido or key`);
  return (await load()).run(rest, io);
}
