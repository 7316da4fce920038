/**
 * `tokenrig demo` (`npm start`): the whole mission on embedded defaults, ending by itself.
 */
import { base32Decode } from '../../otp/index.js';
import { flag, parseCommandArgs } from '../args.js';
import { type CliIo, printLine } from '../cli-io.js';
import { demoOutput } from '../demo/demo-output.js';
import { inProcessToken, runVerifierStory } from '../demo/verifier-story.js';

/** The demo's embedded token: an AWS-style hardware token's serial and a fixed seed. */
export const DEMO_SERIAL = 'GAKT00000001';
export const DEMO_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
/** 2026-11-23T12:00:00Z, fixed so every run shows the same codes. */
export const DEMO_START = 1_795_435_200;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, {});
  if (flag(args, 'help')) return printLine(io, 'usage: tokenrig demo [--json]'), 0;
  const out = demoOutput(io, flag(args, 'json'));
  out.line('tokenrig demo: a simulated hardware TOTP token, enrolled and resynced by a strict verifier');
  out.line('');
  await runVerifierStory(out, base32Decode(DEMO_SECRET), DEMO_SERIAL, inProcessToken(base32Decode(DEMO_SECRET), DEMO_START));
  out.line('');
  out.line('demo finished');
  out.event({ event: 'done', ok: true });
  return 0;
}
