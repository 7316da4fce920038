/**
 * Crash safety of the token's state: a child process presses an HOTP token with file storage
 * in a loop and is SIGKILLed at a random moment, 20 times. After each kill the state file
 * parses, the counter never goes back, and it is above every counter whose code was shown
 * (the counter is persisted before the code is displayed).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = resolve(import.meta.dirname, 'fixtures/hotp-press-loop.ts');

/** Run the press loop until it has shown `presses` codes (at least), then SIGKILL it. */
function runAndKill(dir: string, presses: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let shown = -1;
    let seen = 0;
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the press loop showed nothing within 20 s: ${stderr}`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) {
        if (l === 'ready') continue;
        shown = Math.max(shown, Number(l));
        if (++seen === presses) child.kill('SIGKILL');
      }
    });
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the press loop exited by itself (${signal}): ${stderr}`));
      else resolvePromise(shown);
    });
  });
}

describe('token state survives SIGKILL at any moment', () => {
  it('20 kills: the state parses, the counter never goes back and covers every shown code', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-crash-'));
    try {
      let previous = 0;
      for (let round = 0; round < 20; round++) {
        // Kill after 1..400 shown codes: early (right after open) and deep inside the loop.
        const shown = await runAndKill(dir, 1 + ((round * 97) % 400));
        const state = JSON.parse(readFileSync(join(dir, 'otp-token.json'), 'utf8')) as { counter: number; serial: string };
        expect(state.serial).toBe('EVT000000099');
        expect(state.counter).toBeGreaterThanOrEqual(previous);
        expect(state.counter).toBeGreaterThan(shown);
        previous = state.counter;
      }
      expect(previous).toBeGreaterThan(100);
      // Temporaries a kill left behind are swept when the token next opens; none is ever the state.
      expect(readdirSync(dir).filter((n) => !n.endsWith('.tmp'))).toEqual(['otp-token.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
