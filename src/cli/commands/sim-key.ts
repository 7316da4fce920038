/**
 * `tokenrig sim key`: a composite security key (YubiKey-like, profile `composite-key`) in one
 * process: the FIDO interface, the OTP vendor interface and the boot keyboard over UDP, and
 * the serial port when asked, all one device with one button. Its button answers a FIDO touch
 * request when one waits (with --touch manual) and otherwise shows (and types) a code, as a
 * YubiKey's does. The device is `startSecurityKey` of `tokenrig/sim`.
 */
import { startSecurityKey } from '../../sim/index.js';
import { type ParsedArgs, flag } from '../args.js';
import { type CliIo, printLine } from '../cli-io.js';
import type { CommandSpec } from '../command.js';
import { SEED_FILE_SECRETS } from '../seed-options.js';
import { EventStream, pressOnEnter, serveUntilStopped } from '../sim-session.js';
import { SECRET } from './otp.js';
import { FIDO_FLAGS, fidoAnnouncement, fidoEventFilter, touchOption } from './sim-fido.js';
import { startLiveView } from '../live-view.js';
import { TOKEN_EXITS, TOKEN_FLAGS, describeTokenEvent, endpointOptions, listenOption, tokenAnnouncement, tokenStartOptions } from './sim-otp.js';

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const touch = touchOption(args);
  const options = await tokenStartOptions(args, 'composite-key', io);
  const endpoints = endpointOptions(args, { hid: 'udp' });
  const events = new EventStream(io, json, { describe: describeTokenEvent, show: fidoEventFilter(flag(args, 'quiet'), touch) });
  const key = await startSecurityKey({ ...options, ...endpoints, ...listenOption(args, endpoints), touch, onEvent: events.push });
  const token = tokenAnnouncement(key, flag(args, 'reveal'));
  const fido = fidoAnnouncement(key, key.profile.name, options.stateDir);
  const live = !json && io.isTTY;
  // One button: a waiting FIDO request takes the touch, else the OTP code is shown and typed.
  const press = (): void => {
    if (key.touch() === 0) key.press();
  };
  // Without a live view a line on stdin is the button: with --touch manual it says whether a touch was granted.
  const touching = live
    ? undefined
    : pressOnEnter(io, () => {
        const granted = key.touch();
        if (touch === 'manual') events.push({ event: 'button_pressed', granted });
        if (granted === 0) key.press();
      });
  if (!json && !live) key.onPress((code) => printLine(io, `press: ${code}`));
  try {
    return await serveUntilStopped(io, key, events, {
      json,
      ready: { ...token.ready, ...fido.ready },
      lines: [...token.lines, ...fido.lines.slice(1)],
      ...(live ? { live: (quit: () => void) => startLiveView(io, key, quit, press) } : {}),
    });
  } finally {
    touching?.stop();
  }
}

/** `tokenrig sim key`. */
export const command: CommandSpec = {
  summary: 'run a simulated composite key (FIDO, OTP vendor interface, keyboard, serial) until Ctrl-C',
  flags: { ...TOKEN_FLAGS, ...FIDO_FLAGS },
  secrets: [SECRET, ...SEED_FILE_SECRETS],
  notes: [
    'The device of a profile with FIDO and OTP interfaces (default composite-key, a YubiKey-like key):\nits ready line names each interface as a device spec: hid (FIDO), otp (the vendor interface), keyboard\n(types the code on a press) and serial. With none of --hid, --serial-port, --usbip, --uhid the HID\ninterfaces are served on their default UDP ports; --usbip exports the whole key as one USB device.\nIts one button answers a waiting FIDO touch request (with --touch manual), else shows and types a code:\nSpace or Enter in the live view, else each line on stdin.',
  ],
  examples: ['tokenrig sim key --json', 'tokenrig sim key --hid udp:0 --serial-port pty --touch manual', 'tokenrig sim key --usbip=0 --json'],
  exits: { BAD_INPUT: ['--profile', 'aws-totp'], ...TOKEN_EXITS, BAD_FILE: ['--state', '{bad-state}'] },
  run,
};
