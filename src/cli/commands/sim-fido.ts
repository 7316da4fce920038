/**
 * `tokenrig sim fido`: run a simulated FIDO2/U2F authenticator reachable over UDP HID, USB/IP
 * or Linux uhid.
 *
 *   tokenrig sim fido [--hid udp[:PORT] | --usbip[=PORT] | --uhid] [--profile NAME] [--touch auto|manual|deny] [--uv auto|manual|deny] [--state DIR] [--json]
 *
 * `--hid udp` alone is the SoloKeys simulation contract (device on 127.0.0.1:8111), so
 * python-fido2, Solo's test suite or `tokenrig fido` can drive it. With `--json` the first
 * line is `{"event":"ready","endpoints":{"hid":"udp:127.0.0.1:8111"},...}` and every device
 * event follows as one JSON line. Manual touch: press Enter; a manual finger (--uv manual, a key
 * with a sensor): a line naming it (./sim-fido-uv.ts). Ctrl-C stops cleanly.
 * The device is `startFidoKey` of `tokenrig/sim`.
 */
import { createInterface } from 'node:readline';
import { DEVICE_PROFILES } from '../../../devices/index.js';
import { FIDO_PROFILES, type FidoKey, type SimEvent, type TouchMode, type UvMode, startFidoKey } from '../../sim/index.js';
import { type ParsedArgs, choiceOpt, flag, stringOpt } from '../args.js';
import type { CliIo } from '../cli-io.js';
import type { CommandSpec, FlagTable } from '../command.js';
import { EventStream, serveUntilStopped } from '../sim-session.js';
import { TOKEN_FLAGS, USB_FLAGS, endpointOptions, listenOption, stateOption } from './sim-otp.js';
import { UV_MODES, answerFinger, fingerPrompt } from './sim-fido-uv.js';

/** Names of the built-in device profiles that have a FIDO interface. */
export function fidoDeviceNames(): string[] {
  return Object.values(DEVICE_PROFILES)
    .filter((d) => d.interfaces.some((i) => i.kind === 'fido'))
    .map((d) => d.name);
}

/** The ready event's fields and a person's lines for a FIDO key. */
export function fidoAnnouncement(key: FidoKey, profileName: string | undefined, stateDir: string | undefined): { ready: Record<string, unknown>; lines: string[] } {
  // A key with a fingerprint sensor says how its finger is answered.
  const uv = key.fidoProfile.fingerprintSensor === undefined ? undefined : key.uvMode;
  return {
    ready: {
      touch: key.touchMode,
      ...(uv === undefined ? {} : { uv }),
      profile: profileName ?? 'default',
      state: stateDir ?? null,
      aaguid: key.fidoProfile.aaguid,
      product: key.fidoProfile.product,
      residentCredentials: key.credentials().length,
    },
    lines: [
      `FIDO2/U2F simulator listening on ${key.endpoints.hid ?? key.endpoints.usbip ?? '(no endpoint)'} (${profileName === undefined ? '' : `profile: ${profileName}, `}touch: ${key.touchMode}, ${uv === undefined ? '' : `uv: ${uv}, `}state: ${stateDir ?? 'in memory'})`,
      key.touchMode === 'manual' ? 'press Enter to touch the key when asked; Ctrl-C stops' : uv === 'manual' ? 'answer on stdin when a finger is asked for; Ctrl-C stops' : 'Ctrl-C stops',
    ],
  };
}

/** With --quiet, only what a person must act on (and errors) is shown. */
export function fidoEventFilter(quiet: boolean, touch: TouchMode, uv: UvMode = 'auto'): (e: SimEvent) => boolean {
  return (e) =>
    !quiet ||
    e.level !== undefined ||
    (touch === 'manual' && (e.event === 'touch_requested' || e.event === 'button_pressed')) ||
    (uv === 'manual' && (e.event === 'uv_requested' || e.event === 'enroll_sample_requested' || e.event === 'finger_placed'));
}

/** --touch as the API's option. */
export function touchOption(args: ParsedArgs): TouchMode {
  return choiceOpt(args, 'touch', ['auto', 'manual', 'deny'] as const) ?? 'auto';
}

/**
 * With --touch manual, Enter on stdin touches the key; with --uv manual, a line answers the
 * fingerprint sensor while it waits (./sim-fido-uv.ts). Returns how to stop reading.
 */
export function touchOnEnter(io: CliIo, key: FidoKey, events: EventStream): { stop(): void } {
  const lines = createInterface({ input: io.stdin });
  lines.on('line', (line) => {
    const finger = key.uvMode === 'manual' ? answerFinger(key, line) : undefined;
    if (finger !== undefined) events.push({ event: 'finger_placed', finger });
    else if (key.touchMode === 'manual') events.push({ event: 'button_pressed', granted: key.touch() });
  });
  return { stop: () => lines.close() };
}

/** The flags of a FIDO key's touch and event stream (`sim fido`, `sim key`). */
export const FIDO_FLAGS: FlagTable = {
  touch: { type: 'string', value: 'MODE', help: 'how touches are answered: auto (default) grants each; manual waits for Enter\n(or Space in a live view); deny refuses each' },
  quiet: { type: 'boolean', help: 'no line per request (a rig sending thousands a second); ready, stopped, errors\nand, with --touch manual, touch requests remain' },
};

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const touch = touchOption(args);
  const uv = choiceOpt(args, 'uv', UV_MODES) ?? 'auto';
  const profile = stringOpt(args, 'profile');
  // The prompts name the fingers the key waits for: describe reads them from the key once it runs.
  const running: { key?: FidoKey } = {};
  const events = new EventStream(io, json, { describe: (e) => describe(e, touch, running.key), show: fidoEventFilter(flag(args, 'quiet'), touch, uv) });
  const endpoints = endpointOptions(args, { hid: 'udp' });
  const key = (running.key = await startFidoKey({ ...endpoints, ...listenOption(args, endpoints), touch, uv, ...stateOption(args), ...(profile === undefined ? {} : { profile }), onEvent: events.push }));
  const { ready, lines } = fidoAnnouncement(key, profile, stringOpt(args, 'state'));
  const touching = touch === 'manual' || uv === 'manual' ? touchOnEnter(io, key, events) : undefined;
  try {
    return await serveUntilStopped(io, key, events, { json, ready, lines });
  } finally {
    touching?.stop();
  }
}

/** `tokenrig sim fido`. */
export const command: CommandSpec = {
  summary: 'run a simulated FIDO2/U2F key on UDP HID (the SoloKeys contract, 127.0.0.1:8111), USB/IP or uhid until Ctrl-C',
  flags: {
    hid: { type: 'string', value: 'udp[:PORT]', help: 'the UDP HID endpoint on 127.0.0.1: default port 8111 (python-fido2, Solo and OpenSK\ntest suites expect it); udp:0 any free port' },
    ...USB_FLAGS,
    profile: {
      type: 'string',
      value: 'NAME',
      help: `the key to be (default: tokenrig). Key personalities:\n${Object.entries(FIDO_PROFILES)
        .map(([name, p]) => `  ${name.padEnd(12)} ${p.description ?? p.product}`)
        .join('\n')}\nor a device profile with a FIDO interface (${fidoDeviceNames().join(', ')}): its USB identity\nand all its interfaces, with the tokenrig personality`,
    },
    uv: {
      type: 'string',
      value: 'MODE',
      help: 'the finger on a fingerprint sensor (--profile yubikey-bio): auto (default) an enrolled finger;\nmanual: a line on stdin names it (1..N an enrolled finger, w a wrong one, p a poor sample); deny: always\na wrong finger (enrollment still works)',
    },
    state: TOKEN_FLAGS.state!,
    ...FIDO_FLAGS,
  },
  notes: [
    'With none of --hid, --usbip, --uhid, the key is on UDP port 8111. With --json the first line is the "ready"\nevent naming the endpoint as a device spec, then one JSON line per device event (touch requests,\ncredentials made, assertions, PIN changes), then "stopped". See docs/fido-simulator.md; talk to it with\ntokenrig fido --device udp:127.0.0.1:8111 or python-fido2. Over --usbip or --uhid it is a USB or HID device\nof the kernel that browsers, libfido2 and ykman use (docs/usb.md).',
  ],
  examples: ['tokenrig sim fido --json', 'tokenrig sim fido --hid udp:0 --touch manual --state ./key', 'tokenrig sim fido --profile yubikey-5 --quiet --json', 'tokenrig sim fido --profile composite-key --quiet --json', 'tokenrig sim fido --profile yubikey-bio --uv manual', 'sudo tokenrig sim fido --uhid --json'],
  exits: { BAD_INPUT: ['--uv', 'sometimes'], BAD_FILE: ['--state', '{bad-state}'], BUSY: ['--hid', 'udp:{busy-udp}'] },
  run,
};

function describe(e: SimEvent, touch: string, key: FidoKey | undefined): string {
  switch (e.event) {
    case 'uv_requested':
    case 'enroll_sample_requested': {
      const request = key?.fingerRequest();
      return request !== undefined ? fingerPrompt(request) : e.event === 'uv_requested' ? `fingerprint requested (${String(e.reason)})` : 'enrollment sample requested';
    }
    case 'touch_requested':
      return touch === 'manual' ? `touch requested (${String(e.reason)}): press Enter` : `touch requested (${String(e.reason)})`;
    case 'credential_created':
      return `credential created for ${String(e.rp_id)}${e.resident === true ? ' (resident)' : ''}${e.uv === true ? ' with user verification' : ''}`;
    case 'assertion':
      return `assertion signed, counter ${String(e.counter)}`;
    default: {
      const { event, ...rest } = e;
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return fields === '' ? event : `${event} ${fields}`;
    }
  }
}
