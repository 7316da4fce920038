/**
 * The OTP story of the demo, over real transports: a simulated AWS-style hardware token
 * (SafeNet OTP 110 class) on a real pty (socat) and a UDP HID endpoint on 127.0.0.1, its time
 * on an injected ManualClock. The host driver reads the token over both, the way it would read
 * hardware, and the service side (the strict verifier of runVerifierStory) enrolls it by two
 * consecutive codes, signs in, refuses a replay, and resyncs after the token's crystal jumps
 * 10 minutes ahead (`SIM:ADV 600` on the serial line). Ends by itself; closes what it opened.
 *
 * @example
 * ```ts
 * await runOtpStory({ line: console.log, event: (e) => console.log(JSON.stringify(e)) });
 * ```
 */
import { ManualClock } from '../../clock/index.js';
import { SerialOtpTokenDriver, openOtpTokenDriver } from '../../drivers/otp-token-driver.js';
import { TokenrigError } from '../../errors.js';
import { type OtpToken, startOtpToken } from '../../sim/index.js';
import { openSerialTransport } from '../../transports/device-spec.js';
import { base32Decode } from '../../otp/index.js';
import type { DemoOutput } from './demo-output.js';
import { type CodeSource, runVerifierStory } from './verifier-story.js';

/** The story's token: an AWS-style serial and the RFC 6238 test seed. */
export const OTP_STORY_SERIAL = 'GAKT00000001';
export const OTP_STORY_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
/** 2026-11-23T12:00:00Z, fixed so every run shows the same codes. */
export const OTP_STORY_START = 1_795_435_200;

export async function runOtpStory(out: DemoOutput): Promise<void> {
  const secret = base32Decode(OTP_STORY_SECRET);
  const clock = new ManualClock(OTP_STORY_START * 1000);
  const options = { profile: 'aws-totp', clock, secret, serial: OTP_STORY_SERIAL, hid: 'udp:0' } as const;
  // The serial port: a real pty when socat is installed, else a TCP serial port (said so).
  let token: OtpToken<ManualClock>;
  try {
    token = await startOtpToken({ ...options, serialPort: 'pty' });
  } catch (e) {
    if (!(e instanceof TokenrigError && e.code === 'NOT_FOUND')) throw e;
    token = await startOtpToken({ ...options, serialPort: 'tcp:0' });
    out.line(`  (no pty: ${e.message}; using a TCP serial port instead)`);
  }
  const closers: (() => Promise<void>)[] = [() => token.close()];
  try {
    const serialSpec = token.endpoints.serial!;
    const hidSpec = token.endpoints.hid!;
    out.line(`  simulated ${token.profile.model} ${token.serial}: serial port ${serialSpec}, HID ${hidSpec}`);
    out.event({ event: 'token_ready', serial: token.serial, endpoints: token.endpoints });

    const serial = new SerialOtpTokenDriver(await openSerialTransport(serialSpec));
    closers.unshift(() => serial.close());
    const hid = await openOtpTokenDriver(hidSpec);
    closers.unshift(() => hid.close());
    const idSerial = await serial.identify();
    const idHid = await hid.identify();
    out.line(`  host: *IDN? over serial → ${idSerial.manufacturer},${idSerial.model},${idSerial.serial},${idSerial.firmware}`);
    out.line(`  host: IDENTIFY over HID  → serial ${idHid.serial}`);

    // Two consecutive codes, one over each interface, 30 s apart on the injected clock.
    const first = await serial.press();
    clock.advance(30_000);
    const second = await hid.press();
    out.line(`  host reads two consecutive codes: ${first} (serial), ${second} (HID, 30 s later)`);
    out.event({ event: 'codes', serial: token.serial, codes: [first, second], via: ['serial', 'vendor-hid'] });
    clock.advance(30_000);

    // The service's story, with presses alternating between the two interfaces.
    let turn = 0;
    let lastVia = '';
    const source: CodeSource = {
      // The story names the interface after each press: the one that press used.
      get via() {
        return lastVia;
      },
      press: () => {
        const useSerial = turn++ % 2 === 0;
        lastVia = useSerial ? `the serial port (${serialSpec})` : `UDP HID (${hidSpec})`;
        return (useSerial ? serial : hid).press();
      },
      advance: async (s) => clock.advance(s * 1000),
      // The crystal jumps ahead through the simulator's serial command, as a rig would do it.
      drift: async (s) => void (await serial.command(`SIM:ADV ${s}`)),
      now: () => clock.now() / 1000,
    };
    await runVerifierStory(out, secret, token.serial, source);
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}
