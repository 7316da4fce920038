/**
 * The live terminal view of a simulated token (`tokenrig sim otp|key` on a terminal without
 * --json): its LCD as seven-segment digits, the code again as plain text that can be selected
 * and copied, the step countdown, and the keys (Space/Enter presses, q or Ctrl-C quits).
 * log-update redraws each frame in place, counting the rows the terminal wraps lines into, so
 * the view stays whole at any width (and redraws on a resize); on a narrow terminal the frame
 * drops the seven-segment art and keeps each line short, the code whole on its own line.
 *
 * @example
 * ```ts
 * const view = await startLiveView(io, token, () => quit(), () => token.press());
 * // ... later
 * view.stop();
 * ```
 */
import { createLogUpdate } from 'log-update';
import type { OtpToken, OtpTokenStatus } from '../sim/index.js';
import type { CliIo } from './cli-io.js';

const SEGMENTS: Record<string, [string, string, string]> = {
  '0': [' _ ', '| |', '|_|'],
  '1': ['   ', '  |', '  |'],
  '2': [' _ ', ' _|', '|_ '],
  '3': [' _ ', ' _|', ' _|'],
  '4': ['   ', '|_|', '  |'],
  '5': [' _ ', '|_ ', ' _|'],
  '6': [' _ ', '|_ ', '|_|'],
  '7': [' _ ', '  |', '  |'],
  '8': [' _ ', '|_|', '|_|'],
  '9': [' _ ', '|_|', ' _|'],
  '-': ['   ', ' _ ', '   '],
};

/** Three lines of seven-segment digits (4 columns a digit). */
export function lcdLines(text: string): [string, string, string] {
  const rows: [string, string, string] = ['', '', ''];
  for (const ch of text) {
    const seg = SEGMENTS[ch] ?? SEGMENTS['-']!;
    for (let i = 0; i < 3; i++) rows[i] += `${seg[i]} `;
  }
  return [rows[0].trimEnd(), rows[1].trimEnd(), rows[2].trimEnd()];
}

/** One frame of the view for a terminal `columns` wide. */
export function liveFrame(token: Pick<OtpToken, 'serial' | 'profile'>, status: OtpTokenStatus, columns: number): string {
  const digits = token.profile.otp.digits;
  const shown = status.display;
  const totp = token.profile.otp.kind === 'totp';
  const fault = status.fault === 'none' ? [] : [`FAULT: ${status.fault}`];
  if (columns < 40) {
    // A narrow terminal: one short fact a line, the code whole on its own line.
    return [
      `code: ${shown?.code ?? '-'.repeat(digits)}`,
      shown === undefined ? 'display blank' : `shown ${Math.ceil(shown.remainingMs / 1000)} s`,
      totp ? `next in ${status.secondsToNextStep} s` : `counter ${status.counter}`,
      token.serial,
      ...fault,
      'space: press',
      'q: quit',
    ].join('\n');
  }
  const lines: string[] = [];
  // The seven-segment art only where it fits; the code as text always (it is what one copies).
  if (columns >= digits * 4) lines.push(...lcdLines(shown?.code ?? '-'.repeat(digits)), '');
  lines.push(shown === undefined ? 'code: (display blank: press to show one)' : `code: ${shown.code}  (shown ${Math.ceil(shown.remainingMs / 1000)} s more)`);
  lines.push(`${token.serial}  ${totp ? `next step in ${String(status.secondsToNextStep).padStart(2)} s` : `counter ${status.counter}`}${fault.length === 0 ? '' : `  ${fault[0]}`}`);
  lines.push('[space/enter] press  [q/Ctrl-C] quit');
  return lines.join('\n');
}

/** Draw the view until `stop()`; keys on stdin press the button or quit. */
export function startLiveView(io: CliIo, token: OtpToken, quit: () => void, press: () => void = () => void token.press()): { stop(): void } {
  const stdin = io.stdin as NodeJS.ReadStream;
  const stdout = io.stdout as NodeJS.WriteStream;
  const render = createLogUpdate(stdout, { showCursor: false });
  const draw = (): void => render(liveFrame(token, token.status(), stdout.columns ?? 80));
  const onKey = (chunk: Buffer): void => {
    for (const b of chunk) {
      if (b === 0x03 || b === 0x71) return quit();
      if (b === 0x20 || b === 0x0d) {
        try {
          press();
        } catch {
          // The view shows the fault; a refused press needs no other output.
        }
      }
    }
    draw();
  };
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  stdout.on('resize', draw);
  const timer = setInterval(draw, 250);
  draw();
  return {
    stop() {
      clearInterval(timer);
      stdout.off('resize', draw);
      stdin.off('data', onKey);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      render.done();
    },
  };
}
