/**
 * `tokenrig sim key`: a composite security key (YubiKey-like, profile `composite-key`) in one
 * process: the FIDO interface, the OTP vendor interface and the boot keyboard over UDP, and
 * the serial port when asked, all one device with one button. Its button answers a FIDO touch
 * request when one waits (with --touch manual) and otherwise shows (and types) a code, as a
 * YubiKey's does. The device is `startSecurityKey` of `tokenrig/sim`.
 */
import { DEVICE_PROFILES } from '../../../devices/index.js';
import { startSecurityKey } from '../../sim/index.js';
import { flag, parseCommandArgs } from '../args.js';
import { type CliIo, printLine } from '../cli-io.js';
import { EventStream, serveUntilStopped } from '../sim-session.js';
import { fidoAnnouncement, fidoEventFilter, touchOnEnter, touchOption } from './sim-fido.js';
import { TOKEN_OPTIONS, describeTokenEvent, endpointOptions, startLiveView, tokenAnnouncement, tokenStartOptions } from './sim-otp.js';

const USAGE = `usage: tokenrig sim key [--profile NAME | --profile-file JSON] [--hid udp[:PORT]] [--serial-port pty|tcp:PORT]
                        [--touch auto|manual|deny] [--secret B32] [--serial SN] [--state DIR] [--offset SECONDS]
                        [--drift PPM] [--link PATH] [--quiet] [--json] [--reveal]
  profiles with FIDO and OTP interfaces: ${Object.values(DEVICE_PROFILES)
    .filter((d) => d.interfaces.some((i) => i.kind === 'fido') && d.interfaces.some((i) => i.kind !== 'fido'))
    .map((d) => d.name)
    .join(', ')} (default composite-key)
  --hid udp[:PORT]        every HID interface over UDP on 127.0.0.1: by default FIDO on 8111, the OTP vendor
                          interface on 8112, the keyboard on 8113; udp:PORT counts up from PORT; udp:0 any free ports
  --serial-port ...       also the serial port: pty (a real /dev/pts/N, via socat) or tcp:PORT
  --touch MODE            auto (default), manual (the button: Enter, or Space in the live view) or deny
  with neither --hid nor --serial-port, the HID interfaces are served on their default ports
  the other options are those of tokenrig sim otp (tokenrig sim otp --help)`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...TOKEN_OPTIONS, touch: { type: 'string' }, quiet: { type: 'boolean' } });
  if (flag(args, 'help')) return printLine(io, USAGE), 0;
  const json = flag(args, 'json');
  const touch = touchOption(args);
  const options = await tokenStartOptions(args, 'composite-key');
  const endpoints = endpointOptions(args, undefined);
  const events = new EventStream(io, json, { describe: describeTokenEvent, show: fidoEventFilter(flag(args, 'quiet'), touch) });
  const key = await startSecurityKey({ ...options, ...(Object.keys(endpoints).length === 0 ? { hid: 'udp' } : endpoints), touch, onEvent: events.push });
  const token = tokenAnnouncement(key, flag(args, 'reveal'));
  const fido = fidoAnnouncement(key, key.profile.name, options.stateDir);
  const live = !json && io.isTTY;
  // One button: a waiting FIDO request takes the touch, else the OTP code is shown and typed.
  const press = (): void => {
    if (key.touch() === 0) key.press();
  };
  const touching = touch === 'manual' && !live ? touchOnEnter(io, key, events) : undefined;
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
