/** The live view's frame fits the terminal it is drawn on, and always carries the code as text. */
import { describe, expect, it } from 'vitest';
import { AWS_TOTP_PROFILE, HOTP_PROFILE } from '../../devices/index.js';
import { lcdLines, liveFrame } from '../../src/cli/live-view.js';

const status = (code: string | undefined) => ({ display: code === undefined ? undefined : { code, remainingMs: 14_200 }, secondsToNextStep: 7, counter: 3, timeSeconds: 0, fault: 'none' as const });

describe('live view frame', () => {
  it('draws the seven-segment LCD when it fits, and the code as plain text either way', () => {
    const wide = liveFrame({ serial: 'GAKT00000001', profile: AWS_TOTP_PROFILE }, status('123456'), 80);
    expect(wide.split('\n').slice(0, 3)).toEqual(lcdLines('123456'));
    expect(wide).toContain('code: 123456  (shown 15 s more)');
    expect(wide).toContain('GAKT00000001  next step in  7 s');
  });

  it('fits every line into narrow terminals, the code whole on one line', () => {
    for (const columns of [16, 24, 39, 40, 60, 80, 200]) {
      for (const profile of [AWS_TOTP_PROFILE, { ...HOTP_PROFILE, otp: { ...HOTP_PROFILE.otp, digits: 10 } }]) {
        const code = '1234567890'.slice(0, profile.otp.digits);
        for (const shown of [code, undefined]) {
          const frame = liveFrame({ serial: 'GAKT00000001', profile }, status(shown), columns);
          const tooLong = frame.split('\n').filter((l) => l.length > Math.max(columns, 16));
          expect(tooLong, `${columns} columns`).toEqual([]);
          expect(frame).toMatch(shown === undefined ? /code: [-(]/ : new RegExp(`code: ${code}\\b`));
        }
      }
    }
  });
});
