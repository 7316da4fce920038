/**
 * The files of the TypeScript consumer project: code that uses the public API the way a user
 * would write it, compiled under strict consumer settings (`exactOptionalPropertyTypes`,
 * `lib: ES2020`, `skipLibCheck: false`) with `moduleResolution` Bundler and NodeNext, and a
 * vitest test that starts a token in-process and reads its codes through the driver.
 */

/** Uses every entry point: the OTP core, the host side, tokenrig/sim and tokenrig/seeds. */
export const USE_TS = `import {
  ManualClock, Totp, TotpVerifier, createVerifierState, base32Decode, parseOtpAuthUri, TokenrigError, EXIT_STATUS,
  openOtpTokenDriver, CtapHidDevice, WebAuthnClient, openHidTransport, parseDeviceSpec,
  type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON, type VerifierState,
} from 'tokenrig';
import { startOtpToken, startFidoKey, startSecurityKey, startUsbIpServer, DEVICE_PROFILES, type OtpToken, type FidoKey, type SimEvent, type SimEndpoints, type SimUsbIpServer } from 'tokenrig/sim';
import { loadSeedFile, parsePskc, formatPskc, generateSeeds, builtinSeedProfile, seedToUri, type TokenSeed } from 'tokenrig/seeds';

export async function enroll(): Promise<VerifierState> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const events: SimEvent[] = [];
  const token: OtpToken<ManualClock> = await startOtpToken({ profile: 'aws-totp', clock, serialPort: 'tcp:0', hid: 'udp:0', onEvent: (e) => events.push(e) });
  try {
    const spec: string | undefined = token.endpoints.hid;
    if (spec === undefined) throw new Error('no HID endpoint');
    const driver = await openOtpTokenDriver(spec, { timeoutMs: 2000 });
    const first = await driver.press();
    token.clock.advance(30_000);
    const second = await driver.press();
    await driver.close();
    const verifier = new TotpVerifier(token.exportSecret(), { window: 1, resyncWindow: 10 });
    const result = verifier.enroll(first, second, createVerifierState(), token.clock.now() / 1000);
    if (!result.ok) throw new TokenrigError('REJECTED', result.reason);
    return result.state;
  } finally {
    await token.close();
  }
}

export async function register(options: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  await using key: FidoKey = await startFidoKey({ touch: 'auto', hid: 'udp:0' });
  const endpoints: SimEndpoints = key.endpoints;
  const device = await CtapHidDevice.open(await openHidTransport(endpoints.hid ?? 'udp:127.0.0.1:8111'));
  try {
    return await new WebAuthnClient(device).create(options, 'https://rp.example', { pin: '1234' });
  } finally {
    await device.close();
  }
}

export async function composite(): Promise<string> {
  await using key = await startSecurityKey({ hid: 'udp:0' });
  key.touch();
  return key.press() + String(key.credentials().length) + Object.keys(DEVICE_PROFILES).join();
}

export async function usbRig(): Promise<readonly string[]> {
  await using server: SimUsbIpServer = await startUsbIpServer({ port: 0 });
  await using key = await startSecurityKey({ usbip: server });
  await using token = await startOtpToken({ usbip: server, profile: 'aws-totp' });
  return [key.endpoints.usbip ?? '', token.endpoints.usbip ?? '', ...server.specs];
}

export async function seeds(path: string): Promise<string[]> {
  const fromFile: TokenSeed[] = await loadSeedFile(path, { password: 'pw' });
  const made = generateSeeds(2, builtinSeedProfile('aws-hardware'));
  const again = parsePskc(formatPskc(made, { password: 'pw', iterations: 1000 }), { password: 'pw' });
  const uri = parseOtpAuthUri(seedToUri(again[0]!));
  const code = new Totp(base32Decode('JBSWY3DPEHPK3PXP'), { digits: 6, period: 30 }).generate(59);
  return [...fromFile.map((s) => s.serial), uri.account, code, String(EXIT_STATUS.BUSY), parseDeviceSpec('udp:127.0.0.1:8111').kind];
}
`;

const COMPILER_OPTIONS = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  target: 'ES2020',
  lib: ['ES2020'],
  types: ['node'],
  noEmit: true,
  skipLibCheck: false,
};

export const TSCONFIG_BUNDLER = JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, module: 'ESNext', moduleResolution: 'Bundler' }, include: ['src'] }, null, 2);
export const TSCONFIG_NODENEXT = JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }, null, 2);

/** A QA test of one's own: a token in-process, its codes read through the driver over UDP HID and TCP serial. */
export const VITEST_TS = `import { describe, expect, it } from 'vitest';
import { ManualClock, Totp, openOtpTokenDriver } from 'tokenrig';
import { startOtpToken } from 'tokenrig/sim';

describe('a token of my own', () => {
  it('gives two consecutive codes through the driver', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await using token = await startOtpToken({ clock, hid: 'udp:0', serialPort: 'tcp:0' });
    const totp = new Totp(token.exportSecret());
    const hid = await openOtpTokenDriver(token.endpoints.hid!);
    const serial = await openOtpTokenDriver(token.endpoints.serial!);
    try {
      expect(await hid.press()).toBe(totp.generate(clock.now() / 1000));
      clock.advance(30_000);
      expect(await serial.press()).toBe(totp.generate(clock.now() / 1000));
      expect((await serial.identify()).serial).toBe(token.serial);
    } finally {
      await hid.close();
      await serial.close();
    }
  });
});
`;
