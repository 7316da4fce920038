/**
 * The IAM/STS endpoint as the IAM benchmark runs it: its own process (so it has a core of its
 * own, as a deployed `tokenrig iam serve` has), over a prepared state, with a chosen
 * durability ('group': the default group commit; 'full': SQLite's fsync inside every commit).
 * It prints one ready line ({ endpoint }), then answers each `stats` line on stdin with its
 * CPU time and fsync counts, and exits on `quit`.
 *
 * Mode 'floor' is the baseline instead: a node:http server that reads each body and answers a
 * fixed small XML document, so the cost of Node's HTTP handling can be told apart.
 *
 * Usage (by bench/iam.ts): node --import tsx bench/iam-server.ts STATE_DIR group|full|floor
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { IamHttpEndpoint, IamService, IamStore } from '../src/iam/index.js';

const [state, mode] = process.argv.slice(2);
if (state === undefined || (mode !== 'group' && mode !== 'full' && mode !== 'floor')) throw new Error('usage: iam-server.ts STATE_DIR group|full|floor');

let url: string;
let close: () => Promise<void>;
let syncStats = (): { syncs: number; commits: number } => ({ syncs: 0, commits: 0 });
if (mode === 'floor') {
  const body = Buffer.from('<GetCallerIdentityResponse><GetCallerIdentityResult/></GetCallerIdentityResponse>');
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => (server.closeIdleConnections(), server.close(() => r())));
} else {
  const store = IamStore.open(state, { durability: mode });
  const service = IamService.open({ store });
  const endpoint = await IamHttpEndpoint.listen(service, { port: 0 });
  url = endpoint.url;
  syncStats = () => store.syncStats;
  close = async () => {
    await endpoint.close();
    await store.close();
  };
}
process.stdout.write(`${JSON.stringify({ endpoint: url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stats') {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMicros: cpu.user + cpu.system, ...syncStats() })}\n`);
  } else if (line === 'quit') break;
}
await close();
// stdin stays open (the parent holds it): leave explicitly.
process.exit(0);
