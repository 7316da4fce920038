/**
 * The FIDO checks the guest runs against the simulated key's hidraw node, once over USB/IP and
 * once over uhid: our own CLI (`tokenrig fido info|register|authenticate` over hid:, verified
 * by @simplewebauthn/server), libfido2's tools (fido2-token -L/-I, fido2-cred -M/-V,
 * fido2-assert -G/-V), ykman, OpenSSH (ssh-keygen -t ecdsa-sk and -t ed25519-sk, -Y sign, -Y verify) and a real
 * browser (headless Chromium).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { browserWebAuthn } from './browser-webauthn.js';
import { type Checks, expectThat, log, must, sh } from './harness.js';

export interface FidoTarget {
  /** How the key is attached: `usbip` or `uhid` (prefixes the check names). */
  via: string;
  hidraw: string;
  /** The bundled CLI. */
  cli: string;
  /** ykman only knows Yubico's vendor id. */
  yubico: boolean;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** ssh-keygen -t TYPE and the public key type it writes (OpenSSH PROTOCOL.u2f). */
const SSH_SK_TYPES = [
  ['ecdsa-sk', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  ['ed25519-sk', 'sk-ssh-ed25519@openssh.com'],
] as const;

export async function fidoChecks(checks: Checks, t: FidoTarget): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `fido-${t.via}-`));
  const cli = (args: string[], timeoutMs = 300_000): Promise<string> => must(process.execPath, [t.cli, ...args], { timeoutMs });
  const device = `hid:${t.hidraw}`;
  const name = (what: string): string => `${t.via}: ${what}`;

  await checks.run(name('tokenrig fido info over hid:'), async () => {
    const info = JSON.parse(await cli(['fido', 'info', '--device', device, '--json'])) as { versions: string[]; aaguid: string };
    expectThat(info.versions.includes('FIDO_2_0') && info.versions.includes('U2F_V2'), `versions ${info.versions.join(', ')}`);
    return `${device}: ${info.versions.join(', ')}, aaguid ${info.aaguid}`;
  });

  await checks.run(name('tokenrig fido register + authenticate over hid:, verified by @simplewebauthn/server'), async () => {
    const origin = 'https://rp.example';
    const regOptions = await generateRegistrationOptions({ rpName: 'rp', rpID: 'rp.example', userName: 'alice', attestationType: 'direct', authenticatorSelection: { userVerification: 'discouraged' } });
    writeFileSync(join(dir, 'create.json'), JSON.stringify(regOptions));
    const reg = JSON.parse(await cli(['fido', 'register', '--options', join(dir, 'create.json'), '--origin', origin, '--device', device]));
    const v = await verifyRegistrationResponse({ response: reg, expectedChallenge: regOptions.challenge, expectedOrigin: origin, expectedRPID: 'rp.example', requireUserVerification: false });
    expectThat(v.verified && v.registrationInfo !== undefined, 'registration not verified');
    const cred = v.registrationInfo!.credential;
    const authOptions = await generateAuthenticationOptions({ rpID: 'rp.example', allowCredentials: [{ id: cred.id }], userVerification: 'discouraged' });
    writeFileSync(join(dir, 'get.json'), JSON.stringify(authOptions));
    const auth = JSON.parse(await cli(['fido', 'authenticate', '--options', join(dir, 'get.json'), '--origin', origin, '--device', device]));
    const a = await verifyAuthenticationResponse({ response: auth, expectedChallenge: authOptions.challenge, expectedOrigin: origin, expectedRPID: 'rp.example', credential: cred, requireUserVerification: false });
    expectThat(a.verified, 'assertion not verified');
    return `credential ${cred.id.slice(0, 16)}… (${v.registrationInfo!.fmt} attestation), assertion counter ${a.authenticationInfo.newCounter}`;
  });

  await checks.run(name('fido2-token -L lists the key, -I describes it (libfido2)'), async () => {
    const list = await must('fido2-token', ['-L']);
    expectThat(list.includes(`${t.hidraw}:`), `fido2-token -L does not list ${t.hidraw}:\n${list}`);
    const info = await must('fido2-token', ['-I', t.hidraw]);
    expectThat(/version strings: .*FIDO_2_0/.test(info) && /U2F_V2/.test(info), `fido2-token -I:\n${info}`);
    return `${list.trim().split('\n').find((l) => l.startsWith(`${t.hidraw}:`))}; ${info.split('\n').find((l) => l.startsWith('aaguid')) ?? ''}`;
  });

  await checks.run(name('fido2-cred -M then -V, fido2-assert -G then -V (libfido2)'), async () => {
    const cdh = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    writeFileSync(join(dir, 'cred_param'), `${b64(cdh)}\nrp.example\nalice\n${b64(new Uint8Array(32).fill(7))}\n`);
    const made = await must('fido2-cred', ['-M', '-i', join(dir, 'cred_param'), t.hidraw, 'es256']);
    writeFileSync(join(dir, 'cred_made'), made);
    await must('fido2-cred', ['-V', '-i', join(dir, 'cred_made'), '-o', join(dir, 'cred'), 'es256']);
    const cred = readFileSync(join(dir, 'cred'), 'utf8').split('\n');
    const credId = cred[0]!;
    writeFileSync(join(dir, 'pubkey'), `${cred.slice(1).join('\n')}`);
    writeFileSync(join(dir, 'assert_param'), `${b64(cdh.map((b) => b ^ 0x55))}\nrp.example\n${credId}\n`);
    const asserted = await must('fido2-assert', ['-G', '-i', join(dir, 'assert_param'), t.hidraw]);
    writeFileSync(join(dir, 'assert'), asserted);
    await must('fido2-assert', ['-V', '-i', join(dir, 'assert'), join(dir, 'pubkey'), 'es256']);
    // Tampered authenticator data must fail verification: the check can fail.
    const lines = asserted.split('\n');
    const authData = Buffer.from(lines[2]!, 'base64');
    authData[authData.length - 1]! ^= 1;
    lines[2] = authData.toString('base64');
    writeFileSync(join(dir, 'assert_bad'), lines.join('\n'));
    const bad = await sh('fido2-assert', ['-V', '-i', join(dir, 'assert_bad'), join(dir, 'pubkey'), 'es256']);
    expectThat(bad.status !== 0, 'fido2-assert -V accepted a tampered assertion');
    return `credential ${credId.slice(0, 16)}… made and verified (packed), assertion verified, tampered one refused`;
  });

  if (t.yubico) {
    await checks.run(name('ykman fido info (python3-ykman)'), async () => {
      const out = await must('ykman', ['fido', 'info'], { timeoutMs: 180_000 });
      expectThat(/PIN/i.test(out), `ykman fido info:\n${out}`);
      return out.trim().split('\n').join('; ');
    });
  }

  // OpenSSH's two security-key types: ES256 (ecdsa-sk) and EdDSA (ed25519-sk, COSE -8).
  for (const [type, keyType] of SSH_SK_TYPES) {
    await checks.run(name(`ssh-keygen -t ${type}, -Y sign, -Y verify (OpenSSH)`), async () => {
      const key = join(dir, `id_${type.replace('-', '_')}`);
      await must('ssh-keygen', ['-t', type, '-f', key, '-N', '', '-C', 'alice@rig'], { timeoutMs: 120_000 });
      const pub = readFileSync(`${key}.pub`, 'utf8').trim();
      expectThat(pub.startsWith(`${keyType} `), `public key: ${pub}`);
      const msg = join(dir, `message-${type}.txt`);
      writeFileSync(msg, `signed by a ${type} key through ${t.via}\n`);
      await must('ssh-keygen', ['-Y', 'sign', '-f', key, '-n', 'file', msg], { timeoutMs: 120_000 });
      writeFileSync(join(dir, 'allowed_signers'), `alice@rig ${pub}\n`);
      const verify = await sh('ssh-keygen', ['-Y', 'verify', '-f', join(dir, 'allowed_signers'), '-I', 'alice@rig', '-n', 'file', '-s', `${msg}.sig`], { input: readFileSync(msg, 'utf8') });
      expectThat(verify.status === 0 && /Good "file" signature for alice@rig/.test(verify.stdout + verify.stderr), `ssh-keygen -Y verify: ${verify.stdout}${verify.stderr}`);
      const tampered = await sh('ssh-keygen', ['-Y', 'verify', '-f', join(dir, 'allowed_signers'), '-I', 'alice@rig', '-n', 'file', '-s', `${msg}.sig`], { input: 'something else\n' });
      expectThat(tampered.status !== 0, 'ssh-keygen -Y verify accepted another message');
      return `${pub.split(' ')[0]}: ${(verify.stdout + verify.stderr).trim().split('\n')[0]!}`;
    });
  }

  await checks.run(name('headless Chromium: navigator.credentials.create() and get() through hidraw, verified by @simplewebauthn/server'), async () => {
    const r = await browserWebAuthn('/usr/bin/chromium', 300_000, log);
    return { detail: `registered and authenticated (counter ${r.counter}); chromium up in ${r.ms.launch} ms, create ${r.ms.create} ms, get ${r.ms.get} ms`, data: r.ms };
  });
}
