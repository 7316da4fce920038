/**
 * One host of the hidraw contention check (test/vm/guest/contention-guest.ts starts several):
 * it opens the shared key's hidraw node with node-hid, allocates its own CTAPHID channel, says
 * `ready` with its channel ID, waits for `go` on stdin (so every host starts at once), runs the
 * verified mixed makeCredential/getAssertion workload of test/support/fido-workload.ts and
 * prints its tally as one JSON line.
 *
 *   node contention-worker.mjs hid:/dev/hidrawN HOSTNAME ROUNDS
 */
import { createInterface } from 'node:readline';
import { Ctap2 } from '../../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../../src/drivers/ctaphid-device.js';
import { openHidTransport } from '../../../src/transports/device-spec.js';
import { newTally, runHostWorkload } from '../../support/fido-workload.js';

const [spec, host, rounds] = process.argv.slice(2) as [string, string, string];

async function main(): Promise<void> {
  const transport = await openHidTransport(spec);
  // Generous: emulated (TCG), with every host's traffic on one key.
  const device = await CtapHidDevice.open(transport, { timeoutMs: 120_000 });
  const cid = device.info.cid;
  process.stdout.write(`${JSON.stringify({ event: 'ready', host, cid })}\n`);
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const tally = newTally();
  const t = Date.now();
  await runHostWorkload(new Ctap2(device), host, Number(rounds), tally);
  const ms = Date.now() - t;
  await device.close();
  process.stdout.write(`${JSON.stringify({ event: 'done', host, cid, ms, ...tally })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${host}: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
