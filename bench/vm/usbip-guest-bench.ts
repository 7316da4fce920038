/**
 * The guest half of the `usb` benchmark suite (bench/usb.ts runs it in a VM): attach the key a
 * host simulator exports over USB/IP (forwarded to the guest's 127.0.0.1:3240), time attach to
 * enumerated (the hidraw node is there), then CTAP2 makeCredential and a 7609-byte CTAPHID PING
 * through the kernel: node-hid → hidraw → usbhid → vhci-hcd → TCP → the simulator.
 *
 *   node usbip-guest-bench.mjs RESULTS.json TIME_MS
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { NodeHidTransport } from '../../src/transports/node-hid-transport.js';
import { measureAsync } from '../harness.js';

const [resultsFile, timeText] = process.argv.slice(2) as [string, string];
const timeMs = Number(timeText);

function fidoHidraw(): string | undefined {
  for (const name of existsSync('/sys/class/hidraw') ? readdirSync('/sys/class/hidraw') : []) {
    try {
      const rd = readFileSync(`/sys/class/hidraw/${name}/device/report_descriptor`);
      if (rd[0] === 0x06 && rd[1] === 0xd0 && rd[2] === 0xf1 && existsSync(`/dev/${name}`)) return `/dev/${name}`;
    } catch {
      // Not there yet.
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  spawnSync('modprobe', ['vhci-hcd']);
  const t0 = performance.now();
  const attach = spawnSync('usbip', ['attach', '-r', '127.0.0.1', '-b', '1-1'], { encoding: 'utf8' });
  if (attach.status !== 0) throw new Error(`usbip attach: ${attach.stderr}`);
  let node: string | undefined;
  while ((node = fidoHidraw()) === undefined) {
    if (performance.now() - t0 > 30_000) throw new Error('no hidraw node within 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const attachMs = performance.now() - t0;
  const device = await CtapHidDevice.open(await NodeHidTransport.open({ path: node }));
  const ctap2 = new Ctap2(device);
  const params = {
    clientDataHash: sha256(new TextEncoder().encode('bench')),
    rp: { id: 'bench.example', name: 'Bench' },
    user: { id: Uint8Array.of(1, 2, 3, 4), name: 'bench' },
    pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }],
  };
  const payload = new Uint8Array(7609).map((_, i) => i & 0xff);
  const m = { timeMs, warmupMs: Math.min(1500, timeMs) };
  const makeCredential = await measureAsync(() => ctap2.makeCredential(params), m);
  const ping = await measureAsync(() => device.ping(payload), m);
  await device.close();
  writeFileSync(resultsFile, JSON.stringify({ attachMs, makeCredential, ping }));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`guest bench failed: ${(e as Error).stack}`);
    process.exit(1);
  },
);
