/**
 * `tokenrig sim fido` as a user runs it: a real process, a real UDP socket, JSON lines on
 * stdout, Ctrl-C (SIGINT) to stop, and a state directory that survives a restart.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { BROADCAST_CID, CTAPHID, CtapHidAssembler, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const stateDir = mkdtempSync(join(tmpdir(), 'tokenrig-fido-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [BIN, 'sim', 'fido', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

async function call(t: UdpHidTransport, cid: number, cmd: number, data: Uint8Array) {
  for (const p of splitMessage(cid, cmd, data)) await t.write(p);
  const asm = new CtapHidAssembler();
  for (;;) {
    const r = asm.push(await t.read(5000));
    if (r.kind === 'message' && r.cmd !== CTAPHID.KEEPALIVE) return r;
  }
}

async function nextJson(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const r = await lines.next();
  if (r.done === true) throw new Error('simulator output ended');
  return JSON.parse(r.value) as Record<string, unknown>;
}

/** A CTAP2 makeCredential command (0x01 + CBOR) for `rpId`, as a platform sends it. */
function makeCredentialCommand(rpId: string, user: Map<string, unknown>, rk = false): Uint8Array {
  const params = new Map<number, unknown>([
    [1, new Uint8Array(32)],
    [2, new Map([['id', rpId]])],
    [3, user],
    [4, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]],
  ]);
  if (rk) params.set(7, new Map([['rk', true]]));
  return Uint8Array.from([1, ...encodeCbor(params)]);
}

describe('tokenrig sim fido', () => {
  it('prints a ready event, serves CTAP2 over UDP, streams events, stops on SIGINT (exit 130) and keeps its state', async () => {
    const first = start(['--hid', 'udp:0', '--json', '--state', stateDir]);
    const ready = await nextJson(first.lines);
    expect(ready).toMatchObject({ event: 'ready', touch: 'auto', resident_credentials: 0 });
    expect(Date.parse(ready.timestamp as string)).toBeGreaterThan(0);
    const spec = (ready.endpoints as { hid: string }).hid;
    expect(spec).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    const t = await UdpHidTransport.open({ port: Number(spec.split(':')[2]) });
    const init = await call(t, BROADCAST_CID, CTAPHID.INIT, new Uint8Array(8));
    const cid = new DataView(init.data.buffer).getUint32(8);
    const reply = await call(t, cid, CTAPHID.CBOR, makeCredentialCommand('cli.example', new Map<string, unknown>([['id', Uint8Array.of(7)], ['name', 'cli']]), true));
    expect(reply.data[0]).toBe(0);
    await t.close();
    const events: string[] = [];
    for (;;) {
      const e = await nextJson(first.lines);
      events.push(e.event as string);
      if (e.event === 'credential_created') break;
    }
    expect(events).toEqual(['touch_requested', 'touched', 'credential_created']);
    first.child.kill('SIGINT');
    expect(await nextJson(first.lines)).toMatchObject({ event: 'stopped', reason: 'SIGINT' });
    expect(await new Promise((r) => first.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
    for (const f of readdirSync(stateDir)) expect(statSync(join(stateDir, f)).mode & 0o777).toBe(0o600);

    const second = start(['--hid', 'udp:0', '--json', '--state', stateDir]);
    expect(await nextJson(second.lines)).toMatchObject({ event: 'ready', resident_credentials: 1 });
    second.child.kill('SIGINT');
    expect(await new Promise((r) => second.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
  });

  it('--touch manual waits for Enter on stdin, with keepalives, then completes', async () => {
    const sim = start(['--hid', 'udp:0', '--json', '--touch', 'manual']);
    const ready = await nextJson(sim.lines);
    const port = Number((ready.endpoints as { hid: string }).hid.split(':')[2]);
    const t = await UdpHidTransport.open({ port });
    const init = await call(t, BROADCAST_CID, CTAPHID.INIT, new Uint8Array(8));
    const cid = new DataView(init.data.buffer).getUint32(8);
    const mc = makeCredentialCommand('manual.example', new Map<string, unknown>([['id', Uint8Array.of(1)]]));
    for (const p of splitMessage(cid, CTAPHID.CBOR, mc)) await t.write(p);
    expect(await nextJson(sim.lines)).toMatchObject({ event: 'touch_requested', reason: 'makeCredential' });
    // The device says UPNEEDED while it waits.
    const keepalive = await t.read(5000);
    expect([keepalive[4], keepalive[7]]).toEqual([0x80 | CTAPHID.KEEPALIVE, 2]);
    sim.child.stdin.write('\n');
    const asm = new CtapHidAssembler();
    let status = -1;
    while (status < 0) {
      const r = asm.push(await t.read(5000));
      if (r.kind === 'message' && r.cmd === CTAPHID.CBOR) status = r.data[0]!;
    }
    expect(status).toBe(0);
    expect(await nextJson(sim.lines)).toMatchObject({ event: 'button_pressed', granted: 1 });
    expect(await nextJson(sim.lines)).toMatchObject({ event: 'touched' });
    await t.close();
    sim.child.kill('SIGINT');
    expect(await new Promise((r) => sim.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
  });

  it('--quiet prints no line per request: only ready and stopped', async () => {
    const sim = start(['--hid', 'udp:0', '--json', '--quiet']);
    const ready = await nextJson(sim.lines);
    const t = await UdpHidTransport.open({ port: Number((ready.endpoints as { hid: string }).hid.split(':')[2]) });
    const init = await call(t, BROADCAST_CID, CTAPHID.INIT, new Uint8Array(8));
    const cid = new DataView(init.data.buffer).getUint32(8);
    const mc = makeCredentialCommand('quiet.example', new Map<string, unknown>([['id', Uint8Array.of(1)]]));
    for (let i = 0; i < 3; i++) expect((await call(t, cid, CTAPHID.CBOR, mc)).data[0]).toBe(0);
    await t.close();
    sim.child.kill('SIGINT');
    const stopped = await nextJson(sim.lines);
    expect(Object.keys(stopped)).toEqual(['event', 'timestamp', 'reason']);
    expect(stopped).toMatchObject({ event: 'stopped', reason: 'SIGINT' });
    expect(await new Promise((r) => sim.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
  });

  it('without --json shows a human status display', async () => {
    const sim = start(['--hid', 'udp:0', '--touch', 'deny']);
    const first = await sim.lines.next();
    expect(first.value).toMatch(/^FIDO2\/U2F simulator listening on udp:127\.0\.0\.1:\d+ \(touch: deny, state: in memory\)$/);
    expect((await sim.lines.next()).value).toBe('Ctrl-C stops');
    sim.child.kill('SIGINT');
    expect((await sim.lines.next()).value).toBe('stopped (SIGINT)');
    expect(await new Promise((r) => sim.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
  });

  it('--profile yubikey-bio --uv deny: a key personality with a fingerprint sensor, every match a wrong finger; a bad --uv is one line', async () => {
    const sim = start(['--hid', 'udp:0', '--profile', 'yubikey-bio', '--uv', 'deny']);
    expect((await sim.lines.next()).value).toMatch(/^FIDO2\/U2F simulator listening on udp:127\.0\.0\.1:\d+ \(profile: yubikey-bio, touch: auto, uv: deny, state: in memory\)$/);
    sim.child.kill('SIGINT');
    expect(await new Promise((r) => sim.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
    const bad = spawnSync(process.execPath, [BIN, 'sim', 'fido', '--uv', 'sometimes'], { encoding: 'utf8', timeout: 20_000 });
    expect([bad.status, bad.stderr]).toEqual([2, 'tokenrig: --uv must be one of auto, manual, deny, got "sometimes"\n']);
  }, 40_000);

  it('--profile composite-key takes the FIDO identity of that device profile, and serves its other interfaces too', async () => {
    const sim = start(['--hid', 'udp:0', '--json', '--profile', 'composite-key']);
    const ready = await nextJson(sim.lines);
    expect(ready).toMatchObject({ event: 'ready', profile: 'composite-key', product: 'Simulated Key 5 OTP+FIDO' });
    expect(Object.keys(ready.endpoints as object).sort()).toEqual(['hid', 'keyboard', 'otp']);
    const t = await UdpHidTransport.open({ port: Number((ready.endpoints as { hid: string }).hid.split(':')[2]) });
    const init = await call(t, BROADCAST_CID, CTAPHID.INIT, new Uint8Array(8));
    const cid = new DataView(init.data.buffer).getUint32(8);
    const info = await call(t, cid, CTAPHID.CBOR, Uint8Array.of(0x04));
    expect(info.data[0]).toBe(0);
    const aaguid = (decodeCbor(info.data.subarray(1)) as Map<number, Uint8Array>).get(3)!;
    // The composite key names no AAGUID of its own, so getInfo reports the profile's (default) one.
    expect(Buffer.from(aaguid).toString('hex')).toBe(ready.aaguid);
    await t.close();
    sim.child.kill('SIGINT');
    expect(await new Promise((r) => sim.child.on('exit', (code, signal) => r(code ?? signal)))).toBe(130);
  });

  it('rejects an unknown or non-FIDO --profile with one line naming the valid ones', () => {
    for (const name of ['nonesuch', 'hotp']) {
      const r = spawnSync(process.execPath, [BIN, 'sim', 'fido', '--profile', name], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^tokenrig: .*composite-key/);
    }
  });

  it('rejects a bad --hid or --touch with one line and exit status 2', () => {
    for (const args of [['--hid', 'tcp:1'], ['--touch', 'sometimes'], ['--bogus']]) {
      const r = spawnSync(process.execPath, [BIN, 'sim', 'fido', ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^tokenrig: /);
    }
  });
});
