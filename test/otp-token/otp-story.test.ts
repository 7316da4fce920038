/** The demo's OTP story runs over a real pty and UDP, ends by itself, and tells the whole story. */
import { describe, expect, it } from 'vitest';
import { runOtpStory } from '../../src/cli/demo/otp-story.js';
import { base32Decode } from '../../src/otp/base32.js';
import { totp } from '../../src/otp/totp.js';

describe('runOtpStory', () => {
  it('reads two consecutive codes over serial and HID, enrolls, refuses a replay, resyncs after a 10-minute drift', async () => {
    const lines: string[] = [];
    const events: Record<string, unknown>[] = [];
    await runOtpStory({ line: (s) => lines.push(s), event: (e) => events.push(e as Record<string, unknown>) });
    const secret = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const codes = events.find((e) => e.event === 'codes') as { codes: string[] };
    expect(codes.codes).toEqual([totp(secret, 1_795_435_200), totp(secret, 1_795_435_230)]);
    expect(events.map((e) => [e.event, e.ok])).toEqual([
      ['token_ready', undefined],
      ['codes', undefined],
      ['enroll', true],
      ['sign_in', true],
      ['replay', false],
      ['sign_in', false],
      ['resync', true],
      ['sign_in', true],
    ]);
    expect(lines.join('\n')).toMatch(/serial port (serial:\/dev\/pts\/\d+|tcp:)/);
    expect(lines.join('\n')).not.toContain('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});
