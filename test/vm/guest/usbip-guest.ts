/**
 * Runs inside the VM (test/vm/usbip.vm.test.ts starts it): two simulators on the host export
 * their devices over USB/IP, forwarded to the guest's 127.0.0.1:3240 (`sim fido` of the composite
 * key, 1050:0407) and 127.0.0.1:3241 (`sim otp` of the composite key, with the seed the test
 * knows): each the whole composite device, FIDO, OTP vendor HID, boot keyboard and CDC-ACM serial
 * port. The guest attaches them with the kernel's vhci-hcd and
 * checks what the issue lists, one named check at a time, into a JSON file the host reads.
 *
 *   node usbip-guest.mjs RESULTS.json CLI.mjs SECRET_BASE32 SERIAL
 */
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { Checks, expectThat, fidoHidraw, hidrawNodes, log, must, sh, waitFor, runGuestMain } from './harness.js';
import { fidoChecks } from './fido-checks.js';

const [resultsFile, cli, secret, serial] = process.argv.slice(2) as [string, string, string, string];
const checks = new Checks(resultsFile);
const VID = 0x1050;
const PID = 0x0407;
const OTP_PORT = '3241';
const FIDO_PORT = '3240';
const FIDO_DESCRIPTOR = '06d0f10901a1010920150026ff007508954081020921150026ff00750895409102c0';
const VENDOR_DESCRIPTOR = '0600ff0901a1010920150026ff007508954081020921150026ff00750895409102c0';
const KEYBOARD_DESCRIPTOR = '05010906a101050719e029e7150025017501950881029501750881019505750105081901290591029501750391019506750815002565050719002965' + '8100c0';

const tokenrig = (args: string[], timeoutMs = 300_000): Promise<string> => must(process.execPath, [cli, ...args], { timeoutMs });

/**
 * The codes oathtool gives for the guest's clock, one step either side: the token runs on the
 * host's clock, and an emulated guest's clock falls behind it (as a verifier allows a step of
 * drift, RFC 6238 §6).
 */
async function oathtoolCodes(): Promise<string[]> {
  return (await must('oathtool', ['--totp', '-b', secret, '-w', '2', '-N', `@${Math.floor(Date.now() / 1000) - 30}`])).trim().split('\n');
}

async function confirmCode(code: string): Promise<string> {
  const accepted = await oathtoolCodes();
  expectThat(/^\d{6}$/.test(code), `not a code: ${JSON.stringify(code)}`);
  expectThat(accepted.includes(code), `oathtool does not give ${code} (it gives ${accepted.join(', ')})`);
  return `${code}, which oathtool gives too`;
}

/** usbip's port number of an attached device with `busid` on `port`'s server. */
async function vhciPort(tcpPort: string): Promise<string | undefined> {
  const out = await must('usbip', ['port']);
  const blocks = out.split(/\n(?=Port \d+:)/);
  const block = blocks.find((b) => b.includes(`usbip://127.0.0.1:${tcpPort}/1-1`));
  return /Port (\d+):/.exec(block ?? '')?.[1];
}

function ttyAcm(): string | undefined {
  return readdirSync('/dev').find((n) => /^ttyACM\d+$/.test(n));
}

/** The event device of the keyboard interface: the input device of VID:PID that has keys. */
function keyboardEventNode(): string | undefined {
  for (const name of existsSync('/sys/class/input') ? readdirSync('/sys/class/input') : []) {
    if (!/^event\d+$/.test(name)) continue;
    try {
      const vendor = readFileSync(`/sys/class/input/${name}/device/id/vendor`, 'utf8').trim();
      const product = readFileSync(`/sys/class/input/${name}/device/id/product`, 'utf8').trim();
      if (parseInt(vendor, 16) === VID && parseInt(product, 16) === PID && existsSync(`/dev/input/${name}`)) return `/dev/input/${name}`;
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

/** linux/input-event-codes.h: KEY_1..KEY_9 are 2..10, KEY_0 is 11, KEY_ENTER is 28. */
function keyToChar(code: number): string | undefined {
  if (code >= 2 && code <= 10) return String(code - 1);
  if (code === 11) return '0';
  return undefined;
}

async function attach(tcpPort: string): Promise<number> {
  const t = Date.now();
  await must('usbip', ['--tcp-port', tcpPort, 'attach', '-r', '127.0.0.1', '-b', '1-1']);
  return t;
}

async function main(): Promise<void> {
  await must('modprobe', ['vhci-hcd']);
  await must('modprobe', ['evdev']);

  await checks.run('usbip list -r shows both exports with their interfaces', async () => {
    const otp = await must('usbip', ['--tcp-port', OTP_PORT, 'list', '-r', '127.0.0.1']);
    const fido = await must('usbip', ['--tcp-port', FIDO_PORT, 'list', '-r', '127.0.0.1']);
    expectThat(/1-1: .*\(1050:0407\)/.test(otp) && /Human Interface Device \/ Boot Interface Subclass \/ Keyboard \(03\/01\/01\)/.test(otp) && /\(02\/02\/00\)/.test(otp) && /\(0a\/00\/00\)/.test(otp), `OTP export:\n${otp}`);
    expectThat(/1-1: .*\(1050:0407\)/.test(fido) && /\(03\/00\/00\)/.test(fido), `FIDO export:\n${fido}`);
    return `${otp.split('\n').filter((l) => /1-1:|\d - /.test(l)).map((l) => l.trim()).join('; ')}`;
  });

  let attachedAt = 0;
  await checks.run('usbip attach: the OTP token enumerates on the first try (three hidraw nodes, a ttyACM, a keyboard)', async () => {
    attachedAt = await attach(OTP_PORT);
    const enumerated = await waitFor('hidraw ×3, ttyACM and keyboard event node', () => (hidrawNodes(VID, PID).length === 3 && ttyAcm() !== undefined && keyboardEventNode() !== undefined ? Date.now() : undefined));
    const nodes = hidrawNodes(VID, PID);
    return { detail: `${nodes.map((n) => n.node).join(', ')}, /dev/${ttyAcm()}, ${keyboardEventNode()} in ${enumerated - attachedAt} ms`, data: { attachToEnumeratedMs: enumerated - attachedAt } };
  });

  await checks.run('sysfs report descriptors are ours, byte for byte', async () => {
    const got = hidrawNodes(VID, PID).map((n) => n.reportDescriptor.toString('hex'));
    expectThat(got.includes(FIDO_DESCRIPTOR) && got.includes(VENDOR_DESCRIPTOR) && got.includes(KEYBOARD_DESCRIPTOR), `report descriptors: ${got.join(', ')}`);
    return `FIDO ${FIDO_DESCRIPTOR.length / 2} bytes, vendor ${VENDOR_DESCRIPTOR.length / 2} bytes, keyboard ${KEYBOARD_DESCRIPTOR.length / 2} bytes`;
  });

  await checks.run('lsusb -v shows our descriptors', async () => {
    const out = await must('lsusb', ['-v', '-d', '1050:0407']);
    for (const want of [/iSerial\s+3 12345678/, /bcdDevice\s+5\.43/, /bInterfaceProtocol\s+1 Keyboard/, /Interface Association/, /CDC ACM/, /CDC Union/, /wMaxPacketSize\s+0x0040\s+1x 64 bytes/, /bcdHID\s+1\.11/]) {
      expectThat(want.test(out), `lsusb -v lacks ${want}:\n${out.slice(0, 3000)}`);
    }
    expectThat(serial === '12345678', 'the test expects serial 12345678');
    return `${out.split('\n').filter((l) => /iManufacturer|iProduct|iSerial|bNumInterfaces/.test(l)).map((l) => l.trim().replace(/\s+/g, ' ')).join('; ')}`;
  });

  await checks.run('tokenrig devices lists the hidraw nodes with their roles and the ttyACM port', async () => {
    const { devices } = JSON.parse(await tokenrig(['devices', '--json'])) as { devices: { spec: string; role?: string; vendorId?: number }[] };
    const ours = devices.filter((d) => d.vendorId === VID);
    const roles = ours.map((d) => d.role ?? d.spec).sort();
    expectThat(roles.includes('fido') && roles.includes('otp-vendor') && roles.includes('keyboard') && ours.some((d) => d.spec === `serial:/dev/${ttyAcm()}`), `devices: ${JSON.stringify(ours)}`);
    return ours.map((d) => `${d.spec}${d.role === undefined ? '' : ` [${d.role}]`}`).join(', ');
  });

  for (const [what, spec] of [
    ['node-hid over hidraw', `hid:1050:0407`],
    ['the usb package through usbfs', `usb:1050:0407`],
    ['serialport on the ttyACM', `serial:/dev/${ttyAcm() ?? 'ttyACM0'}`],
  ] as const) {
    await checks.run(`tokenrig code --device ${spec.split(':')[0]}: (${what}) reads a code oathtool confirms`, async () => {
      const r = JSON.parse(await tokenrig(['code', '--device', spec, '--json'])) as { code: string; serial: string };
      expectThat(r.serial === serial, `serial ${r.serial}`);
      return confirmCode(r.code);
    });
  }

  await checks.run('pyserial on the ttyACM: *IDN? and PRESS', async () => {
    const script = [
      'import serial, sys',
      `p = serial.Serial('/dev/${ttyAcm() ?? 'ttyACM0'}', 115200, timeout=10)`,
      "p.write(b'*IDN?\\n'); print(p.readline().decode().strip())",
      "p.write(b'PRESS\\n'); print(p.readline().decode().strip())",
      'p.close()',
    ].join('\n');
    const [idn, code] = (await must('/usr/bin/python3', ['-c', script])).trim().split('\n');
    expectThat(idn === `Tokenrig,Key 5 (sim),${serial},5.4.3`, `*IDN? answered ${idn}`);
    return `*IDN? ${idn}; PRESS ${await confirmCode(code ?? '')}`;
  });

  await checks.run('the keyboard types the code and Enter as key events (/dev/input/event*)', async () => {
    const node = await waitFor('keyboard event node', keyboardEventNode, 10_000);
    const typed: string[] = [];
    let enter = false;
    const stream = createReadStream(node, { highWaterMark: 24 * 16 });
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no Enter within 60 s; typed ${typed.join('')}`)), 60_000);
      let rest = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer | string) => {
        rest = Buffer.concat([rest, Buffer.from(chunk)]);
        // struct input_event on 64-bit Linux: 16-byte timeval, u16 type, u16 code, s32 value.
        while (rest.length >= 24) {
          const type = rest.readUInt16LE(16);
          const code = rest.readUInt16LE(18);
          const value = rest.readInt32LE(20);
          rest = rest.subarray(24);
          if (type !== 1 || value !== 1) continue;
          if (code === 28) {
            enter = true;
            clearTimeout(timer);
            resolve();
          } else typed.push(keyToChar(code) ?? `?${code}`);
        }
      });
      stream.on('error', reject);
    });
    // Failing later (a press that never came) must not crash the script meanwhile.
    done.catch(() => undefined);
    // Give evdev a moment to open, then press the button over the serial line.
    await new Promise((r) => setTimeout(r, 300));
    const pressed = JSON.parse(await tokenrig(['code', '--device', `serial:/dev/${ttyAcm() ?? 'ttyACM0'}`, '--json'])) as { code: string };
    await done;
    stream.destroy();
    expectThat(enter && typed.join('') === pressed.code, `typed ${typed.join('')}, pressed ${pressed.code}`);
    return `typed ${typed.join('')} + Enter on ${node}; ${await confirmCode(pressed.code)}`;
  });

  await checks.run('a second importer of the attached device is refused ("Device busy")', async () => {
    const r = await sh('usbip', ['--tcp-port', OTP_PORT, 'attach', '-r', '127.0.0.1', '-b', '1-1']);
    expectThat(r.status !== 0 && /busy/i.test(r.stderr + r.stdout), `usbip attach again: exit ${r.status}: ${r.stderr}${r.stdout}`);
    return (r.stderr + r.stdout).trim().split('\n').pop()!;
  });

  await checks.run('usbip detach removes the nodes; re-attach brings them back and a code reads', async () => {
    const vport = await vhciPort(OTP_PORT);
    expectThat(vport !== undefined, `usbip port does not show the OTP device:\n${await must('usbip', ['port'])}`);
    await must('usbip', ['detach', '-p', vport!]);
    await waitFor('nodes gone', () => (hidrawNodes(VID, PID).length === 0 && ttyAcm() === undefined ? true : undefined));
    const t = await attach(OTP_PORT);
    await waitFor('nodes back', () => (hidrawNodes(VID, PID).length === 3 && ttyAcm() !== undefined ? true : undefined));
    const again = Date.now() - t;
    const r = JSON.parse(await tokenrig(['code', '--device', 'hid:1050:0407', '--json'])) as { code: string };
    return `detached port ${vport}, re-attached in ${again} ms, code ${await confirmCode(r.code)}`;
  });

  await checks.run('dmesg: no kernel complaint about the devices', async () => {
    const lines = (await must('dmesg', [])).split('\n').filter((l) => /usb|hid|cdc_acm|vhci|input/i.test(l));
    const complaints = lines.filter(
      (l) => /error|fail|invalid|bogus|can't|cannot|unable|overflow|babble|stall|malformed|short|too (long|short)|skipping|not (supported|match)|warn/i.test(l) && !/vhci_device speed not set/.test(l),
    );
    expectThat(complaints.length === 0, `dmesg:\n${complaints.join('\n')}`);
    return `${lines.length} lines about USB/HID/ACM, none a complaint`;
  });

  // The OTP simulator's device goes; the FIDO simulator's (also 1050:0407) comes, alone, so
  // tools that take the first key (ssh-keygen) or only Yubico's ids (ykman) find one key.
  const vport = await vhciPort(OTP_PORT);
  if (vport !== undefined) await must('usbip', ['detach', '-p', vport]);
  await waitFor('OTP nodes gone', () => (hidrawNodes(VID, PID).length === 0 ? true : undefined)).catch(() => undefined);

  let hidraw: string | undefined;
  await checks.run('usbip attach: the FIDO key enumerates as a FIDO hidraw node', async () => {
    const t = await attach(FIDO_PORT);
    hidraw = await waitFor('FIDO hidraw', () => fidoHidraw(VID, PID));
    const ms = Date.now() - t;
    const fidoNodes = hidrawNodes(VID, PID).filter((n) => n.reportDescriptor.toString('hex') === FIDO_DESCRIPTOR);
    expectThat(fidoNodes.length === 1 && fidoNodes[0]!.node === hidraw, `FIDO hidraw ${hidraw}, nodes with the FIDO report descriptor: ${fidoNodes.map((n) => n.node).join(', ')}`);
    return { detail: `${hidraw} (usage page 0xF1D0) in ${ms} ms`, data: { attachToEnumeratedMs: ms } };
  });
  if (hidraw !== undefined) await fidoChecks(checks, { via: 'usbip', hidraw, cli, yubico: true });

  await checks.run('dmesg after the FIDO checks: still no complaint', async () => {
    const complaints = (await must('dmesg', [])).split('\n').filter((l) => /usb|hid|vhci/i.test(l) && /error|fail|invalid|bogus|overflow|babble|stall|malformed/i.test(l));
    expectThat(complaints.length === 0, complaints.join('\n'));
    return 'none';
  });
  log('done');
}

runGuestMain(main);
