/**
 * `tokenrig code --device <keyboard spec>` as a user runs it: a `sim key` (and a `sim otp` with
 * a profile that has a keyboard) in one child process, `tokenrig code` against the keyboard
 * endpoint its ready line names in another; a line on the simulator's stdin presses the button,
 * and the code the keyboard types is checked against oathtool for the token's seed.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli-process.js';
import { peers } from '../support/peer.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Ready {
  serial: string;
  endpoints: Record<string, string>;
}

/** Start `tokenrig ARGS --json` and resolve with its child and its ready line. */
async function startSim(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; ready: Ready; events: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const events: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<Ready>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Ready));
    child.once('exit', (c) => reject(new Error(`${args.join(' ')} exited ${c}`)));
  });
  lines.on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  return { child, ready, events };
}

/** `tokenrig code ARGS` as a child; `onStderr` sees stderr as it comes. */
function runCode(args: string[], onStderr: (text: string) => void): ReturnType<typeof runTokenrig> {
  return runTokenrig(['code', ...args], onStderr);
}

/** `tokenrig ARGS` as a child; `onStderr` sees stderr as it comes. */
function runTokenrig(args: string[], onStderr: (text: string) => void = () => {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onStderr(stderr);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

/** The TOTP codes oathtool gives the seed for the 30-second steps around `ms`. */
function oathtoolCodes(ms: number): string[] {
  return [-30, 0, 30].map((d) => execFileSync('oathtool', ['--totp', '-b', SECRET, '-N', `@${Math.floor(ms / 1000) + d}`]).toString().trim());
}

describe.each([
  // Which command reads which endpoint of the ready line: `hid` names the interface the device
  // was started for (FIDO for `sim key`, the OTP vendor interface for `sim otp`).
  ['sim key', ['sim', 'key', '--profile', 'composite-key', '--serial-port', 'tcp:0'], { hid: 'fido', otp: 'code', serial: 'code' }],
  ['sim otp', ['sim', 'otp', '--profile', 'composite-key', '--serial-port', 'pty'], { hid: 'code', fido: 'fido', serial: 'code' }],
])('tokenrig code --device <the keyboard spec of a %s ready line>', (_name, simArgs, readers: Record<string, string>) => {
  it('waits for a press, then prints the code the keyboard typed (as oathtool computes it)', { timeout: 90_000 }, async (ctx) => {
    peers.oathtool.require(ctx);
    const sim = await startSim([...simArgs, '--hid', 'udp:0', '--secret', SECRET]);
    const keyboard = sim.ready.endpoints.keyboard!;
    expect(keyboard).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    let pressedAt = 0;
    const read = await runCode(['--device', keyboard, '--timeout', '30000', '--json'], (stderr) => {
      // The press comes once `code` says it waits for one (a keyboard types only when pressed).
      if (pressedAt === 0 && stderr.includes('"event":"waiting_for_press"')) {
        pressedAt = Date.now();
        sim.child.stdin.write('\n');
      }
    });
    expect(read.code, read.stderr).toBe(0);
    const waiting = JSON.parse(read.stderr.trim().split('\n')[0]!) as Record<string, unknown>;
    expect(waiting).toMatchObject({ event: 'waiting_for_press', device: keyboard, timeout_ms: 30000 });
    const result = JSON.parse(read.stdout) as Record<string, unknown>;
    expect(result).toEqual({ device: keyboard, via: 'keyboard', code: expect.stringMatching(/^\d{6}$/) });
    expect(oathtoolCodes(pressedAt)).toContain(result.code);
    // The simulator saw the press (its events never carry the code: secrets stay hidden).
    await expect.poll(() => sim.events.find((e) => e.event === 'press')).toMatchObject({ serial: sim.ready.serial });

    // The same spec, nobody pressing: TIMEOUT (exit 6), one line saying what was waited for.
    const silent = await runCode(['--device', keyboard, '--timeout', '500'], () => {});
    expect(silent.code).toBe(6);
    expect(silent.stderr).toMatch(/^tokenrig: udp:\S+: no OTP token answered and no code was typed within 500 ms [^\n]*\n$/);

    // Every other spec of the ready line is taken by the command that reads that interface.
    expect(Object.keys(sim.ready.endpoints).sort()).toEqual([...Object.keys(readers), 'keyboard'].sort());
    for (const [name, reader] of Object.entries(readers)) {
      const spec = sim.ready.endpoints[name]!;
      const run = await runTokenrig([...(reader === 'code' ? ['code'] : ['fido', 'info']), '--device', spec, '--json']);
      expect(run.code, `${reader} --device ${spec}: ${run.stderr}`).toBe(0);
      if (reader === 'code') expect(JSON.parse(run.stdout)).toMatchObject({ serial: sim.ready.serial, code: expect.stringMatching(/^\d{6}$/) });
      else expect(JSON.parse(run.stdout)).toMatchObject({ versions: expect.arrayContaining(['FIDO_2_1']) });
    }
    sim.child.kill('SIGTERM');
  });
});
