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
import { describeGuestChecks } from './support/vm.js';

describeGuestChecks(
  'simulated devices through Linux uhid, in a real kernel (vm-run)',
  { script: 'test/vm/guest/uhid-guest.ts', args: ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '87654321'], udev: true },
  [
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
  ],
);
