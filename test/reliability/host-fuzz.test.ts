/**
 * The host side against malicious devices (test/support/malicious-device.ts): random,
 * truncated and mis-channelled answers to CtapHidDevice, Ctap2, ClientPin and the OTP drivers.
 * Every call must settle within its timeout (plus scheduling slack) and, when it fails, fail
 * with a TokenrigError: never a hang, never an internal error (TypeError, RangeError, ...).
 * HOST_FUZZ_RUNS sets the number of seeded runs per target (`npm run fuzz` runs many more).
 */
import { appendFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { OtpTokenFirmware, createOtpVendorHid } from '../../firmware-sim/otp/index.js';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { HidOtpTokenDriver, SerialOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { TokenrigError } from '../../src/errors.js';
import { MaliciousHidTransport, MaliciousSerialTransport, Rng } from '../support/malicious-device.js';

const RUNS = Number(process.env.HOST_FUZZ_RUNS ?? 60);
const TIMEOUT_MS = 150;
/** A call may take its timeout, the time INIT took, and this much scheduling slack on a busy machine. */
const SLACK_MS = 1000;

/**
 * How long this process could not run at all (event-loop stalls: a loaded machine, a GC):
 * a timer every 10 ms notes how late it fired. Time lost so is not the host's lateness.
 */
class StallMeter {
  #stalled = 0;
  #last = Date.now();
  readonly #timer = setInterval(() => {
    const now = Date.now();
    this.#stalled += Math.max(0, now - this.#last - 10);
    this.#last = now;
  }, 10);

  /** Total stall so far, in ms. */
  get stalledMs(): number {
    return this.#stalled + Math.max(0, Date.now() - this.#last - 10);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
const stalls = new StallMeter();

export interface FuzzTally {
  runs: number;
  ok: number;
  typed: number;
  untyped: string[];
  late: string[];
}

/** Run `op` and check how it settled: in time, and with a typed error if it failed. */
async function judge(tally: FuzzTally, what: string, budgetMs: number, op: () => Promise<unknown>): Promise<boolean> {
  const started = Date.now();
  const stalledBefore = stalls.stalledMs;
  let ok = true;
  try {
    await op();
    tally.ok++;
  } catch (e) {
    ok = false;
    if (e instanceof TokenrigError) tally.typed++;
    else tally.untyped.push(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  const took = Date.now() - started;
  const stalled = stalls.stalledMs - stalledBefore;
  if (took - stalled > budgetMs + SLACK_MS) tally.late.push(`${what}: ${took} ms, ${stalled} ms of it the process stalled (budget ${budgetMs})`);
  return ok;
}

const newTally = (): FuzzTally => ({ runs: 0, ok: 0, typed: 0, untyped: [], late: [] });

/** With HOST_FUZZ_REPORT=FILE, one JSON line per target goes there (CI prints a summary from it). */
function report(target: string, t: FuzzTally): void {
  const file = process.env.HOST_FUZZ_REPORT;
  if (file !== undefined) appendFileSync(file, `${JSON.stringify({ target, runs: t.runs, ok: t.ok, typed: t.typed, untyped: t.untyped.length, late: t.late.length })}\n`);
}

async function authenticator(seed: number) {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: `fuzz-${seed}` });
  return FidoAuthenticator.create(env);
}

/** A run: made ready first (simulators cost CPU to make), then timed. */
type Run = (tally: FuzzTally) => Promise<void>;

/** One seeded run of CtapHidDevice + Ctap2 + ClientPin against a spoiled link. */
export async function fuzzFidoHost(seed: number): Promise<Run> {
  const rng = new Rng(seed);
  const device = rng.next() < 0.8 ? (await authenticator(seed)).hid : undefined;
  return (tally) => fidoHostRun(seed, rng, device, tally);
}

async function fidoHostRun(seed: number, rng: Rng, device: FidoAuthenticator['hid'] | undefined, tally: FuzzTally): Promise<void> {
  tally.runs++;
  const transport = new MaliciousHidTransport(rng, device);
  let hid: CtapHidDevice | undefined;
  const opened = await judge(tally, `seed ${seed} open`, TIMEOUT_MS, async () => {
    hid = await CtapHidDevice.open(transport, { timeoutMs: TIMEOUT_MS, busyBackoffMs: 5 });
  });
  if (!opened || hid === undefined) return;
  const ctap2 = new Ctap2(hid);
  const pin = new ClientPin(ctap2, { protocol: rng.pick([1, 2] as const) });
  const ops: [string, () => Promise<unknown>][] = [
    ['ping', () => hid!.ping(rng.bytes(rng.int(200)))],
    ['getInfo', () => ctap2.getInfo()],
    ['makeCredential', () => ctap2.makeCredential({ clientDataHash: rng.bytes(32), rp: { id: 'rp.example' }, user: { id: rng.bytes(8), name: 'u' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] })],
    ['getAssertion', () => ctap2.getAssertion({ rpId: 'rp.example', clientDataHash: rng.bytes(32) })],
    ['getRetries', () => pin.getRetries()],
    ['setPin', () => pin.setPin('1234')],
    ['getPinToken', () => pin.getPinToken('1234')],
  ];
  for (let i = 0; i < 4; i++) {
    const [name, op] = rng.pick(ops);
    // A call may first resynchronise the channel (INIT) and then be retried once: two timeouts.
    await judge(tally, `seed ${seed} ${name} (faults ${transport.faults.slice(-3).join(',')})`, 2 * TIMEOUT_MS, op);
  }
  await hid.close();
}

/** One seeded run of the OTP drivers (vendor HID and serial) against malicious devices. */
export async function fuzzOtpDriver(seed: number): Promise<Run> {
  return (tally) => otpDriverRun(seed, tally);
}

async function otpDriverRun(seed: number, tally: FuzzTally): Promise<void> {
  tally.runs++;
  const rng = new Rng(seed);
  if (rng.next() < 0.5) {
    const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed: `otp-${seed}` });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, {});
    const driver = new HidOtpTokenDriver(new MaliciousHidTransport(rng, createOtpVendorHid(env, token)), { timeoutMs: TIMEOUT_MS, random: (n) => rng.bytes(n) });
    for (let i = 0; i < 3; i++) await judge(tally, `seed ${seed} vendor-hid`, 3 * TIMEOUT_MS, () => rng.pick([() => driver.identify(), () => driver.press(), () => driver.readDisplay()])());
    await driver.close();
  } else {
    const driver = new SerialOtpTokenDriver(new MaliciousSerialTransport(rng), { timeoutMs: TIMEOUT_MS });
    // The first command also synchronises the line (*IDN?): two commands' worth of time.
    for (let i = 0; i < 3; i++) await judge(tally, `seed ${seed} serial`, 2 * TIMEOUT_MS, () => rng.pick([() => driver.identify(), () => driver.press(), () => driver.readDisplay()])());
    await driver.close();
  }
}

/** Run `runs` seeds, a few at a time: each batch is made ready, then run and timed together. */
export async function fuzzMany(runs: number, first: number, prepare: (seed: number) => Promise<Run>): Promise<FuzzTally> {
  const tally = newTally();
  const parallel = 8;
  for (let base = 0; base < runs; base += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, runs - base) }, (_, i) => prepare(first + base + i)));
    await Promise.all(batch.map((run) => run(tally)));
  }
  return tally;
}

describe('host side against malicious devices', () => {
  afterAll(() => stalls.stop());

  it(`CtapHidDevice, Ctap2 and ClientPin: ${RUNS} seeded runs, only typed errors, none late`, async () => {
    const tally = await fuzzMany(RUNS, 1, fuzzFidoHost);
    report('CtapHidDevice+Ctap2+ClientPin', tally);
    expect(tally.untyped).toEqual([]);
    expect(tally.late).toEqual([]);
    // The runs reached the device and back, and failures were spoken as typed errors.
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.typed).toBeGreaterThan(0);
  }, 300_000);

  it(`OTP drivers (vendor HID and serial): ${RUNS} seeded runs, only typed errors, none late`, async () => {
    const tally = await fuzzMany(RUNS, 10_001, fuzzOtpDriver);
    report('OTP drivers', tally);
    expect(tally.untyped).toEqual([]);
    expect(tally.late).toEqual([]);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.typed).toBeGreaterThan(0);
  }, 300_000);
});
