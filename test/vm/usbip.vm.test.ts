/**
 * USB/IP in a real Linux kernel. Two simulators run here on the host, as users run them
 * (`tokenrig sim fido --usbip`, `tokenrig sim otp --usbip`); a VM (../shared/vm/vm-run, Debian's
 * kernel) attaches their devices with vhci-hcd and runs the checks of test/vm/guest/usbip-guest.ts:
 * usbip list/attach/detach, lsusb -v and dmesg, hidraw/ttyACM/input nodes, our CLI over hid:,
 * usb: and serial: with oathtool, pyserial, the keyboard's key events, libfido2's tools, ykman,
 * ssh-keygen -t ecdsa-sk, headless Chromium. Meanwhile dumpcap records the USB/IP sessions on the
 * host's loopback, and tshark must dissect them without a malformed packet.
 *
 * Run by `npm run test:vm` (not `npm test`): it takes minutes under emulation.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from './guest/harness.js';
import { REPO, bundleForGuest } from './support/bundle.js';
import { requireVm, vmRunner } from './support/vm.js';
import { commandWorks, peer } from '../support/peer.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const SERIAL = '12345678';
const tshark = peer('tshark', 'apt-get install tshark', () => commandWorks('tshark', ['--version']) && commandWorks('dumpcap', ['--version']));

interface Sim {
  child: ChildProcess;
  ready: Record<string, unknown>;
  events: Record<string, unknown>[];
}

async function startSim(args: string[]): Promise<Sim> {
  const child = spawn(process.execPath, [join(REPO, 'bin/tokenrig.js'), 'sim', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      if (e.event === 'ready') resolve(e);
      else events.push(e);
    });
    child.on('exit', (code) => reject(new Error(`sim ${args.join(' ')} exited ${code}`)));
  });
  return { child, ready, events };
}

function portOf(sim: Sim): number {
  const spec = (sim.ready.endpoints as { usbip: string }).usbip;
  return Number(/:(\d+)\//.exec(spec)![1]);
}

const vm = vmRunner();
let results: CheckResult[] = [];
let output = '';
let status: number | null = null;
const sims: Sim[] = [];
let pcap: string | undefined;
let ports: number[] = [];

beforeAll(async () => {
  if (vm.path === undefined) return;
  const bundle = await bundleForGuest(['test/vm/guest/usbip-guest.ts']);
  const fido = await startSim(['fido', '--profile', 'composite-key', '--usbip=0', '--json']);
  const otp = await startSim(['otp', '--profile', 'composite-key', '--usbip=0', '--json', '--secret', SECRET, '--serial', SERIAL]);
  sims.push(fido, otp);
  ports = [portOf(fido), portOf(otp)];
  let capture: ChildProcess | undefined;
  if (tshark.available) {
    pcap = join(mkdtempSync(join(tmpdir(), 'tokenrig-pcap-')), 'usbip.pcapng');
    capture = spawn('dumpcap', ['-i', 'lo', '-q', '-f', ports.map((p) => `tcp port ${p}`).join(' or '), '-w', pcap], { stdio: 'ignore' });
    // dumpcap needs a moment before it captures.
    await new Promise((r) => setTimeout(r, 1500));
  }
  const run = await vm.runGuest({
    script: bundle.scripts['test/vm/guest/usbip-guest.ts']!,
    args: [bundle.cli, SECRET, SERIAL],
    forward: [`3240:${ports[0]}`, `3241:${ports[1]}`],
    udev: true,
    timeoutS: 1800,
    onLine: (l) => process.stdout.write(`${l}\n`),
  });
  ({ output, status } = run);
  results = (run.json as CheckResult[] | undefined) ?? [];
  if (capture !== undefined) {
    capture.kill('SIGINT');
    await new Promise((r) => capture.once('exit', r));
  }
}, 1_860_000);

afterAll(async () => {
  for (const s of sims) {
    s.child.kill('SIGTERM');
    await new Promise((r) => (s.child.exitCode !== null ? r(undefined) : s.child.once('exit', r)));
  }
});

/** Every check the guest runs, in order; a missing one fails with the guest's last output. */
const CHECKS = [
  'usbip list -r shows both exports with their interfaces',
  'usbip attach: the OTP token enumerates on the first try (three hidraw nodes, a ttyACM, a keyboard)',
  'sysfs report descriptors are ours, byte for byte',
  'lsusb -v shows our descriptors',
  'tokenrig devices lists the hidraw nodes with their roles and the ttyACM port',
  'tokenrig code --device hid: (node-hid over hidraw) reads a code oathtool confirms',
  'tokenrig code --device usb: (the usb package through usbfs) reads a code oathtool confirms',
  'tokenrig code --device serial: (serialport on the ttyACM) reads a code oathtool confirms',
  'pyserial on the ttyACM: *IDN? and PRESS',
  'the keyboard types the code and Enter as key events (/dev/input/event*)',
  'a second importer of the attached device is refused ("Device busy")',
  'usbip detach removes the nodes; re-attach brings them back and a code reads',
  'dmesg: no kernel complaint about the devices',
  'usbip attach: the FIDO key enumerates as a FIDO hidraw node',
  'usbip: tokenrig fido info over hid:',
  'usbip: tokenrig fido register + authenticate over hid:, verified by @simplewebauthn/server',
  'usbip: fido2-token -L lists the key, -I describes it (libfido2)',
  'usbip: fido2-cred -M then -V, fido2-assert -G then -V (libfido2)',
  'usbip: ykman fido info (python3-ykman)',
  'usbip: ssh-keygen -t ecdsa-sk, -Y sign, -Y verify (OpenSSH)',
  'usbip: ssh-keygen -t ed25519-sk, -Y sign, -Y verify (OpenSSH)',
  'usbip: headless Chromium: navigator.credentials.create() and get() through hidraw, verified by @simplewebauthn/server',
  'dmesg after the FIDO checks: still no complaint',
];

describe('simulated devices over USB/IP, attached by a real Linux kernel (vm-run)', () => {
  it.for(CHECKS)('%s', (name, ctx) => {
    requireVm(vm, ctx);
    const r = results.find((x) => x.name === name);
    expect(r, `the guest did not get to this check (vm-run exit ${status}); its output ended:\n${output.split('\n').slice(-25).join('\n')}`).toBeDefined();
    expect(r!.ok, r!.detail).toBe(true);
  });

  it('the OTP simulator saw the import, the release on detach and the import again', (ctx) => {
    requireVm(vm, ctx);
    const otp = sims[1]!.events.filter((e) => String(e.event).startsWith('usbip_')).map((e) => e.event);
    expect(otp.slice(0, 2)).toEqual(['usbip_devlist', 'usbip_import']);
    expect(otp).toContain('usbip_refused');
    const release = otp.indexOf('usbip_release');
    expect(release).toBeGreaterThan(0);
    expect(otp.slice(release)).toContain('usbip_import');
  });

  it('tshark dissects the captured USB/IP sessions with no malformed packet', (ctx) => {
    requireVm(vm, ctx);
    tshark.require(ctx);
    const decode = ports.flatMap((p) => ['-d', `tcp.port==${p},usbip`]);
    const fields = spawnSync('tshark', ['-r', pcap!, ...decode, '-Y', 'usbip', '-T', 'fields', '-e', 'usbip.operation', '-e', 'usbip.idVendor', '-e', 'usbip.urb'], { encoding: 'utf8' });
    expect(fields.status, fields.stderr).toBe(0);
    const rows = fields.stdout.trim().split('\n');
    // Device lists, imports (the composite key's vendor id) and thousands of URBs.
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.some((r) => r.includes('0x1050'))).toBe(true);
    const malformed = spawnSync('tshark', ['-r', pcap!, ...decode, '-Y', '_ws.malformed || _ws.expert.severity >= "Error"'], { encoding: 'utf8' });
    expect(malformed.status, malformed.stderr).toBe(0);
    expect(malformed.stdout.trim(), 'malformed or erroneous packets').toBe('');
  });
});
