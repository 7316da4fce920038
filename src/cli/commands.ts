/**
 * The CLI's command families. Each family lives in its own module under ./commands/, exports
 * its table of commands (see command.ts) and is loaded only when used, so `tokenrig otp code`
 * does not load USB or CTAP code. A new family is one entry here and one module.
 */
import type { CliIo } from './cli-io.js';
import type { CommandTable } from './command.js';

export interface CommandFamily {
  /** One line for `tokenrig --help` and the family's own help. */
  summary: string;
  /** The family's module: its `commands` table (or, for a family not yet declared as a table, `run`). */
  load(): Promise<{ commands: CommandTable } | { run(argv: string[], io: CliIo): Promise<number> }>;
}

export const COMMANDS: Readonly<Record<string, CommandFamily>> = {
  otp: { summary: 'compute and verify HOTP/TOTP codes', load: () => import('./commands/otp.js') },
  code: { summary: 'press a token (serial, UDP, HID or USB) and print its code', load: () => import('./commands/code.js') },
  sim: { summary: 'run a simulated device: an OTP token, a FIDO key or a composite key', load: () => import('./commands/sim.js') },
  fido: { summary: 'drive a FIDO key: info, WebAuthn register/authenticate, PIN, credentials, config, fingerprints, large blobs, reset, wink', load: () => import('./commands/fido.js') },
  iam: { summary: 'a strict local IAM/STS endpoint that checks MFA codes; enroll a token into IAM', load: () => import('./commands/iam.js') },
  seed: { summary: 'generate, export and import seed files (PSKC, CSV, otpauth URIs, QR)', load: () => import('./commands/seed.js') },
  rig: { summary: 'run many simulated devices from a rig file, with a control API and a live dashboard', load: () => import('./commands/rig.js') },
  devices: { summary: 'list HID devices and serial ports as device specs', load: () => import('./commands/devices.js') },
  demo: { summary: 'run the demo of the whole mission on embedded defaults', load: () => import('./commands/demo.js') },
};
