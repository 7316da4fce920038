/**
 * Runs inside the VM (test/vm/bio.vm.test.ts starts it): the simulated key with a fingerprint
 * sensor (`sim fido --uhid --profile yubikey-bio`, every finger an enrolled one) becomes a
 * hidraw node of the guest's kernel, and libfido2's own tools manage and use its fingerprints:
 * fido2-token -I (uv retries, uv modality, the sensor), -S -e (enroll, sample by sample), -L -e
 * (list), -S -e -i -n (rename) and -D -e -i (delete), fido2-assert -G -t uv=true (a token from
 * the finger, no PIN) verified by fido2-assert -V -v; then ykman's `fido fingerprints`. Our own
 * `tokenrig fido bio list` reads the templates each of them made.
 *
 *   node bio-guest.mjs RESULTS.json CLI.mjs
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Checks, expectThat, fidoHidraw, log, must, sh, waitFor, runGuestMain } from './harness.js';

const [resultsFile, cli] = process.argv.slice(2) as [string, string];
const checks = new Checks(resultsFile);
// The yubikey-bio personality's USB identity (a FIDO-only YubiKey).
const VID = 0x1050;
const PID = 0x0402;
const PIN = '246810';

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** libfido2's tools read the PIN with readpassphrase, which takes stdin when there is no tty. */
function withPin(cmd: string, args: string[]): Promise<string> {
  return must(cmd, args, { input: `${PIN}\n`, timeoutMs: 120_000 });
}

/** `fido2-token -L -e`: one `NN: ID NAME` line per template (ID base64, NAME possibly empty). */
async function templates(hidraw: string): Promise<{ id: string; name: string }[]> {
  const out = await withPin('fido2-token', ['-L', '-e', hidraw]);
  return out
    .split('\n')
    .filter((l) => /^\d+: /.test(l))
    .map((l) => {
      const [, id, name] = /^\d+: (\S+) ?(.*)$/.exec(l)!;
      return { id: id!, name: name! };
    });
}

async function main(): Promise<void> {
  await must('modprobe', ['uhid']);
  const dir = mkdtempSync(join(tmpdir(), 'bio-'));
  const sim: ChildProcess = spawn(process.execPath, [cli, 'sim', 'fido', '--uhid', '--profile', 'yubikey-bio', '--uv', 'auto', '--json', '--quiet'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: sim.stdout! });
  // The first line is the ready event (or, should the start fail, the error as JSON).
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
    sim.once('exit', (code) => reject(new Error(`sim fido exited ${code}`)));
  });
  lines.on('line', () => {});
  expectThat(ready.event === 'ready', `sim fido did not start: ${JSON.stringify(ready)}`);
  const hidraw = await waitFor('FIDO hidraw of the yubikey-bio personality', () => fidoHidraw(VID, PID), 60_000);
  const device = `hid:${hidraw}`;
  log(`yubikey-bio on ${hidraw}`);
  await must(process.execPath, [cli, 'fido', 'pin', 'set', '--pin', PIN, '--device', device]);

  await checks.run('fido2-token -I: uv retries, uv modality fingerprint, a touch sensor and its samples (libfido2)', async () => {
    const info = await must('fido2-token', ['-I', hidraw]);
    // Factory state: no finger yet, so uv and bioEnroll are false (CTAP 2.1 §6.4).
    const want = [/^uv retries: 3$/m, /^platform uv attempt\(s\): 3$/m, /^uv modality: 0x2 \(fingerprint check\)$/m, /^sensor type: 1 \(touch\)$/m, /^max samples: 5$/m, /^options: .*\bnouv, .*\bnobioEnroll, .*\bpinUvAuthToken\b/m];
    const missing = want.filter((re) => !re.test(info));
    expectThat(missing.length === 0, `fido2-token -I lacks ${missing.join(', ')}:\n${info}`);
    return info
      .split('\n')
      .filter((l) => /^(uv|platform uv|sensor|max samples)/.test(l))
      .join('; ');
  });

  let id = '';
  await checks.run('fido2-token -S -e enrolls a finger sample by sample, -L -e lists it (libfido2)', async () => {
    const out = await withPin('fido2-token', ['-S', '-e', hidraw]);
    const samples = out.split('\n').filter((l) => l === 'Sample ok.').length;
    expectThat(samples === 5 && /\(1 sample left\)/.test(out), `5 good samples expected:\n${out}`);
    const list = await templates(hidraw);
    expectThat(list.length === 1, `one template expected: ${JSON.stringify(list)}`);
    id = list[0]!.id;
    const info = await must('fido2-token', ['-I', hidraw]);
    expectThat(/^options: .*\buv, .*\bbioEnroll, /m.test(info), `uv and bioEnroll should be true with a finger:\n${info}`);
    return `${samples} samples, template ${id}; getInfo now says uv, bioEnroll`;
  });

  await checks.run('fido2-token -S -e -i -n renames it; tokenrig fido bio list reads the same template (libfido2)', async () => {
    await withPin('fido2-token', ['-S', '-e', '-i', id, '-n', 'right thumb', hidraw]);
    const list = await templates(hidraw);
    expectThat(list.length === 1 && list[0]!.id === id && list[0]!.name === 'right thumb', `fido2-token -L -e: ${JSON.stringify(list)}`);
    const ours = JSON.parse(await must(process.execPath, [cli, 'fido', 'bio', 'list', '--pin', PIN, '--device', device, '--json'])) as { templates: { templateId: string; name: string | null }[] };
    const hex = Buffer.from(id, 'base64').toString('hex');
    expectThat(ours.templates.length === 1 && ours.templates[0]!.templateId === hex && ours.templates[0]!.name === 'right thumb', `tokenrig fido bio list: ${JSON.stringify(ours.templates)}`);
    return `${id} (${hex}) named "right thumb" by both`;
  });

  await checks.run('fido2-assert -G -t uv=true: a token from the finger (no PIN), the UV flag verified by fido2-assert -V -v (libfido2)', async () => {
    const cdh = new Uint8Array(32).map((_, i) => (i * 29 + 3) & 0xff);
    writeFileSync(join(dir, 'cred_param'), `${b64(cdh)}\nbio.example\nalice\n${b64(new Uint8Array(32).fill(9))}\n`);
    // With a PIN set, makeCredential needs user verification (makeCredUvNotRqd is false): -v with the PIN.
    writeFileSync(join(dir, 'cred_made'), await withPin('fido2-cred', ['-M', '-v', '-i', join(dir, 'cred_param'), hidraw, 'es256']));
    await must('fido2-cred', ['-V', '-v', '-i', join(dir, 'cred_made'), '-o', join(dir, 'cred'), 'es256']);
    const cred = readFileSync(join(dir, 'cred'), 'utf8').split('\n');
    writeFileSync(join(dir, 'pubkey'), cred.slice(1).join('\n'));
    writeFileSync(join(dir, 'assert_param'), `${b64(cdh.map((b) => b ^ 0x3c))}\nbio.example\n${cred[0]}\n`);
    // No PIN is given: libfido2 asks the key for a token through its built-in UV (getPinUvAuthTokenUsingUvWithPermissions).
    const asserted = await must('fido2-assert', ['-G', '-t', 'uv=true', '-i', join(dir, 'assert_param'), hidraw]);
    writeFileSync(join(dir, 'assert'), asserted);
    await must('fido2-assert', ['-V', '-v', '-i', join(dir, 'assert'), join(dir, 'pubkey'), 'es256']);
    // fido2-assert prints the authenticator data as a CBOR byte string (0x58, length, then the bytes).
    const encoded = Buffer.from(asserted.split('\n')[2]!, 'base64');
    expectThat(encoded[0] === 0x58 && encoded[1] === encoded.length - 2, `authenticator data not a CBOR byte string: ${encoded.subarray(0, 4).toString('hex')}`);
    const flags = encoded[2 + 32]!;
    expectThat((flags & 0x05) === 0x05, `authenticator data flags 0x${flags.toString(16)}: UP and UV expected`);
    const info = await must('fido2-token', ['-I', hidraw]);
    expectThat(/^uv retries: 3$/m.test(info), `a match keeps uv retries at 3:\n${info}`);
    return `credential ${cred[0]!.slice(0, 16)}…, assertion flags 0x${flags.toString(16)} (UP and UV), verified with -v`;
  });

  await checks.run('fido2-token -D -e -i deletes the finger; the key lists none (libfido2)', async () => {
    await withPin('fido2-token', ['-D', '-e', '-i', id, hidraw]);
    // enumerateEnrollments with none enrolled is CTAP2_ERR_INVALID_OPTION (CTAP 2.1 §6.7.4), which libfido2 reports as it is.
    const empty = await sh('fido2-token', ['-L', '-e', hidraw], { input: `${PIN}\n` });
    expectThat(empty.status === 1 && /fido_bio_dev_get_template_array: FIDO_ERR_INVALID_OPTION/.test(empty.stderr), `fido2-token -L -e on a key with no finger: exit ${empty.status}: ${empty.stderr}`);
    const ours = JSON.parse(await must(process.execPath, [cli, 'fido', 'bio', 'list', '--pin', PIN, '--device', device, '--json'])) as { templates: unknown[] };
    expectThat(ours.templates.length === 0, `tokenrig fido bio list: ${JSON.stringify(ours.templates)}`);
    const info = await must('fido2-token', ['-I', hidraw]);
    expectThat(/^options: .*\bnouv, .*\bnobioEnroll, /m.test(info), `uv and bioEnroll should be false with no finger:\n${info}`);
    return 'fido2-token -L -e: INVALID_OPTION (none enrolled, §6.7.4); tokenrig fido bio list: none; getInfo says nouv, nobioEnroll';
  });

  await checks.run('ykman fido fingerprints add, list, rename, delete (python3-ykman)', async () => {
    const ykman = (args: string[]): Promise<string> => must('ykman', ['fido', 'fingerprints', ...args, '--pin', PIN], { timeoutMs: 180_000 });
    const added = await ykman(['add', 'Left thumb']);
    const listed = await ykman(['list']);
    const [, hex] = /^ID: ([0-9a-f]+) \(Left thumb\)$/im.exec(listed) ?? /^([0-9A-F]+): Left thumb$/m.exec(listed) ?? [];
    expectThat(hex !== undefined, `ykman fido fingerprints list:\n${listed}`);
    await ykman(['rename', hex!, 'Left index']);
    const ours = JSON.parse(await must(process.execPath, [cli, 'fido', 'bio', 'list', '--pin', PIN, '--device', device, '--json'])) as { templates: { templateId: string; name: string | null }[] };
    expectThat(ours.templates.length === 1 && ours.templates[0]!.templateId === hex!.toLowerCase() && ours.templates[0]!.name === 'Left index', `tokenrig fido bio list: ${JSON.stringify(ours.templates)}`);
    await ykman(['delete', hex!, '--force']);
    const after = JSON.parse(await must(process.execPath, [cli, 'fido', 'bio', 'list', '--pin', PIN, '--device', device, '--json'])) as { templates: unknown[] };
    expectThat(after.templates.length === 0, `left after ykman delete: ${JSON.stringify(after.templates)}`);
    return `${added.trim().split('\n').slice(-1)[0]}; ${hex} renamed "Left index" (tokenrig agrees), then deleted`;
  });

  const exited = new Promise((r) => sim.once('exit', r));
  sim.kill('SIGTERM');
  await exited;
  log('done');
}

runGuestMain(main);
