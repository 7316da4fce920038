/**
 * Many host processes sharing one simulated key through one hidraw node, in a real kernel
 * (test/vm/guest/contention-guest.ts): HOSTS processes × ROUNDS mixed makeCredential and
 * getAssertion calls at once, through uhid and through USB/IP (vhci-hcd), every answer verified
 * against its own request, zero wrong, zero failed.
 *
 * Run by `npm run test:vm` (not `npm test`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from './guest/harness.js';
import { bundleForGuest } from './support/bundle.js';
import { requireVm, vmRunner } from './support/vm.js';

const HOSTS = 4;
const ROUNDS = 100;

const vm = vmRunner();
let results: CheckResult[] = [];
let output = '';
let status: number | null = null;

beforeAll(async () => {
  if (vm.path === undefined) return;
  const bundle = await bundleForGuest(['test/vm/guest/contention-guest.ts', 'test/vm/guest/contention-worker.ts']);
  const run = await vm.runGuest({
    script: bundle.scripts['test/vm/guest/contention-guest.ts']!,
    args: [bundle.cli, bundle.scripts['test/vm/guest/contention-worker.ts']!, String(HOSTS), String(ROUNDS)],
    timeoutS: 1800,
    onLine: (l) => process.stdout.write(`${l}\n`),
  });
  ({ output, status } = run);
  results = (run.json as CheckResult[] | undefined) ?? [];
}, 1_860_000);

const CHECKS = ['uhid', 'usbip'].map((via) => `${via}: ${HOSTS} host processes share one hidraw node, ${ROUNDS} mixed makeCredential/getAssertion calls each, every answer verified, zero wrong`);

describe('host processes sharing one key through hidraw get their own answers, and only those (vm-run)', () => {
  it.for(CHECKS)('%s', (name, ctx) => {
    requireVm(vm, ctx);
    const r = results.find((x) => x.name === name);
    expect(r, `the guest did not get to this check (vm-run exit ${status}); its output ended:\n${output.split('\n').slice(-25).join('\n')}`).toBeDefined();
    expect(r!.ok, r!.detail).toBe(true);
  });
});
