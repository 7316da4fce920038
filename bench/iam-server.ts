/**
 * The IAM/STS endpoint as the IAM benchmark runs it: its own process (so it has a core of its
 * own, as a deployed `tokenrig iam serve` has), over a prepared state, with a chosen
 * durability ('group': the default group commit; 'full': SQLite's fsync inside every commit).
 * It prints one ready line ({ endpoint }), then answers each `stats` line on stdin with its
 * CPU time and fsync counts, and exits on `quit`.
 *
 * Usage (by bench/iam.ts): node --import tsx bench/iam-server.ts STATE_DIR group|full
 */
import { createInterface } from 'node:readline';
import { IamHttpEndpoint, IamService, IamStore } from '../src/iam/index.js';

const [state, durability] = process.argv.slice(2);
if (state === undefined || (durability !== 'group' && durability !== 'full')) throw new Error('usage: iam-server.ts STATE_DIR group|full');
const store = IamStore.open(state, { durability });
const service = IamService.open({ store });
const endpoint = await IamHttpEndpoint.listen(service, { port: 0 });
process.stdout.write(`${JSON.stringify({ endpoint: endpoint.url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stats') {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: cpu.user + cpu.system, ...store.syncStats })}\n`);
  } else if (line === 'quit') break;
}
await endpoint.close();
await store.close();
// stdin stays open (the parent holds it): leave explicitly.
process.exit(0);
