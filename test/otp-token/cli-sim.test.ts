/**
 * The CLI as users run it, in child processes: `tokenrig sim otp` on a real pty and UDP (or
 * TCP), `tokenrig code` against it, codes checked against oathtool, the serial protocol driven
 * by Debian's python3 + pyserial (an independent client), clean shutdown on SIGTERM.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, peers } from '../support/peer.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
// RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890".
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

interface Sim {
  child: ChildProcessWithoutNullStreams;
  ready: { serial: string; endpoints: { serial?: string; hid?: string }; secret?: string };
  events: Record<string, unknown>[];
  stop(): Promise<{ code: number | null; events: Record<string, unknown>[] }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
});

async function startSim(args: string[]): Promise<Sim> {
  const child = spawn(process.execPath, [BIN, 'sim', 'otp', '--json', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 15 s; stderr: ${stderr}`)), 15_000);
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolvePromise(l);
    });
    child.once('exit', (c) => reject(new Error(`sim exited ${c}: ${stderr}`)));
  });
  lines.on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  const ready = JSON.parse(first) as Sim['ready'] & { event: string };
  expect(ready.event).toBe('ready');
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return {
    child,
    ready,
    events,
    async stop() {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      running.delete(child);
      return { code, events };
    },
  };
}

async function tokenrig(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** The TOTP codes oathtool gives for every 30 s step from `from` to `to` (Unix seconds). */
async function oathtoolCodes(from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let t = from - 30; t <= to + 30; t += 30) out.push((await run('oathtool', ['--totp', '-b', SECRET, '-N', `@${t}`])).stdout.trim());
  return out;
}

describe('tokenrig sim otp + tokenrig code, as child processes', () => {
  it('pty and UDP endpoints as device specs; codes agree with oathtool; SIGTERM stops cleanly (exit 143)', async (ctx) => {
    peers.socat.require(ctx);
    peers.oathtool.require(ctx);
    const sim = await startSim(['--serial-port', 'pty', '--hid', 'udp:0', '--secret', SECRET, '--serial', 'GAKT00001234']);
    try {
      expect(sim.ready.serial).toBe('GAKT00001234');
      expect(sim.ready.endpoints.serial).toMatch(/^serial:\/dev\/pts\/\d+$/);
      expect(sim.ready.endpoints.hid).toMatch(/^udp:127\.0\.0\.1:\d+$/);
      expect(JSON.stringify(sim.ready)).not.toContain(SECRET);
      const before = Math.floor(Date.now() / 1000);
      const viaSerial = await tokenrig(['code', '--device', sim.ready.endpoints.serial!, '--json']);
      const viaHid = await tokenrig(['code', '--device', sim.ready.endpoints.hid!, '--json']);
      const after = Math.floor(Date.now() / 1000);
      expect(viaSerial.code).toBe(0);
      expect(viaHid.code).toBe(0);
      const s = JSON.parse(viaSerial.stdout) as { code: string; serial: string; via: string };
      const h = JSON.parse(viaHid.stdout) as { code: string; serial: string; via: string };
      expect(s).toMatchObject({ serial: 'GAKT00001234', via: 'serial' });
      expect(h).toMatchObject({ serial: 'GAKT00001234', via: 'vendor-hid' });
      const accepted = await oathtoolCodes(before, after);
      expect(accepted).toContain(s.code);
      expect(accepted).toContain(h.code);
    } finally {
      const { code, events } = await sim.stop();
      expect(code).toBe(143);
      expect(events.filter((e) => e.event === 'press')).toHaveLength(2);
      expect(events.at(-1)).toMatchObject({ event: 'stopped', reason: 'SIGTERM' });
      expect(JSON.stringify(events)).not.toContain(SECRET);
    }
  });

  it('an independent client (python3 + pyserial) drives the serial protocol on the pty', async (ctx) => {
    peers.socat.require(ctx);
    peers.pythonSerial.require(ctx);
    peers.oathtool.require(ctx);
    const sim = await startSim(['--serial-port', 'pty', '--secret', SECRET, '--serial', 'GAKT00005678']);
    try {
      const script = `
import serial, sys
s = serial.Serial(sys.argv[1], 115200, timeout=3)
def ask(b):
    s.write(b)
    return s.readline().decode('ascii').rstrip('\\r\\n')
print(ask(b'*IDN?\\r\\n'))
print(ask(b'SIM:TIME 30\\n'))  # the step T=59 belongs to, with 29 s to spare
print(ask(b'PRESS\\r'))
print(ask(b'DISPLAY?\\n'))
print(ask(b'HELLO\\n'))
print(ask(bytes(x for x in range(256) if x not in (10, 13))[:100] + b'\\n'))
print(ask(b'X' * 1000 + b'\\n'))
print(ask(b'SIM:ADV 1111111050\\nPRESS\\n'))  # 1111111080: the step of RFC 6238's T=1111111109
print(s.readline().decode('ascii').rstrip('\\r\\n'))
print(ask(b'SIM:FAULT battery-dead\\n'))
print(ask(b'PRESS\\n'))
`;
      const r = await run(DEBIAN_PYTHON, ['-c', script, sim.ready.endpoints.serial!.replace(/^serial:/, '')], { timeout: 20_000 });
      const rfc59 = (await run('oathtool', ['--totp', '-b', SECRET, '-N', '@59'])).stdout.trim();
      const rfc1111111109 = (await run('oathtool', ['--totp', '-b', SECRET, '-N', '@1111111109'])).stdout.trim();
      expect(rfc59).toBe('287082'); // RFC 6238 Appendix B, T=59, last six digits of 94287082
      expect(r.stdout.trim().split('\n')).toEqual([
        'Tokenrig,OTP 110 (sim),GAKT00005678,1.0.0',
        'OK',
        rfc59,
        rfc59,
        'ERR 100 unknown command',
        'ERR 101 line holds bytes that are not printable ASCII',
        'ERR 102 line longer than 128 bytes',
        'OK',
        rfc1111111109,
        'OK',
        'ERR 200 the battery is dead',
      ]);
    } finally {
      expect((await sim.stop()).code).toBe(143);
    }
  });

  it('a HOTP token on TCP with a state directory: oathtool agrees, the counter persists across restarts, state is 0600', async (ctx) => {
    peers.oathtool.require(ctx);
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-sim-'));
    try {
      const codes: string[] = [];
      for (let round = 0; round < 2; round++) {
        const sim = await startSim(['--profile', 'hotp', '--serial-port', 'tcp:0', '--state', dir, ...(round === 0 ? ['--secret', SECRET, '--serial', 'EVT000000007'] : ['--reveal'])]);
        expect(sim.ready.serial).toBe('EVT000000007');
        // The seed is printed only when asked for (--reveal), and then as stored.
        expect(sim.ready.secret).toBe(round === 0 ? undefined : SECRET);
        expect(sim.ready.endpoints.serial).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
        for (let i = 0; i < 2; i++) {
          const r = await tokenrig(['code', '--device', sim.ready.endpoints.serial!]);
          expect(r.code).toBe(0);
          codes.push(r.stdout.trim());
        }
        expect((await sim.stop()).code).toBe(143);
      }
      const expected = (await run('oathtool', ['-b', SECRET, '-c', '0', '-w', '3'])).stdout.trim().split('\n');
      expect(codes).toEqual(expected);
      expect(statSync(join(dir, 'otp-token.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('user mistakes: one line and an exit status, never a stack', async () => {
    const bad = await tokenrig(['code', '--device', 'bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/device spec "bogus" has no kind/);
    const missing = await tokenrig(['code', '--device', 'serial:/dev/tokenrig-no-such-port']);
    expect(missing.code).toBe(7);
    expect(missing.stderr).toMatch(/cannot open serial port/);
    const noDevice = await tokenrig(['code', '--json']);
    expect(noDevice.code).toBe(2);
    expect(JSON.parse(noDevice.stdout)).toMatchObject({ error: { code: 'BAD_INPUT' } });
    const badProfile = await tokenrig(['sim', 'otp', '--profile', 'nope']);
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toMatch(/aws-totp/);
    const badPort = await tokenrig(['sim', 'otp', '--serial-port', 'com1']);
    expect(badPort.code).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'tokenrig-profile-'));
    try {
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...JSON.parse(readFileSync(resolve(import.meta.dirname, '../../devices/profiles/aws-totp.json'), 'utf8')), displayTimeMs: 5 }));
      const badFile = await tokenrig(['sim', 'otp', '--profile-file', join(dir, 'bad.json')]);
      expect(badFile.code).toBe(2);
      expect(badFile.stderr).toMatch(/displayTimeMs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const devices = await tokenrig(['devices', '--json']);
    expect(devices.code).toBe(0);
    expect(JSON.parse(devices.stdout)).toHaveProperty('devices');
  });

  /** `sim otp` on a real terminal `columns` wide (python's pty module): press Space, then q. */
  async function liveView(columns: number): Promise<string> {
    const script = `
import os, pty, sys, select, time, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, int(sys.argv[4]), 0, 0))
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], 'sim', 'otp', '--hid', 'udp:0', '--secret', sys.argv[3]])
out = b''
def until(marker, seconds=15):
    global out
    end = time.time() + seconds
    while marker not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return marker in out
ok = until(b'quit')
os.write(fd, b' ')
ok = ok and until(b'shown')
os.write(fd, b'q')
ok = ok and until(b'stopped')
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
print('\\nRESULT', ok, os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)
`;
    const r = await run(DEBIAN_PYTHON, ['-c', script, process.execPath, BIN, SECRET, String(columns)], { timeout: 40_000 });
    expect(r.stdout).toMatch(/RESULT True 0\s*$/);
    return r.stdout;
  }

  it('without --json on a terminal: a live view with the LCD and the code as text; Space presses, q quits cleanly', async () => {
    const out = await liveView(80);
    expect(out).toContain('|_|'); // seven-segment digits
    expect(out).toMatch(/code: \d{6} {2}\(shown \d+ s more\)/); // the digits as text, to copy
    expect(out).toMatch(/next step in +\d+ s/);
  });

  it('a terminal too narrow for the LCD still shows the code as text, redrawn in place', async () => {
    const out = await liveView(16);
    expect(out).not.toContain('|_|');
    expect(out).toMatch(/code: \d{6}/);
  });
});
