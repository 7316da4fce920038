/**
 * `tokenrig fido blobs get|set` as child processes against `tokenrig sim fido --hid udp:0`,
 * a second child process: a credential registered with the largeBlob extension through
 * `tokenrig fido register`, its blob written, read back, described, deleted; the PIN a
 * write needs on a key that has one; several credentials of one RP; the largeBlobKey given
 * directly; one-line errors with their exit statuses.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-fido-blobs-'));
let sim: ChildProcess;
let spec = '';

function tokenrig(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  sim = spawn(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: sim.stdout! });
  const ready = await new Promise<{ endpoints: { hid: string } }>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as { endpoints: { hid: string } }));
    sim.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  lines.on('line', () => {});
  spec = ready.endpoints.hid;
}, 30_000);

afterAll(() => {
  sim.kill('SIGTERM');
});

async function register(user: number, rpId = 'rp.example', pin?: string): Promise<string> {
  const file = join(dir, `create-${rpId}-${user}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      rp: { name: 'RP', id: rpId },
      user: { id: Buffer.from([user]).toString('base64url'), name: `user${user}`, displayName: `User ${user}` },
      challenge: Buffer.alloc(32, 1).toString('base64url'),
      pubKeyCredParams: [{ type: 'public-key', alg: -8 }],
      authenticatorSelection: { residentKey: 'required', userVerification: pin === undefined ? 'discouraged' : 'required' },
      extensions: { largeBlob: { support: 'required' } },
    }),
  );
  const r = await tokenrig(['fido', 'register', '--device', spec, '--options', file, '--origin', `https://${rpId}`, ...(pin !== undefined ? ['--pin', pin] : [])]);
  expect(r.code, r.stderr).toBe(0);
  const reg = JSON.parse(r.stdout) as { id: string; clientExtensionResults: unknown };
  expect(reg.clientExtensionResults).toEqual({ largeBlob: { supported: true } });
  return reg.id;
}

describe('tokenrig fido blobs (child processes)', () => {
  it('set, get (raw, --out, --json), describe the array, delete', async () => {
    const id = await register(1, 'one.example');
    const set = await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'one.example', '--text', 'hello, large blob']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('large blob written (17 bytes)\n');
    expect(set.stderr).toBe('touch your key\n'); // the simulator touches at once; the prompt still shows
    const raw = await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'one.example']);
    expect(raw.stdout).toBe('hello, large blob');
    const out = join(dir, 'blob.bin');
    const saved = await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'one.example', '--out', out, '--json']);
    expect(JSON.parse(saved.stdout)).toEqual({ device: spec, rpId: 'one.example', credentialId: id, size: 17, out });
    expect(readFileSync(out, 'utf8')).toBe('hello, large blob');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const file = join(dir, 'payload.bin');
    writeFileSync(file, Buffer.alloc(3000, 0xab));
    expect((await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'one.example', '--in', file])).code).toBe(0);
    const json = JSON.parse((await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'one.example', '--json'])).stdout) as { blob: string; size: number };
    expect(json.size).toBe(3000);
    expect(Buffer.from(json.blob, 'base64url')).toEqual(Buffer.alloc(3000, 0xab));
    const described = JSON.parse((await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--json'])).stdout) as { entries: number; valid: boolean; size: number };
    expect(described).toMatchObject({ entries: 1, valid: true, maxSerializedLargeBlobArray: 4096 });
    expect((await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'one.example', '--delete'])).stdout).toBe('large blob deleted\n');
    const gone = await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'one.example']);
    expect(gone.code).toBe(7);
    expect(gone.stderr).toMatch(/no large blob stored for credential/);
  }, 120_000);

  it('several credentials of one RP: the error names them; --credential picks one; --key needs no touch', async () => {
    const a = await register(1, 'two.example');
    const b = await register(2, 'two.example');
    const ambiguous = await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'two.example', '--text', 'x']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(a);
    expect(ambiguous.stderr).toContain(b);
    expect(ambiguous.stderr.trim().split('\n').at(-1)).toMatch(/choose one with --credential/);
    expect((await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'two.example', '--credential', b, '--text', 'for b'])).code).toBe(0);
    expect((await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'two.example', '--credential', b])).stdout).toBe('for b');
    expect((await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'two.example', '--credential', a])).code).toBe(7);
    // The largeBlobKey from a getAssertion of our own, handed to --key.
    const device = await CtapHidDevice.open(await UdpHidTransport.open({ port: Number(spec.split(':').at(-1)) }));
    try {
      const got = await new Ctap2(device).getAssertion({ rpId: 'two.example', clientDataHash: new Uint8Array(32), allowList: [{ type: 'public-key', id: Buffer.from(b, 'base64url') }], extensions: new Map([['largeBlobKey', true]]) });
      const byKey = await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--key', Buffer.from(got.largeBlobKey!).toString('hex')]);
      expect(byKey.stdout).toBe('for b');
      expect(byKey.stderr).toBe('');
    } finally {
      await device.close();
    }
  }, 120_000);

  it('on a key with a PIN a write needs the PIN (exit 2 without it); reads do not', async () => {
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '2468', '--device', spec])).code).toBe(0);
    await register(3, 'three.example', '2468');
    const noPin = await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'three.example', '--text', 'x']);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/the key has a PIN/);
    const withPin = await tokenrig(['fido', 'blobs', 'set', '--device', spec, '--rp', 'three.example', '--text', 'pinned'], { TOKENRIG_FIDO_PIN: '2468' });
    expect(withPin.code, withPin.stderr).toBe(0);
    expect((await tokenrig(['fido', 'blobs', 'get', '--device', spec, '--rp', 'three.example'])).stdout).toBe('pinned');
  }, 120_000);

  it('one-line errors, checked before the device is touched (in process: the same main the binary runs)', { timeout: 60_000 }, async () => {
    for (const [args, code, re] of [
      [['fido', 'blobs', 'set', '--device', spec, '--rp', 'rp.example'], 2, /exactly one of --in FILE, --text TEXT, --delete/],
      [['fido', 'blobs', 'set', '--device', spec, '--text', 'x'], 2, /set needs --rp/],
      [['fido', 'blobs', 'get', '--device', spec, '--rp', 'a.example', '--key', 'ab'], 2, /--rp or --key, not both/],
      [['fido', 'blobs', 'get', '--device', spec, '--key', 'abcd'], 2, /64 hex digits/],
      [['fido', 'blobs', 'get', '--device', spec, '--credential', 'AAAA'], 2, /--credential goes with --rp/],
      [['fido', 'blobs', 'set', '--device', spec, '--rp', 'a.example', '--in', join(dir, 'missing')], 7, /--in .*no such file/],
      [['fido', 'blobs', 'frob', '--device', spec], 2, /unknown fido command "blobs"/],
      [['fido', 'blobs', 'get', '--device', spec, '--rp', 'nobody.example'], 7, /NO_CREDENTIALS/],
    ] as const) {
      const r = await inProcess([...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n').filter((l) => l !== 'touch your key')).toHaveLength(1);
    }
    const help = await inProcess(['fido', 'blobs', 'set', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/tokenrig fido blobs set/);
    expect(help.stdout).toMatch(/--delete/);
  });
});

/** `main` in this process with captured output: for the error paths, where a child process adds only start-up time. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (chunk: Buffer, _e, done) => (append(chunk.toString()), done()) });
  const io = { stdout: sink((x) => (stdout += x)), stderr: sink((x) => (stderr += x)), stdin: process.stdin, isTTY: false, env: {} };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
