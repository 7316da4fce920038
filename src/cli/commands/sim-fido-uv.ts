/**
 * `tokenrig sim fido --uv auto|manual|deny`: the finger on a simulated key's fingerprint
 * sensor (keys with one, e.g. `--profile yubikey-bio`), like `--touch` for the button.
 *
 * - auto: enrollment samples are good, a verification is an enrolled finger (a match)
 * - deny: every verification is a finger the key does not know (enrollment still works)
 * - manual: a person (or a controller writing lines to stdin) chooses: when the key asks for a
 *   finger (`uv_requested` / `enroll_sample_requested` events), a line `1`..`N` touches with the
 *   N-th enrolled finger, `w` with a wrong one, `p` gives a poor sample, `n` takes the finger
 *   away (nobody touched), an empty line the first enrolled finger (or the finger being
 *   enrolled); nobody answering for 30 s is a timeout.
 */
import type { CaptureRequest, FidoKey, UvMode } from '../../sim/index.js';

export const UV_MODES: readonly UvMode[] = ['auto', 'manual', 'deny'];

/** What a person is asked when the key wants a finger. */
export function fingerPrompt(request: CaptureRequest): string {
  if (request.purpose === 'enroll') return 'enrollment sample requested: Enter touches with the finger being enrolled, p gives a poor sample, w a finger already enrolled';
  const fingers = request.enrolled.map((f, i) => `${i + 1} = ${f.friendlyName ?? f.finger}`).join(', ');
  return `fingerprint requested: ${fingers}, w = a wrong finger (Enter: 1)`;
}

/**
 * Answer the finger the key waits for with a person's line; what the finger was, or undefined
 * when nothing waited or the line means nothing (the sensor keeps waiting).
 */
export function answerFinger(key: FidoKey, line: string): string | undefined {
  const request = key.fingerRequest();
  if (request === undefined) return undefined;
  const choice = line.trim().toLowerCase();
  if (choice === 'w') return key.placeFinger('wrong') ? 'wrong finger' : undefined;
  if (choice === 'p') return key.placeFinger('poor') ? 'poor sample' : undefined;
  if (choice === 'n') return key.placeFinger('none') ? 'no finger' : undefined;
  if (choice === '') return key.placeFinger(1) ? (request.purpose === 'enroll' ? 'sample' : 'finger 1') : undefined;
  if (/^\d{1,3}$/.test(choice) && request.purpose === 'verify') return key.placeFinger(Number(choice)) ? `finger ${Number(choice)}` : undefined;
  return undefined;
}
