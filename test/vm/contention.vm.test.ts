/**
 * Many host processes sharing one simulated key through one hidraw node, in a real kernel
 * (test/vm/guest/contention-guest.ts): HOSTS processes × ROUNDS mixed makeCredential and
 * getAssertion calls at once, through uhid and through USB/IP (vhci-hcd), every answer verified
 * against its own request, zero wrong, zero failed.
 *
 * Run by `npm run test:vm` (not `npm test`).
 */
import { describeGuestChecks } from './support/vm.js';

const HOSTS = 4;
const ROUNDS = 100;

describeGuestChecks(
  'host processes sharing one key through hidraw get their own answers, and only those (vm-run)',
  { script: 'test/vm/guest/contention-guest.ts', helpers: ['test/vm/guest/contention-worker.ts'], args: [String(HOSTS), String(ROUNDS)] },
  ['uhid', 'usbip'].map((via) => `${via}: ${HOSTS} host processes share one hidraw node, ${ROUNDS} mixed makeCredential/getAssertion calls each, every answer verified, zero wrong`),
);
