/**
 * A key with a fingerprint sensor in a real kernel: `sim fido --uhid --profile yubikey-bio`
 * runs inside the VM, and libfido2's tools (an independent host, the one OpenSSH and
 * systemd-cryptenroll use) enroll, list, rename and delete its fingers and take a token from
 * its built-in user verification, and so does ykman (test/vm/guest/bio-guest.ts).
 *
 * Run by `npm run test:vm` (not `npm test`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from './guest/harness.js';
import { bundleForGuest } from './support/bundle.js';
import { requireVm, vmRunner } from './support/vm.js';

const vm = vmRunner();
let results: CheckResult[] = [];
let output = '';
let status: number | null = null;

beforeAll(async () => {
  if (vm.path === undefined) return;
  const bundle = await bundleForGuest(['test/vm/guest/bio-guest.ts']);
  const run = await vm.runGuest({ script: bundle.scripts['test/vm/guest/bio-guest.ts']!, args: [bundle.cli], timeoutS: 600, onLine: (l) => process.stdout.write(`${l}\n`) });
  ({ output, status } = run);
  results = (run.json as CheckResult[] | undefined) ?? [];
}, 700_000);

const CHECKS = [
  'fido2-token -I: uv retries, uv modality fingerprint, a touch sensor and its samples (libfido2)',
  'fido2-token -S -e enrolls a finger sample by sample, -L -e lists it (libfido2)',
  'fido2-token -S -e -i -n renames it; tokenrig fido bio list reads the same template (libfido2)',
  'fido2-assert -G -t uv=true: a token from the finger (no PIN), the UV flag verified by fido2-assert -V -v (libfido2)',
  'fido2-token -D -e -i deletes the finger; the key lists none (libfido2)',
  'ykman fido fingerprints add, list, rename, delete (python3-ykman)',
];

describe('a simulated key with a fingerprint sensor through Linux uhid, driven by libfido2 (vm-run)', () => {
  it.for(CHECKS)('%s', (name, ctx) => {
    requireVm(vm, ctx);
    const r = results.find((x) => x.name === name);
    expect(r, `the guest did not get to this check (vm-run exit ${status}); its output ended:\n${output.split('\n').slice(-25).join('\n')}`).toBeDefined();
    expect(r!.ok, r!.detail).toBe(true);
  });
});
