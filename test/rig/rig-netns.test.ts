/**
 * Rigs on separate hosts, joined over USB/IP: the test makes three network namespaces with
 * `ip netns` (two rig hosts and a client), each with only its loopback and a veth pair to the
 * client. Each rig (`tokenrig rig`, a child process inside its namespace) exports its devices
 * on its one shared USB/IP server (rig file `usbip`, devices `usbip: rig`) on its veth address
 * (the rig file's `host`, where its API listens too, behind its bearer token). From the client's namespace `tokenrig
 * devices --usbip` lists each rig's devices, `tokenrig code` reads a token on one host (the
 * code oathtool computes for its seed at the rig's manual clock) and `tokenrig fido info` a
 * key on the other. Needs root (network namespaces); skips with the reason otherwise, fails
 * under CI=true.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { peer, peers } from '../support/peer.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'tokenrig-rig-netns-'));
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
/** Namespace and interface names unique to this run (interface names are at most 15 bytes). */
const TAG = `${process.pid}`;
const NS = { a: `tr-rig-a-${TAG}`, b: `tr-rig-b-${TAG}`, client: `tr-client-${TAG}` };
/** Each rig host's veth address, and the client's end of that pair. */
const HOSTS = { a: { ip: '10.231.1.1', peerIp: '10.231.1.2' }, b: { ip: '10.231.2.1', peerIp: '10.231.2.2' } };

const netns = peer('ip netns (root, iproute2)', 'run the tests as root on Linux with iproute2', () => {
  const probe = `tr-probe-${TAG}`;
  if (spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status !== 0) return false;
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return true;
});

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Run the CLI in the client's namespace. */
async function client(...args: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', NS.client, process.execPath, BIN, ...args], { timeout: 30_000 })).stdout;
}

const rigs: ChildProcess[] = [];

interface Ready {
  devices: { serial: string; kind: string; endpoints: Record<string, string> }[];
  api: string;
  token: string;
  usbip: string | null;
}

/** Start `tokenrig rig` inside `ns` from a rig file; its ready line. */
async function startRigIn(ns: string, name: string, file: object): Promise<Ready> {
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(file));
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'rig', path, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  rigs.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  return new Promise<Ready>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Ready));
    child.once('exit', (code) => reject(new Error(`tokenrig rig in ${ns} exited ${code}: ${stderr}`)));
  });
}

let readyA: Ready;
let readyB: Ready;

beforeEach((ctx) => netns.require(ctx));

beforeAll(async () => {
  if (!netns.available) return;
  for (const ns of Object.values(NS)) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  for (const [side, host] of Object.entries(HOSTS) as ['a' | 'b', (typeof HOSTS)['a']][]) {
    const [rigEnd, clientEnd] = [`tr${side}r${TAG}`, `tr${side}c${TAG}`];
    ip('link', 'add', rigEnd, 'type', 'veth', 'peer', 'name', clientEnd);
    ip('link', 'set', rigEnd, 'netns', NS[side]);
    ip('link', 'set', clientEnd, 'netns', NS.client);
    ip('-n', NS[side], 'addr', 'add', `${host.ip}/30`, 'dev', rigEnd);
    ip('-n', NS[side], 'link', 'set', rigEnd, 'up');
    ip('-n', NS.client, 'addr', 'add', `${host.peerIp}/30`, 'dev', clientEnd);
    ip('-n', NS.client, 'link', 'set', clientEnd, 'up');
  }
  const clock = { start: '2026-01-01T00:00:00Z', manual: true };
  [readyA, readyB] = await Promise.all([
    startRigIn(NS.a, 'rig-a', { version: 1, clock, host: HOSTS.a.ip, usbip: 3240, devices: [{ kind: 'otp', serial: 'GAKT00000001', secret: SECRET, endpoints: { usbip: 'rig' } }, { kind: 'fido', name: 'key-a', endpoints: { usbip: 'rig' } }] }),
    startRigIn(NS.b, 'rig-b', { version: 1, clock, host: HOSTS.b.ip, usbip: 3240, devices: [{ kind: 'fido', name: 'key-b', personality: 'yubikey-5', endpoints: { usbip: 'rig' } }, { kind: 'otp', serial: 'GAKT00000002', endpoints: { usbip: 'rig' } }] }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    rigs.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }),
  );
  if (netns.available) for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
});

describe('rigs on separate hosts (network namespaces) reached over USB/IP', { timeout: 60_000 }, () => {
  it("each rig exports its devices on one USB/IP server at its host's address, a bus id each", () => {
    expect(readyA.usbip).toBe(`usbip:${HOSTS.a.ip}:3240`);
    expect(readyB.usbip).toBe(`usbip:${HOSTS.b.ip}:3240`);
    expect(readyA.devices.map((d) => [d.serial, d.endpoints.usbip])).toEqual([
      ['GAKT00000001', `usbip:${HOSTS.a.ip}:3240/1-1`],
      ['key-a', `usbip:${HOSTS.a.ip}:3240/1-2`],
    ]);
    expect(readyB.devices.map((d) => d.endpoints.usbip)).toEqual([`usbip:${HOSTS.b.ip}:3240/1-1`, `usbip:${HOSTS.b.ip}:3240/1-2`]);
    expect(readyA.api).toMatch(new RegExp(`^http://${HOSTS.a.ip.replace(/\./g, '\\.')}:\\d+/api$`));
  });

  it('one client lists the devices of both hosts with tokenrig devices --usbip', async () => {
    for (const [ready, host] of [
      [readyA, HOSTS.a],
      [readyB, HOSTS.b],
    ] as const) {
      const listed = JSON.parse(await client('devices', '--usbip', `${host.ip}:3240`, '--json')) as { devices: { spec: string }[] };
      const specs = JSON.stringify(listed);
      for (const d of ready.devices) expect(specs).toContain(d.endpoints.usbip);
    }
  });

  it("reads a token's code on one host (oathtool agrees) and a key's getInfo on the other", async (ctx) => {
    peers.oathtool.require(ctx);
    const code = (await client('code', '--device', readyA.devices[0]!.endpoints.usbip!)).split('\n')[0]!.trim();
    const expected = (await run('oathtool', ['--totp', '-b', '--now', '2026-01-01 00:00:00 UTC', SECRET])).stdout.trim();
    expect(code).toBe(expected);
    const info = await client('fido', 'info', '--device', readyB.devices[0]!.endpoints.usbip!, '--json');
    // The yubikey-5 personality's AAGUID, from the rig on the other host.
    expect(info.replace(/-/g, '')).toContain('a25342c03cdc44148e46f4807fca511c');
  });

  it("a rig's API, on its host's address like its endpoints, answers the client only with the rig's bearer token", async () => {
    const status = async (token: string | undefined): Promise<string> =>
      (await run('ip', ['netns', 'exec', NS.client, process.execPath, '-e', `fetch(${JSON.stringify(`${readyA.api}/rig`)}, { headers: ${JSON.stringify(token === undefined ? {} : { authorization: `Bearer ${token}` })} }).then((r) => console.log(r.status))`], { timeout: 20_000 })).stdout.trim();
    expect(await status(undefined)).toBe('401');
    expect(await status(readyA.token)).toBe('200');
  });
});
