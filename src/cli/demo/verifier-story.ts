/**
 * The service side of the OTP story, on a manual clock: a strict verifier (AWS IAM's
 * semantics) enrolls a token by two consecutive codes, signs in, refuses a replay, and
 * resyncs after the token drifts 10 minutes.
 */
import { TotpVerifier, createVerifierState } from '../../otp/index.js';
import type { DemoOutput } from './demo-output.js';

export interface CodeSource {
  /** A label for the output ("serial port /dev/pts/3", "in-process token"). */
  readonly via: string;
  /** Press the token's button and read the displayed code. */
  press(): Promise<string>;
  /** Move the shared clock. */
  advance(seconds: number): Promise<void>;
  /** Make the token's crystal run `seconds` fast (negative: slow). */
  drift(seconds: number): Promise<void>;
  /** The service's clock, Unix seconds. */
  now(): number;
}

/** Run enrollment, sign-in, replay and resync against `token`; throws if any step misbehaves. */
export async function runVerifierStory(out: DemoOutput, secret: Uint8Array, serial: string, token: CodeSource): Promise<void> {
  const verifier = new TotpVerifier(secret);
  out.line(`  service: enroll hardware token ${serial} by serial number and two consecutive codes (the seed is never printed)`);
  const c1 = await token.press();
  out.line(`    code 1 read via ${token.via}: ${c1}`);
  await token.advance(30);
  const c2 = await token.press();
  out.line(`    30 s later, code 2: ${c2}`);
  const e = verifier.enroll(c1, c2, createVerifierState(), token.now());
  out.event({ event: 'enroll', serial, ok: e.ok, codes: [c1, c2] });
  if (!e.ok) throw new Error(`enrollment refused: ${e.reason}`);
  out.line(`    EnableMFADevice: accepted (drift ${e.drift} steps)`);
  let state = e.state;

  await token.advance(30);
  const c3 = await token.press();
  const s = verifier.verify(c3, state, token.now());
  out.event({ event: 'sign_in', serial, ok: s.ok, code: c3 });
  if (!s.ok) throw new Error(`sign-in refused: ${s.reason}`);
  state = s.state;
  out.line(`  sign-in with ${c3}: accepted`);
  const again = verifier.verify(c3, state, token.now());
  out.event({ event: 'replay', serial, ok: again.ok, reason: again.ok ? undefined : again.reason });
  if (again.ok) throw new Error('a replayed code was accepted');
  state = again.state;
  out.line(`  the same code again: refused (${again.reason})`);

  await token.drift(600);
  out.line('  the token\'s crystal now runs 10 minutes fast');
  await token.advance(30);
  const d1 = await token.press();
  const refused = verifier.verify(d1, state, token.now());
  out.event({ event: 'sign_in', serial, ok: refused.ok, code: d1 });
  if (refused.ok) throw new Error('a code 10 minutes off was accepted');
  state = refused.state;
  out.line(`  sign-in with ${d1}: refused (${refused.reason}), resync with two consecutive codes`);
  await token.advance(30);
  const d2 = await token.press();
  const r = verifier.resync(d1, d2, state, token.now());
  out.event({ event: 'resync', serial, ok: r.ok, drift: r.ok ? r.drift : undefined });
  if (!r.ok) throw new Error(`resync refused: ${r.reason}`);
  state = r.state;
  out.line(`    ResyncMFADevice with ${d1}, ${d2}: accepted, drift +${r.drift} steps (${r.drift * 30} s) stored`);
  await token.advance(30);
  const c4 = await token.press();
  const after = verifier.verify(c4, state, token.now());
  out.event({ event: 'sign_in', serial, ok: after.ok, code: c4 });
  if (!after.ok) throw new Error(`sign-in after resync refused: ${after.reason}`);
  out.line(`  sign-in with ${c4}: accepted`);
  verifier.destroy();
}
