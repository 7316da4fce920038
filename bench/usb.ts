/**
 * USB suite: the simulated FIDO key over USB/IP, beside the UDP contract.
 *
 * - Host: CTAP2 makeCredential and a 7609-byte CTAPHID PING (129 reports each way) from the
 *   host stack to `tokenrig sim fido` in its own process, over UDP (`--hid udp:0`) and over
 *   USB/IP through our client transport (`--usbip=0`, the `usbip:` device spec).
 * - Kernel: the same simulator exported over USB/IP and attached by a real Linux kernel in a VM
 *   (../shared/vm/vm-run, forwarded to the guest's 127.0.0.1:3240): attach to enumerated (the
 *   hidraw node exists), then makeCredential and PING through node-hid → hidraw → usbhid →
 *   vhci-hcd. Where the machine has no usable KVM the guest's CPU is emulated, which slows its
 *   side several times over: the host rows are what the protocol costs. Skipped, with a note,
 *   when no VM can start.
 *
 * Full-speed USB moves one 64-byte report per 1 ms frame each way, so a 7609-byte PING takes a
 * real key about 2 × 129 ms; the rows say how far from that the simulation is. PING rows are
 * round trips per second (1000 / ms).
 *
 * Run: `npm run bench -- usb` (or `--json`).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { Ctap2, type MakeCredentialParams } from '../src/ctap/ctap2.js';
import { CtapHidDevice } from '../src/drivers/ctaphid-device.js';
import { openHidTransport } from '../src/transports/device-spec.js';
import { bundleForGuest } from '../test/vm/support/bundle.js';
import { vmRunner } from '../test/vm/support/vm.js';
import { type BenchRow, type SuiteOptions, measureAsync } from './harness.js';

const CLI = fileURLToPath(new URL('../bin/tokenrig.js', import.meta.url));

function makeParams(): MakeCredentialParams {
  return {
    clientDataHash: sha256(new TextEncoder().encode('bench')),
    rp: { id: 'bench.example', name: 'Bench' },
    user: { id: Uint8Array.of(1, 2, 3, 4), name: 'bench' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  };
}

/** `tokenrig sim fido` in its own process with `args`; resolves with its ready event's endpoint. */
async function simulator(args: string[]): Promise<{ spec: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'sim', 'fido', ...args, '--quiet', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<{ endpoints: Record<string, string> }>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as { endpoints: Record<string, string> }));
    child.once('exit', (code) => reject(new Error(`tokenrig sim fido exited (${code}) before it was ready`)));
  });
  lines.on('line', () => {});
  return {
    spec: Object.values(ready.endpoints)[0]!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function hostRows(args: string[], impl: string, m: { timeMs: number; warmupMs: number }): Promise<BenchRow[]> {
  const sim = await simulator(args);
  const device = await CtapHidDevice.open(await openHidTransport(sim.spec, { role: 'fido' }));
  try {
    const ctap2 = new Ctap2(device);
    const payload = new Uint8Array(7609).map((_, i) => i & 0xff);
    return [
      { suite: 'usb', case: 'CTAP2 makeCredential', impl, opsPerSec: await measureAsync(() => ctap2.makeCredential(makeParams()), m) },
      { suite: 'usb', case: 'PING 7609 bytes round trip', impl, opsPerSec: await measureAsync(() => device.ping(payload), m) },
    ];
  } finally {
    await device.close();
    await sim.stop();
  }
}

async function kernelRows(timeMs: number): Promise<BenchRow[]> {
  const vm = vmRunner();
  if (vm.path === undefined) {
    console.error(`note: usb suite: the kernel rows are skipped: ${vm.reason}`);
    return [];
  }
  const sim = await simulator(['--usbip=0']);
  try {
    const port = /:(\d+)\//.exec(sim.spec)![1]!;
    const bundle = await bundleForGuest(['bench/vm/usbip-guest-bench.ts']);
    const run = await vm.runGuest({ script: bundle.scripts['bench/vm/usbip-guest-bench.ts']!, args: [String(timeMs)], forward: [`3240:${port}`], timeoutS: 600 });
    const r = run.json as { attachMs: number; makeCredential: number; ping: number } | undefined;
    if (run.status !== 0 || r === undefined) throw new Error(`the guest benchmark failed (vm-run exit ${run.status}): ${run.output.split('\n').slice(-5).join(' ')}`);
    const impl = 'USB/IP through the Linux kernel (vhci-hcd, hidraw) in a VM';
    return [
      { suite: 'usb', case: 'attach to enumerated (1000 / ms)', impl, opsPerSec: 1000 / r.attachMs },
      { suite: 'usb', case: 'CTAP2 makeCredential', impl, opsPerSec: r.makeCredential },
      { suite: 'usb', case: 'PING 7609 bytes round trip', impl, opsPerSec: r.ping },
    ];
  } finally {
    await sim.stop();
  }
}

export async function run(options: SuiteOptions = { timeMs: 700 }): Promise<BenchRow[]> {
  const m = { timeMs: options.timeMs, warmupMs: 1500 };
  return [
    ...(await hostRows(['--hid', 'udp:0'], 'UDP to sim fido, own process', m)),
    ...(await hostRows(['--usbip=0'], 'USB/IP client transport to sim fido, own process', m)),
    // The guest is slow to warm up: give it longer.
    ...(await kernelRows(Math.max(3000, options.timeMs * 3))),
  ];
}
