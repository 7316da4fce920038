/**
 * The CLI's command families. Each family lives in its own module under ./commands/ and is
 * loaded only when used, so `tokenrig otp code` does not load USB or CTAP code.
 */
import type { CliIo } from './cli-io.js';

export interface CommandFamily {
  /** One line for `tokenrig --help`. */
  summary: string;
  /** Usage text for `tokenrig NAME --help`. */
  usage: string;
  load(): Promise<{ run(argv: string[], io: CliIo): Promise<number> }>;
}

export const COMMANDS: Readonly<Record<string, CommandFamily>> = {
  otp: {
    summary: 'compute and verify HOTP/TOTP codes',
    usage: 'tokenrig otp code|verify ... (tokenrig otp --help)',
    load: () => import('./commands/otp.js'),
  },
  demo: {
    summary: 'run the demo of the whole mission on embedded defaults',
    usage: 'tokenrig demo [--json]',
    load: () => import('./commands/demo.js'),
  },
  code: { summary: 'press a token (serial, UDP, HID or USB) and print its code', usage: 'tokenrig code --device SPEC [--json]', load: () => import('./commands/code.js') },
  devices: { summary: 'list HID devices and serial ports as device specs', usage: 'tokenrig devices [--json]', load: () => import('./commands/devices.js') },
  sim: { summary: 'run a simulated device (otp token or fido key) on a pty, TCP or UDP', usage: 'tokenrig sim otp|fido [options]', load: () => import('./commands/sim.js') },
  fido: { summary: 'drive a FIDO key: info, WebAuthn register/authenticate, PIN, credentials, config, reset, wink', usage: 'tokenrig fido info|register|authenticate|pin|creds|config|reset|wink --device SPEC [--json] (tokenrig fido --help)', load: () => import('./commands/fido.js') },
  seed: { summary: 'generate, export and import seed files (PSKC, CSV, otpauth URIs, QR)', usage: 'tokenrig seed generate|export|import ... (tokenrig seed --help)', load: () => import('./commands/seed.js') },
};
