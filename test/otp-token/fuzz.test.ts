/**
 * Wire input never crashes the token: 100k+ random inputs into the serial interface (random
 * bytes, random fragments of valid commands, over-long runs) and the vendor HID interface
 * (random 64-byte reports and CTAPHID-shaped ones). After each burst the device still answers
 * a well-formed command correctly. Seeded (fast-check), so a failure is reproducible.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware, createOtpVendorHid } from '../../firmware-sim/otp/index.js';
import { base32Decode } from '../../src/otp/base32.js';
import { totp } from '../../src/otp/totp.js';

const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
const T0 = 1_700_000_000_000;
const WORDS = ['*IDN?', 'PRESS', 'DISPLAY?', 'STATUS?', 'SIM:TIME', 'SIM:TIME?', 'SIM:ADV', 'SIM:DRIFT', 'SIM:DRIFT?', 'SIM:FAULT', 'none', 'battery-dead', '-1e9', '12', '0.5', ' ', '\r', '\n', '\r\n', '\t', '\0', '\xff'];

describe('fuzzing the token', () => {
  it('serial: 100k random inputs, every answer well-formed, the session survives', () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const serial = new OtpSerialInterface(token);
    let out = '';
    serial.attach((b) => (out += Buffer.from(b).toString('latin1')));
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }).map((w) => Uint8Array.from(Buffer.from(w.join(''), 'latin1'))),
      fc.nat(400).map((n) => new Uint8Array(n).fill(0x41)),
    );
    const samples = fc.sample(input, { numRuns: 100_000, seed: 20261123 });
    let answers = 0;
    for (const bytes of samples) {
      serial.receive(bytes);
      if (out.length > 1 << 16) {
        answers += checkAnswers(out);
        out = '';
      }
    }
    answers += checkAnswers(out);
    expect(answers).toBeGreaterThan(1000);
    // Whatever the fuzz did to faults and the crystal, a clean session still works.
    serial.receive(Uint8Array.of(0x0a)); // ends whatever half line the fuzz left
    out = '';
    serial.receive(new TextEncoder().encode('SIM:FAULT none\nSIM:DRIFT 0\nSIM:TIME 1700000000\n*IDN?\nPRESS\n'));
    expect(out.split('\r\n').filter((l) => l !== '')).toEqual(['OK', 'OK', 'OK', 'Tokenrig,OTP 110 (sim),GAKT12345678,1.0.0', totp(SECRET, 1_700_000_000)]);
  });

  it('vendor HID: 100k random and CTAPHID-shaped reports, then a clean transaction works', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const hid = createOtpVendorHid(env, token);
    const replies: Uint8Array[] = [];
    hid.attach((r) => replies.push(r));
    const report = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.tuple(fc.constantFrom(0xffffffff, 0x01020304, 0), fc.integer({ min: 0x80, max: 0xff }), fc.nat(200), fc.uint8Array({ maxLength: 57 })).map(([cid, cmd, bcnt, data]) => {
        const r = new Uint8Array(64);
        new DataView(r.buffer).setUint32(0, cid);
        r[4] = cmd;
        r[5] = bcnt >> 8;
        r[6] = bcnt & 0xff;
        r.set(data, 7);
        return r;
      }),
      fc.uint8Array({ maxLength: 63 }),
    );
    for (const r of fc.sample(report, { numRuns: 100_000, seed: 42 })) {
      hid.receive(r);
      if (replies.length > 10_000) replies.length = 0;
    }
    for (const r of replies) expect(r.length).toBe(64);
    // Let any pending transaction time out, then power-cycle and talk properly.
    hid.powerCycle?.();
    token.setFault('none');
    token.setTime(1_700_000_000);
    replies.length = 0;
    const init = new Uint8Array(64);
    init.set([0xff, 0xff, 0xff, 0xff, 0x86, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]);
    hid.receive(init);
    await new Promise((r) => setImmediate(r));
    const initReply = replies.find((r) => r[4] === 0x86);
    expect(initReply).toBeDefined();
    const cid = initReply!.subarray(15, 19);
    const press = new Uint8Array(64);
    press.set(cid, 0);
    press[4] = 0x80 | 0x41;
    hid.receive(press);
    for (let i = 0; i < 10 && !replies.some((r) => r[4] === 0xc1); i++) await new Promise((r) => setImmediate(r));
    const answer = replies.find((r) => r[4] === 0xc1)!;
    expect(answer[7]).toBe(0);
    expect(Buffer.from(answer.subarray(8, 14)).toString('latin1')).toBe(totp(SECRET, 1_700_000_000));
  });
});

/** Every answer line is a code, OK, BLANK, an identity, a number, a status or an ERR line. */
function checkAnswers(out: string): number {
  const lines = out.split('\r\n');
  expect(lines.at(-1)).toBe('');
  for (const l of lines.slice(0, -1)) expect(l).toMatch(/^(\d{6}|OK|BLANK|-?\d+(\.\d+)?(e[+-]?\d+)?|NONE|BATTERY-LOW|BATTERY-DEAD|END-OF-LIFE|Tokenrig,OTP 110 \(sim\),GAKT12345678,1\.0\.0|ERR \d{3} [\x20-\x7e]+)$/);
  return lines.length - 1;
}
