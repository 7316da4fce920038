/**
 * `tokenrig rig RIG.json [--port PORT] [--ui PORT] [--json]`: start every device of a rig file
 * in this process, the control API on loopback and (with --ui) the dashboard, until Ctrl-C.
 * `tokenrig rig --init FILE` writes a commented example rig.
 */
import { existsSync } from 'node:fs';
import { badInput } from '../../errors.js';
import { writeFileAtomic } from '../../seeds/index.js';
import type { RigEvent } from '../../rig/index.js';
import { type ParsedArgs, flag, intOpt, stringOpt } from '../args.js';
import { type CliIo, printEvent, printLine } from '../cli-io.js';
import type { CommandTable } from '../command.js';
import { SIGNAL_EXIT_STATUS, untilStopped } from '../signals.js';

/** Devices a person reads in the ready lines before "... and N more". */
const LISTED = 20;

async function init(io: CliIo, path: string, args: ParsedArgs): Promise<number> {
  const { rigTemplate } = await import('../../rig/index.js');
  if (!flag(args, 'force') && existsSync(path)) throw badInput(`${path} exists: add --force to replace it`);
  await writeFileAtomic(path, new TextEncoder().encode(rigTemplate(path)), { overwrite: flag(args, 'force') });
  if (flag(args, 'json')) printEvent(io, { event: 'written', file: path });
  else printLine(io, `wrote ${path}: start it with tokenrig rig ${path} --ui 0`);
  return 0;
}

/** What a person reads of an event on a terminal (the dashboard shows the rest). */
function describe(e: RigEvent): string | undefined {
  switch (e.event) {
    case 'touch_pending':
      return `${e.device}: waiting for a touch (approve it in the dashboard or POST /api/devices/${e.device}/touch)`;
    case 'uv_pending':
      return `${e.device}: waiting for a fingerprint`;
    case 'device_added':
      return `added ${e.device}`;
    case 'device_removed':
      return `removed ${e.device}`;
    case 'fault':
      return `${e.device}: fault ${String(e.fault)}`;
    default:
      return undefined;
  }
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const initPath = stringOpt(args, 'init');
  if (initPath !== undefined) {
    if (args.positionals.length > 0) throw badInput('give a rig file to start, or --init FILE to write one, not both');
    return init(io, initPath, args);
  }
  const file = args.positionals[0];
  if (file === undefined) throw badInput('tokenrig rig needs a rig file (tokenrig rig --init rig.json writes an example)');
  const json = flag(args, 'json');
  const port = intOpt(args, 'port', 0, 65535) ?? 0;
  const uiPort = intOpt(args, 'ui', 0, 65535);
  const { startRig } = await import('../../rig/index.js');
  // Listen for Ctrl-C before starting: a large rig takes seconds, and a signal then still stops it cleanly.
  const signals = untilStopped();
  const started = Date.now();
  let running;
  try {
    running = await startRig(file, { api: true, port, ...(uiPort === undefined ? {} : { uiPort }) });
  } catch (e) {
    signals.dispose();
    throw e;
  }
  const { rig } = running;
  const devices = rig.devices();
  const startMs = Date.now() - started;
  if (json) {
    printEvent(io, {
      event: 'ready',
      devices: devices.map((d) => ({ serial: d.serial, kind: d.kind, endpoints: d.endpoints })),
      api: running.apiUrl,
      ui: running.uiUrl ?? null,
      usbip: rig.usbipServer ?? null,
      token: running.token,
      start_ms: startMs,
      pid: process.pid,
    });
  } else {
    const kinds = ['otp', 'fido', 'key'].map((k) => `${devices.filter((d) => d.kind === k).length} ${k}`).join(', ');
    printLine(io, `rig: ${devices.length} devices (${kinds}) started in ${startMs} ms`);
    printLine(io, `  api:   ${running.apiUrl}   (Authorization: Bearer ${running.token})`);
    if (running.uiUrl !== undefined) printLine(io, `  ui:    ${running.uiUrl}`);
    if (rig.usbipServer !== undefined) printLine(io, `  usbip: ${rig.usbipServer}   (tokenrig devices --usbip ${rig.usbipServer.slice('usbip:'.length)})`);
    for (const d of devices.slice(0, LISTED)) {
      const eps = Object.entries(d.endpoints).map(([k, v]) => `${k} ${v}`).join(', ');
      printLine(io, `  ${d.kind.padEnd(4)} ${d.serial}${eps === '' ? '' : `  ${eps}`}`);
    }
    if (devices.length > LISTED) printLine(io, `  ... and ${devices.length - LISTED} more (GET ${running.apiUrl}/devices)`);
  }
  const unsubscribe = rig.subscribe((e) => {
    if (json) printEvent(io, { ...e, event: e.event });
    else {
      const line = describe(e);
      if (line !== undefined) printLine(io, line);
    }
  });
  const reason = await signals.stopped;
  unsubscribe();
  await running.close();
  signals.dispose();
  if (json) printEvent(io, { event: 'stopped', reason });
  else printLine(io, `stopped (${reason})`);
  return SIGNAL_EXIT_STATUS[reason];
}

export const commands: CommandTable = {
  '': {
    summary: 'run many simulated devices from a rig file, with a control API and a live dashboard',
    args: 'RIG.json|RIG.yaml',
    positionals: { min: 0, max: 1 },
    flags: {
      port: { type: 'string', value: 'PORT', help: 'the control API on 127.0.0.1:PORT (default 0: any free port; the ready line names it)' },
      ui: { type: 'string', value: 'PORT', help: 'also serve the dashboard on 127.0.0.1:PORT (0: any free port); its URL carries the token' },
      init: { type: 'string', value: 'FILE', help: 'write a commented example rig to FILE (.json, or .yaml with comments) and exit' },
      force: { type: 'boolean', help: 'with --init: replace FILE if it exists' },
    },
    notes: [
      'The rig file (docs/rig.md) lists OTP tokens (one by one, count N, or every token of a seed file), FIDO keys\n(personality, touch and fingerprint modes, PIN) and composite keys, each with its endpoints and its clock.\nWith --json the first line is the "ready" event: every device (serial, kind, endpoints as device specs),\nthe api URL, the ui URL and the bearer token; then one JSON line per event; "stopped" on Ctrl-C.',
    ],
    examples: ['tokenrig rig --init rig.yaml', 'tokenrig rig rig.yaml --ui 0', 'tokenrig rig rig.json --port 8400 --json'],
    exits: {
      BAD_INPUT: ['{docs}/rig.example.json', '--init', '{tmp}/rig.json'],
      BAD_FILE: ['{file}'],
      NOT_FOUND: ['{tmp}/missing.json'],
      BUSY: ['{docs}/rig.example.json', '--port', '{busy-tcp}'],
    },
    run,
  },
};
