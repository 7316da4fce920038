/**
 * Runs inside the VM (test/vm/uhid.vm.test.ts starts it): the simulators run here in the guest
 * with `--uhid` (uhid devices are local), and the guest checks the clear error before the uhid
 * module is loaded, then the FIDO checks over the uhid hidraw node, the OTP token's vendor
 * interface and keyboard over uhid, and that the devices go away when the simulator stops.
 *
 *   node uhid-guest.mjs RESULTS.json CLI.mjs SECRET_BASE32 SERIAL
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { fidoChecks } from './fido-checks.js';
import { sshResidentChecks } from './ssh-resident-checks.js';
import { Checks, expectThat, fidoHidraw, hidrawNodes, log, must, runGuestMain, sh, startSim, stopProcess, waitFor } from './harness.js';

const [resultsFile, cli, secret, serial] = process.argv.slice(2) as [string, string, string, string];
const checks = new Checks(resultsFile);
const VID = 0x1050;
const PID = 0x0407;

function keyboardEventNode(): string | undefined {
  for (const name of existsSync('/sys/class/input') ? readdirSync('/sys/class/input') : []) {
    if (!/^event\d+$/.test(name)) continue;
    try {
      if (parseInt(readFileSync(`/sys/class/input/${name}/device/id/vendor`, 'utf8'), 16) === VID && existsSync(`/dev/input/${name}`)) return `/dev/input/${name}`;
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  await must('modprobe', ['evdev']);

  await must('modprobe', ['uhid']);
  await checks.run('a user who may not write /dev/uhid gets one clear line saying how to enable it, exit 7', async () => {
    // The guest runs as root; nobody (65534) stands for a user without the udev rule.
    const r = await sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'sim', 'fido', '--uhid']);
    expectThat(r.status === 7 && r.stderr.trim().split('\n').length === 1 && /is not writable by this user: run as root, or give a group access with a udev rule/.test(r.stderr), `exit ${r.status}: ${r.stderr}`);
    return r.stderr.trim();
  });

  let fido: ChildProcess | undefined;
  let hidraw: string | undefined;
  let yubikey5: ChildProcess | undefined;
  let yubikey5Hidraw: string | undefined;
  await checks.run('sim fido --uhid: a FIDO hidraw node with the profile’s identity', async () => {
    const t = Date.now();
    const sim = await startSim(cli, ['fido', '--uhid', '--profile', 'composite-key', '--json']);
    fido = sim.child;
    // Each HID interface of the composite key is a uhid device; the ready line names each node.
    const nodes = Object.values(sim.ready.endpoints as Record<string, string>).map((spec) => spec.replace(/^hid:/, ''));
    hidraw = await waitFor('FIDO hidraw', () => fidoHidraw(VID, PID));
    expectThat(nodes.includes(hidraw), `ready names ${nodes.join(', ')}, sysfs ${hidraw}`);
    const uevent = readFileSync(`/sys/class/hidraw/${hidraw.slice(5)}/device/uevent`, 'utf8');
    expectThat(uevent.includes('HID_NAME=Tokenrig Simulated Key 5 OTP+FIDO'), uevent);
    return { detail: `${hidraw}, ${uevent.split('\n').filter((l) => /HID_(ID|NAME)/.test(l)).join(', ')}`, data: { startToHidrawMs: Date.now() - t } };
  });
  if (hidraw !== undefined) {
    await fidoChecks(checks, { via: 'uhid', hidraw, cli, yubico: true });
    // Last on this key: it sets a PIN, which the checks above (Chromium's among them) must not meet.
    // The composite key has the strict default personality: `ssh-keygen -K` needs its 0x41.
    await sshResidentChecks(checks, { via: 'uhid', hidraw, cli, pin: '123456' });
  }
  await checks.run('stopping the simulator destroys the uhid device', async () => {
    if (fido !== undefined) await stopProcess(fido);
    await waitFor('hidraw node gone', () => (fidoHidraw(VID, PID) === undefined ? true : undefined), 10_000);
    return 'the hidraw node is gone';
  });

  // The same on the YubiKey 5 personality, which people pick to test against what they own.
  await checks.run('sim fido --uhid --profile yubikey-5: a FIDO hidraw node', async () => {
    const sim = await startSim(cli, ['fido', '--uhid', '--profile', 'yubikey-5', '--json', '--quiet']);
    yubikey5 = sim.child;
    const nodes = Object.values(sim.ready.endpoints as Record<string, string>).map((spec) => spec.replace(/^hid:/, ''));
    expectThat(nodes.length === 1 && nodes[0]!.startsWith('/dev/hidraw'), `ready names ${JSON.stringify(sim.ready.endpoints)}`);
    yubikey5Hidraw = nodes[0]!;
    return yubikey5Hidraw;
  });
  if (yubikey5Hidraw !== undefined) await sshResidentChecks(checks, { via: 'uhid yubikey-5', hidraw: yubikey5Hidraw, cli, pin: '123456' });
  if (yubikey5 !== undefined) {
    await stopProcess(yubikey5);
    // The OTP check below counts the nodes of 1050:0407, which this personality shares.
    await waitFor('the yubikey-5 hidraw node gone', () => (yubikey5Hidraw !== undefined && existsSync(yubikey5Hidraw) ? undefined : true), 10_000);
  }

  await checks.run('sim otp --uhid: the vendor interface reads a code and the keyboard types it (key events)', async () => {
    const sim = await startSim(cli, ['otp', '--uhid', '--profile', 'composite-key', '--json', '--secret', secret, '--serial', serial]);
    try {
      // The composite key's three HID interfaces (FIDO, OTP vendor, keyboard), one uhid device each.
      const nodes = await waitFor('three hidraw nodes', () => (hidrawNodes(VID, PID).length === 3 ? hidrawNodes(VID, PID) : undefined));
      const event = await waitFor('keyboard event node', keyboardEventNode, 10_000);
      const typed: number[] = [];
      const stream = createReadStream(event, { highWaterMark: 24 * 16 });
      const enter = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no Enter within 60 s (typed ${typed.join(',')})`)), 60_000);
        let rest = Buffer.alloc(0);
        stream.on('data', (chunk: Buffer | string) => {
          rest = Buffer.concat([rest, Buffer.from(chunk)]);
          while (rest.length >= 24) {
            const [type, code, value] = [rest.readUInt16LE(16), rest.readUInt16LE(18), rest.readInt32LE(20)];
            rest = rest.subarray(24);
            if (type !== 1 || value !== 1) continue;
            if (code === 28) {
              clearTimeout(timer);
              resolve();
            } else typed.push(code);
          }
        });
        stream.on('error', reject);
      });
      // Failing later (a press that never came) must not crash the script meanwhile.
      enter.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const r = JSON.parse(await must(process.execPath, [cli, 'code', '--device', 'hid:1050:0407', '--json'])) as { code: string; serial: string };
      await enter;
      stream.destroy();
      const text = typed.map((c) => (c === 11 ? '0' : String(c - 1))).join('');
      const oath = (await must('oathtool', ['--totp', '-b', secret, '-w', '1', '-N', `@${Math.floor(Date.now() / 1000) - 30}`])).trim().split('\n');
      expectThat(r.serial === serial && text === r.code && oath.includes(r.code), `read ${r.code} (serial ${r.serial}), typed ${text}, oathtool ${oath.join(',')}`);
      return `${nodes.map((n) => n.node).join(', ')}: code ${r.code} (oathtool agrees), typed ${text} + Enter on ${event}`;
    } finally {
      await stopProcess(sim.child);
    }
  });

  await checks.run('code --device <the keyboard spec a --uhid ready line prints>: waits for a press and reads the typed code', async () => {
    const sim = await startSim(cli, ['otp', '--uhid', '--profile', 'composite-key', '--json', '--secret', secret, '--serial', serial]);
    try {
      const keyboard = (sim.ready.endpoints as Record<string, string>).keyboard;
      expectThat(keyboard?.startsWith('hid:/dev/hidraw') === true, `ready line keyboard endpoint: ${keyboard}`);
      const code = spawn(process.execPath, [cli, 'code', '--device', keyboard!, '--json', '--timeout', '120000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      code.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const waiting = new Promise<void>((resolve) => code.stderr.on('data', (d: Buffer) => (stderr += d.toString()).includes('waiting_for_press') && resolve()));
      const exited = new Promise<number | null>((resolve) => code.once('close', resolve));
      await Promise.race([waiting, exited]);
      // The person at the token presses its button: a line on the simulator's stdin.
      sim.child.stdin!.write('\n');
      const status = await exited;
      expectThat(status === 0, `code exited ${status}: ${stderr.trim()}`);
      const r = JSON.parse(stdout) as { via: string; code: string };
      const oath = (await must('oathtool', ['--totp', '-b', secret, '-w', '1', '-N', `@${Math.floor(Date.now() / 1000) - 30}`])).trim().split('\n');
      expectThat(r.via === 'keyboard' && oath.includes(r.code), `read ${JSON.stringify(r)}, oathtool ${oath.join(',')}`);
      return `${keyboard}: waited for the press, read ${r.code} via the keyboard (oathtool agrees)`;
    } finally {
      await stopProcess(sim.child);
    }
  });

  await checks.run('dmesg: no kernel complaint about the uhid devices', async () => {
    const lines = (await must('dmesg', [])).split('\n').filter((l) => /hid|uhid|input/i.test(l));
    const complaints = lines.filter((l) => /error|fail|invalid|bogus|unable|can't|cannot|malformed|warn/i.test(l));
    expectThat(complaints.length === 0, complaints.join('\n'));
    return `${lines.length} lines about HID, none a complaint`;
  });
  log('done');
}

runGuestMain(main);
