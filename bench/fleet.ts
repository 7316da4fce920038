/**
 * Fleet benchmarks: many simulated OTP tokens in one process, as a QA rig runs them.
 * - memory per token: heap growth over 10,000 tokens (firmware only; and with a serial
 *   interface and a vendor HID interface each), after GC when `--expose-gc` is given;
 * - press→code throughput across the 10,000 tokens: the firmware directly, and through the
 *   host driver over the memory serial and memory HID transports (round-robin over the fleet);
 * - press→code round trip over a real pty (socat + serialport) and over UDP on 127.0.0.1,
 *   with p50/p99 latency.
 * Every path's code is checked against the OTP core once before it is measured.
 */
import { performance } from 'node:perf_hooks';
import { AWS_TOTP_PROFILE } from '../devices/index.js';
import { PtyEndpoint } from '../firmware-sim/endpoints/pty-endpoint.js';
import { UdpEndpoint } from '../firmware-sim/endpoints/udp-endpoint.js';
import { AutoPresence, type DeviceEnvironment, MemoryStorage, SeededRandom, realTimers, silentLogger } from '../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../firmware-sim/otp/index.js';
import { ManualClock } from '../src/clock/index.js';
import { HidOtpTokenDriver, type OtpTokenDriver, SerialOtpTokenDriver } from '../src/drivers/otp-token-driver.js';
import { totp } from '../src/otp/totp.js';
import { openHidTransport, openSerialTransport } from '../src/transports/device-spec.js';
import { MemoryHidTransport } from '../src/transports/memory-hid-transport.js';
import { MemorySerialTransport } from '../src/transports/memory-serial-transport.js';
import { type BenchRow, measure, measureAsync, percentile } from './harness.js';

export type FleetRow = BenchRow & Record<string, unknown>;

const FLEET = 10_000;
const NOW_MS = 1_700_000_015_000;

function fleetEnv(clock: ManualClock, random: SeededRandom): DeviceEnvironment {
  // Shared clock, random, presence and logger; each token has its own storage.
  return { clock, random, storage: new MemoryStorage(), presence: new AutoPresence(), timers: realTimers, log: silentLogger };
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench/fleet: ${what} gave a wrong code; refusing to measure it`);
}

async function roundTrips(driver: OtpTokenDriver, samples: number): Promise<{ p50: number; p99: number; opsPerSec: number }> {
  for (let i = 0; i < 50; i++) await driver.press();
  const l: number[] = [];
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await driver.press();
    l.push(performance.now() - t);
  }
  return { p50: percentile(l, 50), p99: percentile(l, 99), opsPerSec: (samples * 1000) / (performance.now() - start) };
}

export async function run(options: { timeMs?: number } = {}): Promise<FleetRow[]> {
  const timeMs = options.timeMs ?? 700;
  const rows: FleetRow[] = [];
  const clock = new ManualClock(NOW_MS);
  const random = new SeededRandom('fleet');
  const secret = (i: number): Uint8Array => {
    const s = new Uint8Array(20);
    new DataView(s.buffer).setUint32(0, i);
    s[19] = 1;
    return s;
  };
  const serialOf = (i: number): string => `GAKT${String(i).padStart(8, '0')}`;

  // Memory: the firmware alone.
  const before = heapUsed();
  const tokens: OtpTokenFirmware[] = [];
  const openStart = performance.now();
  for (let i = 0; i < FLEET; i++) tokens.push(OtpTokenFirmware.open(fleetEnv(clock, random), AWS_TOTP_PROFILE, { secret: secret(i), serial: serialOf(i) }));
  const openRate = (FLEET * 1000) / (performance.now() - openStart);
  const afterTokens = heapUsed();
  // Memory: plus a serial interface and a vendor HID interface (CTAPHID layer) per token.
  const withInterfaces = tokens.map((t) => ({ serial: new OtpSerialInterface(t), hid: createOtpVendorHid(fleetEnv(clock, random), t) }));
  const afterInterfaces = heapUsed();
  const gcNote = (globalThis as { gc?: () => void }).gc === undefined ? 'heap delta without forced GC (run node with --expose-gc for a tighter figure)' : 'heap delta after GC';
  // opsPerSec of the memory rows: tokens opened per second (state written to memory storage).
  rows.push({ suite: 'fleet', case: `open ${FLEET} tokens (firmware only)`, impl: 'tokenrig', opsPerSec: openRate, bytesPerToken: Math.round((afterTokens - before) / FLEET), note: gcNote });
  rows.push({ suite: 'fleet', case: `${FLEET} tokens + serial + vendor HID interfaces`, impl: 'tokenrig', opsPerSec: openRate, bytesPerToken: Math.round((afterInterfaces - before) / FLEET), note: gcNote });

  // Throughput: the firmware directly, round-robin over the fleet.
  check(tokens[123]!.press().code === totp(secret(123), NOW_MS / 1000), 'firmware press');
  let k = 0;
  rows.push({ suite: 'fleet', case: `press→code, firmware direct (${FLEET} tokens)`, impl: 'tokenrig', opsPerSec: measure(() => tokens[k++ % FLEET]!.press().code, { timeMs }) });

  // Throughput over the memory transports, through the host drivers.
  const serialDrivers = withInterfaces.map((w, i) => new SerialOtpTokenDriver(MemorySerialTransport.connect(w.serial, `memory:${serialOf(i)}`)));
  check((await serialDrivers[7]!.press()) === totp(secret(7), NOW_MS / 1000), 'memory serial press');
  // Steady state: each driver has done its one-time *IDN? sync before measuring.
  for (const d of serialDrivers) await d.press();
  k = 0;
  rows.push({ suite: 'fleet', case: `press→code, driver over memory serial (${FLEET} tokens)`, impl: 'tokenrig', opsPerSec: await measureAsync(() => serialDrivers[k++ % FLEET]!.press(), { timeMs }) });
  const hidDrivers = withInterfaces.map((w) => new HidOtpTokenDriver(MemoryHidTransport.connect(w.hid)));
  check((await hidDrivers[9]!.press()) === totp(secret(9), NOW_MS / 1000), 'memory HID press');
  // Steady state: each driver has its CTAPHID channel (INIT) before measuring.
  for (const d of hidDrivers) await d.press();
  k = 0;
  rows.push({ suite: 'fleet', case: `press→code, driver over memory HID (${FLEET} tokens)`, impl: 'tokenrig', opsPerSec: await measureAsync(() => hidDrivers[k++ % FLEET]!.press(), { timeMs }) });
  await Promise.all([...serialDrivers, ...hidDrivers].map((d) => d.close()));

  // Round trips over real endpoints: one token on a pty and on UDP.
  const token = tokens[42]!;
  const samples = Math.max(200, Math.round(timeMs));
  try {
    const pty = await PtyEndpoint.open(new OtpSerialInterface(token));
    try {
      const driver = new SerialOtpTokenDriver(await openSerialTransport(`serial:${pty.path}`));
      check((await driver.press()) === totp(secret(42), NOW_MS / 1000), 'pty press');
      const r = await roundTrips(driver, samples);
      rows.push({ suite: 'fleet', case: 'press→code round trip, serialport on pty (socat)', impl: 'tokenrig', opsPerSec: r.opsPerSec, p50Ms: r.p50, p99Ms: r.p99, samples });
      await driver.close();
    } finally {
      await pty.close();
    }
  } catch (e) {
    rows.push({ suite: 'fleet', case: 'press→code round trip, serialport on pty (socat)', impl: 'tokenrig', opsPerSec: Number.NaN, note: `not measured: ${(e as Error).message}` });
  }
  const udp = await UdpEndpoint.listen(createOtpVendorHid(fleetEnv(clock, random), token), { port: 0 });
  try {
    const driver = new HidOtpTokenDriver(await openHidTransport(udp.spec));
    check((await driver.press()) === totp(secret(42), NOW_MS / 1000), 'UDP press');
    const r = await roundTrips(driver, samples);
    rows.push({ suite: 'fleet', case: 'press→code round trip, vendor HID over UDP 127.0.0.1', impl: 'tokenrig', opsPerSec: r.opsPerSec, p50Ms: r.p50, p99Ms: r.p99, samples });
    await driver.close();
  } finally {
    await udp.close();
  }
  return rows;
}
