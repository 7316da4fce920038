/**
 * One consistent CLI, checked from the outside (child processes): walk `tokenrig --help
 * --json`, every family's and every command's help; every flag a command takes is explained
 * in its `--help`; a bare family prints its help and exits 0; and every exit status a command
 * documents is produced by a real failing invocation (the example its table gives), with one
 * line on stderr and no stack. The exit table of `tokenrig --help` is the README's.
 */
import { execFile } from 'node:child_process';
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { formatPskc, generateSeeds, builtinSeedProfile } from '../../src/seeds/index.js';
import { type FidoKey, startFidoKey } from '../../src/sim/index.js';
import { openHidTransport } from '../../src/transports/device-spec.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tokenrig.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tokenrig(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    // No secret may come from the environment of whoever runs the tests.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOKENRIG_')));
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr });
    });
  });
}

/** Run `jobs` with at most `n` at a time (two cores: child processes are not free). */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

interface CommandHelp {
  command: string;
  summary: string;
  usage: string;
  flags: Record<string, { type: string; value?: string; help: string }>;
  exits: Record<string, { code: string; example: string[] }>;
}

let tmp: string;
let busyUdp: UdpSocket;
let silentUdp: UdpSocket;
let busyTcp: Server;
let fido: FidoKey;
let placeholders: Record<string, string>;
const commands: CommandHelp[] = [];
const families: Record<string, string> = {};

async function bindUdp(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tokenrig-consistency-'));
  writeFileSync(join(tmp, 'not-what-it-expects.txt'), 'this is not what the command expects\n');
  writeFileSync(join(tmp, 'batch.pskc'), formatPskc(generateSeeds(1, builtinSeedProfile('aws-hardware')), { password: 'pw', iterations: 1000 }));
  mkdirSync(join(tmp, 'bad-state'));
  for (const f of ['otp-token.json', 'fido.identity']) writeFileSync(join(tmp, 'bad-state', f), '{ torn');
  busyUdp = await bindUdp();
  silentUdp = await bindUdp();
  busyTcp = createServer();
  await new Promise<void>((r) => busyTcp.listen(0, '127.0.0.1', r));
  // A FIDO key whose PIN is 1234: a wrong PIN and a second `pin set` fail as documented.
  fido = await startFidoKey({ hid: 'udp:0' });
  const device = await CtapHidDevice.open(await openHidTransport(fido.endpoints.hid!));
  await (await ClientPin.forAuthenticator(new Ctap2(device))).setPin('1234');
  await device.close();
  placeholders = {
    '{tmp}': join(tmp, 'fresh'),
    '{file}': join(tmp, 'not-what-it-expects.txt'),
    '{pskc-pw}': join(tmp, 'batch.pskc'),
    '{bad-state}': join(tmp, 'bad-state'),
    '{busy-udp}': String(busyUdp.address().port),
    '{silent-udp}': String(silentUdp.address().port),
    '{busy-tcp}': String((busyTcp.address() as { port: number }).port),
    '{docs}': join(ROOT, 'docs'),
    '{fido-with-pin}': fido.endpoints.hid!,
  };
  mkdirSync(placeholders['{tmp}']!);

  const top = JSON.parse((await tokenrig(['--help', '--json'])).stdout) as { commands: Record<string, string> };
  Object.assign(families, top.commands);
  for (const family of Object.keys(families)) {
    const help = JSON.parse((await tokenrig([family, '--help', '--json'])).stdout) as { commands?: Record<string, string> } & Partial<CommandHelp>;
    if (help.command !== undefined) commands.push(help as CommandHelp);
    else {
      const names = Object.keys(help.commands ?? {});
      const helps = await pool(4, names.map((n) => () => tokenrig([family, ...n.split(' '), '--help', '--json'])));
      for (const h of helps) commands.push(JSON.parse(h.stdout) as CommandHelp);
    }
  }
}, 120_000);

afterAll(async () => {
  busyUdp?.close();
  silentUdp?.close();
  busyTcp?.close();
  await fido?.close();
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
});

function fill(arg: string): string {
  return arg.replace(/\{[a-z-]+\}/g, (p) => {
    const v = placeholders[p];
    if (v === undefined) throw new Error(`unknown placeholder ${p}`);
    return v;
  });
}

describe('tokenrig --help and every command help', () => {
  it('walks every family and command', () => {
    expect(Object.keys(families)).toEqual(expect.arrayContaining(['otp', 'code', 'sim', 'fido', 'seed', 'devices', 'demo']));
    expect(commands.map((c) => c.command)).toEqual(expect.arrayContaining(['otp code', 'otp verify', 'sim otp', 'sim fido', 'sim key', 'fido info', 'fido pin set', 'seed export', 'code']));
  });

  it('--version is the package version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await tokenrig(['--version'])).stdout).toBe(`${version}\n`);
  });

  it("prints the exit status table, the README's table", async () => {
    const help = (await tokenrig(['--help'])).stdout;
    const table = help.slice(help.indexOf('exit status')).split('\n').filter((l) => /^ {2}\d+ /.test(l));
    expect(table.length).toBeGreaterThanOrEqual(14);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const line of table) {
      const [, status, meaning] = /^ {2}(\d+) +(.*)$/.exec(line)!;
      expect(readme).toContain(`| ${status} | ${meaning} |`);
    }
  });

  it('a bare family prints its help and exits 0, as bare tokenrig does', { timeout: 120_000 }, async () => {
    const bare = Object.keys(families).filter((f) => !commands.some((c) => c.command === f));
    expect(bare.length).toBeGreaterThanOrEqual(4);
    for (const r of await pool(4, [[], ...bare.map((f) => [f])].map((argv) => () => tokenrig(argv)))) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: tokenrig/);
      expect(r.stderr).toBe('');
    }
  });

  it("each command's --help explains every flag it takes, and names its exit statuses", async () => {
    const helps = await pool(4, commands.map((c) => () => tokenrig([...c.command.split(' '), '--help'])));
    commands.forEach((c, i) => {
      const text = helps[i]!.stdout;
      expect(helps[i]!.code).toBe(0);
      expect(text.split('\n')[0]).toBe(`usage: ${c.usage}`);
      for (const [flag, f] of Object.entries(c.flags)) {
        expect(f.help.length, `${c.command} --${flag}`).toBeGreaterThan(10);
        expect(text).toMatch(new RegExp(`^ {2}(-\\w, )?--${flag}\\b`, 'm'));
      }
      for (const status of Object.keys(c.exits)) expect(text).toMatch(new RegExp(`exit status: 0 ok.*\\b${status} `));
    });
  }, 180_000);
});

describe('every documented exit status, from a real failing invocation', () => {
  it('each example ends with its status, one line on stderr, no stack', async () => {
    const cases = commands.flatMap((c) => Object.entries(c.exits).map(([status, { code, example }]) => ({ command: c.command, status: Number(status), code, argv: [...c.command.split(' '), ...example.map(fill)] })));
    expect(cases.length).toBeGreaterThan(30);
    const runs = await pool(4, cases.map((k) => () => tokenrig(k.argv)));
    const wrong = cases.flatMap((k, i) => {
      const r = runs[i]!;
      const ok = r.code === k.status && /^tokenrig: [^\n]+\n$/.test(r.stderr) && !/\n\s+at /.test(r.stderr);
      return ok ? [] : [`${k.argv.join(' ')}: expected ${k.status} (${k.code}), got ${r.code}: ${r.stderr.trim()}`];
    });
    expect(wrong).toEqual([]);
  }, 300_000);

  it('with --json the error is one JSON document on stdout naming the code', async () => {
    const r = await tokenrig(['otp', 'code', '--secret', 'not-base32!', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'BAD_INPUT', message: expect.any(String) } });
  });
});

describe('values and flags the same way everywhere', () => {
  it('negative numbers are values: --offset -600 reaches the command (here: a port in use)', async () => {
    const r = await tokenrig(['sim', 'otp', '--offset', '-600', '--hid', `udp:${placeholders['{busy-udp}']}`]);
    expect(r.code).toBe(11);
    const time = await tokenrig(['otp', 'code', '--secret', 'JBSWY3DPEHPK3PXP', '--time', '-1']);
    expect(time.stderr).toBe('tokenrig: --time must be at or after 0 (1970-01-01T00:00:00Z), got -1\n');
    const word = await tokenrig(['otp', 'code', '--secret', '--time', '59']);
    expect(word.code).toBe(2);
    expect(word.stderr).toMatch(/^tokenrig: tokenrig otp code: --secret takes a value; for one that starts with "-", write --secret=--time\n$/);
  });

  it('unknown options name the command and its help', async () => {
    const r = await tokenrig(['fido', 'pin', 'set', '--bogus']);
    expect(r.stderr).toBe('tokenrig: tokenrig fido pin set: unknown option --bogus (see tokenrig fido pin set --help)\n');
    expect(r.code).toBe(2);
  });

  it('otp code --window N prints N consecutive codes, as oathtool -w N-1 does', async () => {
    const r = await tokenrig(['otp', 'code', '--secret', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', '--time', '59', '--window', '3', '--digits', '8']);
    // RFC 6238 Appendix B, SHA-1: T=59 is step 1; steps 2 and 3 follow.
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['94287082', '37359152', '26969429']);
  });
});
