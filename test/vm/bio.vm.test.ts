/**
 * A key with a fingerprint sensor in a real kernel: `sim fido --uhid --profile yubikey-bio`
 * runs inside the VM, and libfido2's tools (an independent host, the one OpenSSH and
 * systemd-cryptenroll use) enroll, list, rename and delete its fingers and take a token from
 * its built-in user verification, and so does ykman (test/vm/guest/bio-guest.ts).
 *
 * Run by `npm run test:vm` (not `npm test`).
 */
import { describeGuestChecks } from './support/vm.js';

describeGuestChecks(
  'a simulated key with a fingerprint sensor through Linux uhid, driven by libfido2 (vm-run)',
  { script: 'test/vm/guest/bio-guest.ts', timeoutS: 600 },
  [
    'fido2-token -I: uv retries, uv modality fingerprint, a touch sensor and its samples (libfido2)',
    'fido2-token -S -e enrolls a finger sample by sample, -L -e lists it (libfido2)',
    'fido2-token -S -e -i -n renames it; tokenrig fido bio list reads the same template (libfido2)',
    'fido2-assert -G -t uv=true: a token from the finger (no PIN), the UV flag verified by fido2-assert -V -v (libfido2)',
    'fido2-token -D -e -i deletes the finger; the key lists none (libfido2)',
    'ykman fido fingerprints add, list, rename, delete (python3-ykman)',
  ],
);
