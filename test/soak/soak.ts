/**
 * The soak: a shared simulated key and eight tokens under load while their process is killed
 * and restarted, then a check that nothing acknowledged was lost and no answer was wrong.
 *
 * - A seed import: `tokenrig seed generate` writes 8 tokens to a password-protected PSKC file,
 *   which the device process imports on every start.
 * - 8 FIDO hosts share one simulated key over UDP (a CtapHidDevice each), running the verified
 *   makeCredential/getAssertion workload of test/support/fido-workload.ts: every answer is
 *   checked against its own request.
 * - 8 serial clients press the 8 tokens over TCP; every code is checked against the TOTP of
 *   the token's seed at that moment.
 * - Every few seconds the device process gets SIGKILL and starts again on the same ports and
 *   state directories. Calls cut by a kill fail with typed errors; they are not acknowledged.
 * - At the end every acknowledged credential must still sign, with its acknowledged key, and a
 *   counter above the last one acknowledged; every token must still be itself.
 *
 * Bounded: SOAK_SECONDS (default 150) of load, then the check. Prints a detail line and
 * `soak: N passed, M failed`; exits 1 on any failure.
 *
 * Run: npm run soak
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { SerialOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { TokenrigError } from '../../src/errors.js';
import { Totp } from '../../src/otp/index.js';
import { readSeedFile } from '../../src/seeds/index.js';
import { TcpSerialTransport } from '../../src/transports/tcp-serial-transport.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';
import { type HeldCredential, assertHeld, newTally, runHostWorkload } from '../support/fido-workload.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tokenrig.js');
const SERVER = join(import.meta.dirname, 'device-server.ts');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
const HOSTS = 8;
const CLIENTS = 8;
const PASSWORD = 'soak password';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'tokenrig-soak-'));
const seedFile = join(dir, 'seeds.pskc');
let ports: { udp: number; tcp: number[] } = { udp: 0, tcp: Array<number>(CLIENTS).fill(0) };
let server: ChildProcess | undefined;

async function startServer(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, join(dir, 'state'), seedFile, PASSWORD, String(ports.udp), ports.tcp.join(',')], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await new Promise<{ udp: number; tcp: number[] } | undefined>((resolve) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as { udp: number; tcp: number[] }));
      child.once('exit', () => resolve(undefined));
    });
    if (ready !== undefined) {
      ports = ready;
      server = child;
      return;
    }
    if (attempt >= 5) throw new Error(`the device process did not start: ${stderr.trim()}`);
    await sleep(200);
  }
}

function killServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (child === undefined || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const fido = newTally();
const credentials: HeldCredential[][] = Array.from({ length: HOSTS }, () => []);
const serial = { ok: 0, wrong: 0, failed: 0, notes: [] as string[] };
let running = true;

async function fidoHost(i: number): Promise<void> {
  while (running) {
    let device: CtapHidDevice | undefined;
    try {
      device = await CtapHidDevice.open(await UdpHidTransport.open({ port: ports.udp }), { timeoutMs: 2000 });
      const ctap2 = new Ctap2(device);
      for (let round = 0; running; round++) {
        await runHostWorkload(ctap2, `host${i}`, 3, fido, credentials[i]);
        await sleep(20);
      }
    } catch (e) {
      if (!(e instanceof TokenrigError)) throw e;
      fido.failed++;
      await sleep(100);
    } finally {
      await device?.close();
    }
  }
}

async function serialClient(i: number, secret: Uint8Array): Promise<void> {
  const totp = new Totp(secret);
  while (running) {
    let driver: SerialOtpTokenDriver | undefined;
    try {
      driver = new SerialOtpTokenDriver(await TcpSerialTransport.open('127.0.0.1', ports.tcp[i]!, 1000), { timeoutMs: 1000 });
      while (running) {
        const before = Math.floor(Date.now() / 1000);
        const code = await driver.press();
        const after = Math.floor(Date.now() / 1000);
        if (code === totp.generate(before) || code === totp.generate(after)) serial.ok++;
        else {
          serial.wrong++;
          if (serial.notes.length < 10) serial.notes.push(`client ${i}: code ${code} at ${before}..${after}`);
        }
        await sleep(100);
      }
    } catch (e) {
      if (!(e instanceof TokenrigError)) throw e;
      serial.failed++;
      await sleep(100);
    } finally {
      await driver?.close();
    }
  }
}

/** After the last restart: every acknowledged credential signs with its key and a higher counter. */
async function checkSurvivors(): Promise<{ survived: number; lost: string[] }> {
  const device = await CtapHidDevice.open(await UdpHidTransport.open({ port: ports.udp }), { timeoutMs: 5000 });
  const ctap2 = new Ctap2(device);
  let survived = 0;
  const lost: string[] = [];
  for (const [i, held] of credentials.entries()) {
    for (const cred of held) {
      const id = Buffer.from(cred.id.subarray(0, 8)).toString('hex');
      try {
        const problem = await assertHeld(ctap2, cred);
        if (problem === undefined) survived++;
        else lost.push(`host ${i} credential ${id}: ${problem}`);
      } catch (e) {
        if (!(e instanceof TokenrigError)) throw e;
        lost.push(`host ${i} credential ${id}: ${e.message}`);
      }
    }
  }
  await device.close();
  return { survived, lost };
}

async function main(): Promise<number> {
  await promisify(execFile)(process.execPath, [BIN, 'seed', 'generate', '--count', String(CLIENTS), '--profile', 'aws-hardware', '--format', 'pskc', '--out-password', PASSWORD, '--out', seedFile]);
  const { seeds } = await readSeedFile(seedFile, { password: PASSWORD });
  await startServer();
  const workers = [...Array.from({ length: HOSTS }, (_, i) => fidoHost(i)), ...seeds.map((s, i) => serialClient(i, s.secret))];
  let kills = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await sleep(3000 + Math.floor(Math.random() * 2000));
    await killServer();
    kills++;
    await startServer();
  }
  running = false;
  await Promise.all(workers);
  // One more kill, so the check reads only what was on disk.
  await killServer();
  kills++;
  await startServer();
  const survivors = await checkSurvivors();
  const identities = await Promise.all(
    seeds.map(async (s, i) => {
      const driver = new SerialOtpTokenDriver(await TcpSerialTransport.open('127.0.0.1', ports.tcp[i]!), { timeoutMs: 2000 });
      try {
        return (await driver.identify()).serial === s.serial;
      } finally {
        await driver.close();
      }
    }),
  );
  await killServer();
  const acknowledged = credentials.reduce((n, c) => n + c.length, 0);
  const tokensKept = identities.filter(Boolean).length;
  console.log(
    `soak details: ${SECONDS} s, ${kills} kills; seed import: ${seeds.length} tokens; ` +
      `${HOSTS} FIDO hosts: ${fido.ok} answers verified, ${fido.wrong} wrong, ${fido.failed} calls cut by kills; ` +
      `${CLIENTS} serial clients: ${serial.ok} codes verified, ${serial.wrong} wrong, ${serial.failed} presses or connects cut by kills; ` +
      `${acknowledged} acknowledged credentials: ${survivors.survived} still sign with a higher counter, ${survivors.lost.length} lost; ` +
      `${tokensKept}/${seeds.length} tokens kept their identity`,
  );
  for (const n of [...fido.notes, ...serial.notes, ...survivors.lost].slice(0, 20)) console.log(`  ${n}`);
  const passed = fido.ok + serial.ok + survivors.survived + tokensKept;
  const failed = fido.wrong + serial.wrong + survivors.lost.length + (seeds.length - tokensKept);
  console.log(`soak: ${passed} passed, ${failed} failed`);
  rmSync(dir, { recursive: true, force: true });
  return failed === 0 && acknowledged > 0 && serial.ok > 0 ? 0 : 1;
}

process.exitCode = await main().catch(async (e: unknown) => {
  await killServer();
  console.error(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  console.log('soak: 0 passed, 1 failed');
  return 1;
});
