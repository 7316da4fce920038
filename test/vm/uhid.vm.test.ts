/**
 * Linux uhid in a real kernel: the simulators run inside the VM with `--uhid`, and
 * test/vm/guest/uhid-guest.ts checks the clear error without access to /dev/uhid, the same FIDO checks as
 * over USB/IP (our CLI, libfido2, ykman, OpenSSH, headless Chromium) through the uhid hidraw
 * node, DESTROY when the simulator stops, OpenSSH's resident keys (PIN,
 * `-O resident -O verify-required`, `-Y sign`/`-Y verify`, `ssh-keygen -K`) on the strict default
 * personality and on the YubiKey 5 one, and the OTP token's vendor interface and keyboard.
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
  const bundle = await bundleForGuest(['test/vm/guest/uhid-guest.ts']);
  const run = await vm.runGuest({
    script: bundle.scripts['test/vm/guest/uhid-guest.ts']!,
    args: [bundle.cli, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '87654321'],
    udev: true,
    timeoutS: 1800,
    onLine: (l) => process.stdout.write(`${l}\n`),
  });
  ({ output, status } = run);
  results = (run.json as CheckResult[] | undefined) ?? [];
}, 1_860_000);

const CHECKS = [
  'a user who may not write /dev/uhid gets one clear line saying how to enable it, exit 7',
  'sim fido --uhid: a FIDO hidraw node with the profile’s identity',
  'uhid: tokenrig fido info over hid:',
  'uhid: tokenrig fido register + authenticate over hid:, verified by @simplewebauthn/server',
  'uhid: fido2-token -L lists the key, -I describes it (libfido2)',
  'uhid: fido2-cred -M then -V, fido2-assert -G then -V (libfido2)',
  'uhid: ykman fido info (python3-ykman)',
  'uhid: ssh-keygen -t ecdsa-sk, -Y sign, -Y verify (OpenSSH)',
  'uhid: ssh-keygen -t ed25519-sk, -Y sign, -Y verify (OpenSSH)',
  'uhid: headless Chromium: navigator.credentials.create() and get() through hidraw, verified by @simplewebauthn/server',
  'uhid: tokenrig fido pin set (the PIN from TOKENRIG_FIDO_PIN)',
  'uhid: ssh-keygen -t ed25519-sk -O resident -O verify-required, -Y sign, -Y verify (OpenSSH, PIN by SSH_ASKPASS)',
  'uhid: ssh-keygen -t ecdsa-sk -O resident -O verify-required, -Y sign, -Y verify (OpenSSH, PIN by SSH_ASKPASS)',
  'uhid: ssh-keygen -K downloads each resident key, equal to the generated one; the downloaded key signs',
  'stopping the simulator destroys the uhid device',
  'sim fido --uhid --profile yubikey-5: a FIDO hidraw node',
  'uhid yubikey-5: tokenrig fido pin set (the PIN from TOKENRIG_FIDO_PIN)',
  'uhid yubikey-5: ssh-keygen -t ed25519-sk -O resident -O verify-required, -Y sign, -Y verify (OpenSSH, PIN by SSH_ASKPASS)',
  'uhid yubikey-5: ssh-keygen -t ecdsa-sk -O resident -O verify-required, -Y sign, -Y verify (OpenSSH, PIN by SSH_ASKPASS)',
  'uhid yubikey-5: ssh-keygen -K downloads each resident key, equal to the generated one; the downloaded key signs',
  'sim otp --uhid: the vendor interface reads a code and the keyboard types it (key events)',
  'code --device <the keyboard spec a --uhid ready line prints>: waits for a press and reads the typed code',
  'dmesg: no kernel complaint about the uhid devices',
];

describe('simulated devices through Linux uhid, in a real kernel (vm-run)', () => {
  it.for(CHECKS)('%s', (name, ctx) => {
    requireVm(vm, ctx);
    const r = results.find((x) => x.name === name);
    expect(r, `the guest did not get to this check (vm-run exit ${status}); its output ended:\n${output.split('\n').slice(-25).join('\n')}`).toBeDefined();
    expect(r!.ok, r!.detail).toBe(true);
  });
});
