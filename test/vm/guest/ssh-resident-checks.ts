/**
 * OpenSSH's resident (discoverable) security keys against the simulated key's hidraw node, as
 * an administrator makes and recovers them: `tokenrig fido pin set`, then for `ed25519-sk` and
 * `ecdsa-sk` each `ssh-keygen -O resident -O verify-required -O application=ssh:...` (the PIN
 * through SSH_ASKPASS), `-Y sign` and `-Y verify` (a tampered message refused), and finally
 * `ssh-keygen -K` in an empty directory, which finds the credentials through credential
 * management (libfido2 ≤ 1.14 sends it as the 0x41 prototype command) and must write the same
 * public keys; a downloaded key signs and the generated public key verifies that signature.
 *
 * It sets a PIN and leaves resident credentials on the key, so it runs after every check that
 * wants a key without a PIN.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Checks, expectThat, must, sh } from './harness.js';

export interface SshResidentTarget {
  /** Prefixes the check names (`uhid`, `uhid yubikey-5`). */
  via: string;
  hidraw: string;
  /** The bundled CLI. */
  cli: string;
  /** The PIN to set on the key (which must have none yet). */
  pin: string;
}

/** ssh-keygen -t TYPE, the public key type it writes (OpenSSH PROTOCOL.u2f) and `-K`'s file prefix. */
const RESIDENT_TYPES = [
  { type: 'ed25519-sk', keyType: 'sk-ssh-ed25519@openssh.com', file: 'id_ed25519_sk_rk' },
  { type: 'ecdsa-sk', keyType: 'sk-ecdsa-sha2-nistp256@openssh.com', file: 'id_ecdsa_sk_rk' },
] as const;

/** The key type and base64 blob of an OpenSSH public key line (the comment may differ). */
function keyOf(pubLine: string): string {
  return pubLine.trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function sshResidentChecks(checks: Checks, t: SshResidentTarget): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `ssh-rk-${t.via.replace(/\W+/g, '-')}-`));
  const name = (what: string): string => `${t.via}: ${what}`;
  // ssh-keygen asks for the PIN through SSH_ASKPASS when forced to (it has no terminal here).
  const askpass = join(dir, 'askpass.sh');
  writeFileSync(askpass, `#!/bin/sh\necho '${t.pin}'\n`);
  chmodSync(askpass, 0o700);
  const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' };
  const keygen = (args: string[], o: { input?: string; cwd?: string } = {}): ReturnType<typeof sh> => sh('ssh-keygen', args, { env, timeoutMs: 180_000, ...o });
  const generated = new Map<string, { key: string; pub: string }>();

  const pinSet = await checks.run(name('tokenrig fido pin set (the PIN from TOKENRIG_FIDO_PIN)'), async () => {
    await must(process.execPath, [t.cli, 'fido', 'pin', 'set', '--device', `hid:${t.hidraw}`], { env: { TOKENRIG_FIDO_PIN: t.pin }, timeoutMs: 180_000 });
    const info = JSON.parse(await must(process.execPath, [t.cli, 'fido', 'info', '--device', `hid:${t.hidraw}`, '--json'])) as { options?: Record<string, boolean> };
    expectThat(info.options?.clientPin === true, `after pin set, options ${JSON.stringify(info.options)}`);
    return 'clientPin: true';
  });
  if (!pinSet) return;

  for (const { type, keyType } of RESIDENT_TYPES) {
    const application = `ssh:rig-${type}`;
    await checks.run(name(`ssh-keygen -t ${type} -O resident -O verify-required, -Y sign, -Y verify (OpenSSH, PIN by SSH_ASKPASS)`), async () => {
      const key = join(dir, `id_${type.replace('-', '_')}_rk`);
      const gen = await keygen(['-t', type, '-O', 'resident', '-O', 'verify-required', '-O', `application=${application}`, '-N', '', '-C', 'alice@rig', '-f', key]);
      expectThat(gen.status === 0, `ssh-keygen -t ${type} -O resident exited ${gen.status}: ${gen.stderr}${gen.stdout}`);
      const pub = readFileSync(`${key}.pub`, 'utf8').trim();
      expectThat(pub.startsWith(`${keyType} `), `public key: ${pub}`);
      generated.set(type, { key, pub });
      const msg = join(dir, `message-${type}.txt`);
      writeFileSync(msg, `signed by a resident ${type} key through ${t.via}\n`);
      const sign = await keygen(['-Y', 'sign', '-f', key, '-n', 'file', msg]);
      expectThat(sign.status === 0, `ssh-keygen -Y sign exited ${sign.status}: ${sign.stderr}`);
      const allowed = join(dir, `allowed_signers-${type}`);
      writeFileSync(allowed, `alice@rig ${pub}\n`);
      const verify = await keygen(['-Y', 'verify', '-f', allowed, '-I', 'alice@rig', '-n', 'file', '-s', `${msg}.sig`], { input: readFileSync(msg, 'utf8') });
      expectThat(verify.status === 0 && /Good "file" signature for alice@rig/.test(verify.stdout + verify.stderr), `ssh-keygen -Y verify exited ${verify.status}: ${verify.stdout}${verify.stderr}`);
      const tampered = await keygen(['-Y', 'verify', '-f', allowed, '-I', 'alice@rig', '-n', 'file', '-s', `${msg}.sig`], { input: 'something else\n' });
      expectThat(tampered.status !== 0, 'ssh-keygen -Y verify accepted another message');
      return `${keyOf(pub).slice(0, 60)}…: ${(verify.stdout + verify.stderr).trim().split('\n')[0]!}; a tampered message refused (exit ${tampered.status})`;
    });
  }

  await checks.run(name('ssh-keygen -K downloads each resident key, equal to the generated one; the downloaded key signs'), async () => {
    const empty = join(dir, 'downloaded');
    mkdirSync(empty);
    const k = await keygen(['-K', '-N', ''], { cwd: empty });
    expectThat(k.status === 0, `ssh-keygen -K exited ${k.status}: ${k.stderr}${k.stdout}`);
    const files = readdirSync(empty).sort();
    // ssh-keygen -K exits 0 having written nothing when the key lists no resident credential.
    expectThat(files.length > 0, `ssh-keygen -K wrote nothing: ${(k.stderr + k.stdout).trim()}`);
    const found: string[] = [];
    for (const { type, file } of RESIDENT_TYPES) {
      const made = generated.get(type);
      if (made === undefined) continue;
      const stem = `${file}_rig-${type}`;
      expectThat(files.includes(stem) && files.includes(`${stem}.pub`), `ssh-keygen -K wrote ${files.join(', ') || 'nothing'}, not ${stem}(.pub)`);
      const downloaded = readFileSync(join(empty, `${stem}.pub`), 'utf8');
      expectThat(keyOf(downloaded) === keyOf(made.pub), `downloaded ${keyOf(downloaded)}\ngenerated  ${keyOf(made.pub)}`);
      // The downloaded private key (a new key handle file) signs; the generated public key verifies.
      const msg = join(dir, `message-downloaded-${type}.txt`);
      writeFileSync(msg, `signed by the downloaded ${type} key\n`);
      const sign = await keygen(['-Y', 'sign', '-f', join(empty, stem), '-n', 'file', msg]);
      expectThat(sign.status === 0, `ssh-keygen -Y sign with the downloaded key exited ${sign.status}: ${sign.stderr}`);
      const verify = await keygen(['-Y', 'verify', '-f', join(dir, `allowed_signers-${type}`), '-I', 'alice@rig', '-n', 'file', '-s', `${msg}.sig`], { input: readFileSync(msg, 'utf8') });
      expectThat(verify.status === 0, `the generated public key does not verify the downloaded key's signature: ${verify.stdout}${verify.stderr}`);
      found.push(stem);
    }
    expectThat(found.length === RESIDENT_TYPES.length, `only ${found.join(', ') || 'no key'} to compare (a generation failed)`);
    return `${files.join(', ')}: each public key equal to the generated one, each signs`;
  });
}
