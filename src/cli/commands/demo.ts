/**
 * `tokenrig demo` (`npm start`): the whole mission on embedded defaults, ending by itself.
 * 1. A simulated AWS-style hardware TOTP token on a real pty and a UDP HID endpoint; the
 *    host driver reads its codes; a strict verifier enrolls, signs in, refuses a replay and
 *    resyncs after a 10-minute drift.
 * 2. A simulated FIDO2 key on UDP; the WebAuthn client registers and signs in.
 */
import { type ParsedArgs, flag } from '../args.js';
import type { CliIo } from '../cli-io.js';
import type { CommandTable } from '../command.js';
import { demoOutput } from '../demo/demo-output.js';
import { runFidoStory } from '../demo/fido-story.js';
import { runOtpStory } from '../demo/otp-story.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const out = demoOutput(io, flag(args, 'json'));
  out.line('tokenrig demo');
  out.line('');
  out.line('1. A hardware TOTP token, read over serial and HID, enrolled and resynced by a strict verifier');
  await runOtpStory(out);
  out.line('');
  out.line('2. A FIDO2 security key, registered and used through the WebAuthn client');
  await runFidoStory(out);
  out.line('');
  out.line('demo finished: every step above ran over real sockets and a real pty, and ended by itself');
  out.event({ event: 'done', ok: true });
  return 0;
}

export const commands: CommandTable = {
  '': {
    summary: 'the whole mission on embedded defaults, over real sockets and a real pty; ends by itself',
    flags: {},
    notes: ['`npm start` runs it; `npm start -- --json | jq` reads its events.'],
    examples: ['tokenrig demo', 'tokenrig demo --json | jq -c .'],
    exits: { BAD_INPUT: ['--bogus'] },
    run,
  },
};
