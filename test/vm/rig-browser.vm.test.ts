/**
 * A rig key attached to the operating system, in a real kernel: `tokenrig rig` starts a FIDO
 * key with a uhid endpoint inside the VM, and test/vm/guest/rig-browser-guest.ts runs the same
 * relying-party page (register + sign in, verified by @simplewebauthn/server) through headless
 * Chromium's own WebAuthn stack (no bridge) and through the tokenrig/playwright bridge to the
 * same key, approving every touch through the rig's API while the browser waits, and checks
 * that both routes give the relying party the same results.
 *
 * Run by `npm run test:vm` (not `npm test`).
 */
import { describeGuestChecks } from './support/vm.js';

describeGuestChecks(
  "a rig key on uhid: the browser's own WebAuthn and the Playwright bridge give the relying party the same results (vm-run)",
  { script: 'test/vm/guest/rig-browser-guest.ts', udev: true },
  [
    'tokenrig rig: a rig file whose FIDO key has a uhid endpoint starts it as a hidraw device',
    "the browser's own WebAuthn (no bridge) finds the rig key on hidraw: register + sign in, verified by @simplewebauthn/server, touches approved through the rig API",
    'the Playwright bridge to the same rig key: register + sign in, verified by @simplewebauthn/server, touches approved through the rig API',
    'both routes give the relying party the same results (fmt, AAGUID, algorithm, flags, transports, the sign count advancing)',
  ],
);
