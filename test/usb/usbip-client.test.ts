/**
 * The host side's USB/IP client over real TCP on 127.0.0.1: the HID transport contract, a
 * full composite key (FIDO + OTP vendor + keyboard + CDC-ACM) reached interface by interface,
 * the `usbip:` device spec, errors a user meets, and the CLI as real processes: `sim otp` /
 * `sim fido --usbip` with `code`, `fido info` and `devices --usbip`, codes checked by oathtool.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPOSITE_KEY_PROFILE } from '../../devices/index.js';
import { UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { FIDO_REPORT_DESCRIPTOR, HidFunction, SimulatedUsbDevice, createOtpParts, usbDeviceFromProfile } from '../../firmware-sim/usb/index.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { HidOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { TokenrigError } from '../../src/errors.js';
import { base32Decode } from '../../src/otp/base32.js';
import { parseDeviceSpec, openHidTransport } from '../../src/transports/device-spec.js';
import { discoverUsbIpDevices } from '../../src/transports/discovery.js';
import { UsbIpHidTransport } from '../../src/transports/usbip-hid-transport.js';
import { EchoHidDevice, hidTransportContract } from '../support/hid-transport-contract.js';
import { peers } from '../support/peer.js';

const BIN = resolve(import.meta.dirname, '../../bin/tokenrig.js');
const SECRET_B32 = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const servers: UsbIpServer[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof TokenrigError ? e.code : String(e);
  }
}

describe('UsbIpHidTransport obeys the HID transport contract over USB/IP on 127.0.0.1', () => {
  hidTransportContract(async () => {
    const device = new EchoHidDevice();
    const usb = new SimulatedUsbDevice({ vendorId: 0x1209, productId: 1, bcdDevice: 0x100, manufacturer: 'test', product: 'echo' }, [new HidFunction(device, { name: 'echo', reportDescriptor: FIDO_REPORT_DESCRIPTOR })]);
    const server = await UsbIpServer.listen([usb], { port: 0 });
    const transport = await UsbIpHidTransport.open({ host: '127.0.0.1', port: server.port, busid: '1-1' });
    return { device, transport, dispose: () => server.close() };
  });
});

describe('a composite key over USB/IP', () => {
  async function compositeServer(): Promise<{ server: UsbIpServer; token: OtpTokenFirmware }> {
    const { env } = createTestEnvironment({ startMs: Date.now() });
    const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: base32Decode(SECRET_B32), serial: '12345678' });
    const authenticator = await FidoAuthenticator.create(env);
    // All four interfaces of the profile in one device: FIDO, OTP vendor, keyboard, CDC-ACM.
    const device = usbDeviceFromProfile(COMPOSITE_KEY_PROFILE, { fido: authenticator.hid, ...createOtpParts(env, token) }, token.serial);
    const server = await UsbIpServer.listen([device], { port: 0 });
    servers.push(server);
    return { server, token };
  }

  it('opens the interface asked for: CTAP2 on the FIDO one, the token’s vendor commands on the other', async () => {
    const { server, token } = await compositeServer();
    const spec = server.specs[0]!;
    const fido = await CtapHidDevice.open(await openHidTransport(spec, { role: 'fido' }));
    const info = await new Ctap2(fido).getInfo();
    expect(info.versions).toContain('FIDO_2_0');
    // One importer at a time: the second interface waits until the first client let go.
    expect(await code(openHidTransport(spec, { role: 'otp-vendor' }))).toBe('DEVICE');
    await fido.close();
    const transport = (await openHidTransport(spec, { role: 'otp-vendor' })) as UsbIpHidTransport;
    expect(transport.hidInterface).toMatchObject({ interfaceNumber: 1, role: 'otp-vendor', usagePage: 0xff00 });
    const driver = new HidOtpTokenDriver(transport);
    expect((await driver.identify()).serial).toBe('12345678');
    const code6 = await driver.press();
    expect(code6).toBe(token.display()!.code);
    await driver.close();
    for (let i = 0; i < 50 && server.inUse('1-1'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.inUse('1-1')).toBe(false);
  });

  it('lists exports by class; a device without the interface asked for is NOT_FOUND', async () => {
    const { server } = await compositeServer();
    const listed = await discoverUsbIpDevices('127.0.0.1', server.port);
    expect(listed).toEqual([
      { spec: server.specs[0], kind: 'usbip', vendorId: 0x1050, productId: 0x0407, interfaces: ['HID', 'HID', 'HID boot keyboard', 'CDC-ACM', 'CDC data'] },
    ]);
    const { env } = createTestEnvironment();
    const token = OtpTokenFirmware.open(env, COMPOSITE_KEY_PROFILE, { secret: base32Decode(SECRET_B32) });
    const noFido = await UsbIpServer.listen([usbDeviceFromProfile(COMPOSITE_KEY_PROFILE, createOtpParts(env, token))], { port: 0 });
    servers.push(noFido);
    const e = await openHidTransport(noFido.specs[0]!, { role: 'fido' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TokenrigError);
    expect((e as TokenrigError).code).toBe('NOT_FOUND');
    expect((e as TokenrigError).message).toMatch(/no fido interface .*otp-vendor, keyboard/);
  });

  it('a missing device or server is NOT_FOUND with a message naming it', async () => {
    const { server } = await compositeServer();
    const failure = (p: Promise<unknown>): Promise<TokenrigError> => p.then(() => new TokenrigError('BAD_INPUT', 'opened'), (x: unknown) => x as TokenrigError);
    const missing = await failure(openHidTransport(`usbip:127.0.0.1:${server.port}/1-9`));
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', `USB/IP server 127.0.0.1:${server.port} refused 1-9: no such device`]);
    const closed = await failure(openHidTransport('usbip:127.0.0.1:1/1-1'));
    expect(closed.code).toBe('NOT_FOUND');
    expect(closed.message).toMatch(/cannot reach USB\/IP server 127\.0\.0\.1:1: ECONNREFUSED/);
  });
});

describe('usbip: device specs', () => {
  it('parse host, port (3240 by default) and bus id; refuse what is malformed', () => {
    expect(parseDeviceSpec('usbip:10.0.0.5:3241/1-1')).toEqual({ kind: 'usbip', host: '10.0.0.5', port: 3241, busid: '1-1' });
    expect(parseDeviceSpec('usbip:rig7/3-2.4')).toEqual({ kind: 'usbip', host: 'rig7', port: 3240, busid: '3-2.4' });
    expect(parseDeviceSpec('usbip:[::1]:3240/1-2')).toEqual({ kind: 'usbip', host: '::1', port: 3240, busid: '1-2' });
    for (const bad of ['usbip:10.0.0.5:3240', 'usbip:10.0.0.5:3240/x', 'usbip:/1-1', 'usbip:::1:3240/1-1', 'usbip:h:99999/1-1']) expect(() => parseDeviceSpec(bad), bad).toThrow(TokenrigError);
  });
});

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startSim(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error('the simulator printed nothing');
  return JSON.parse(first.value) as Record<string, unknown>;
}

// Each test runs several child processes (a simulator, then the CLI several times): 60 s on a loaded machine.
describe('the CLI over USB/IP (real processes)', { timeout: 60_000 }, () => {
  it('sim otp --usbip=0: devices --usbip lists it, code reads it over USB/IP, oathtool agrees', async (ctx) => {
    peers.oathtool.require(ctx);
    const ready = await startSim(['otp', '--usbip=0', '--json', '--secret', SECRET_B32, '--serial', 'GAKT00001234']);
    const spec = (ready.endpoints as { usbip: string }).usbip;
    expect(spec).toMatch(/^usbip:127\.0\.0\.1:\d+\/1-1$/);
    const port = spec.split(':')[2]!.split('/')[0]!;
    const listed = cli(['devices', '--usbip', `127.0.0.1:${port}`]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toBe(`${spec} 1209:7f01 [HID, CDC-ACM, CDC data]\n`);
    const r = cli(['code', '--device', spec, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { code: string; serial: string; via: string };
    expect(out).toMatchObject({ serial: 'GAKT00001234', via: 'vendor-hid' });
    const now = Math.floor(Date.now() / 1000);
    const oath = spawnSync('oathtool', ['--totp', '-b', SECRET_B32, '-w', '1', '-N', `@${now}`], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(oath).toContain(out.code);
  });

  it('sim fido --usbip=0: fido info over usbip:; a bad --usbip is one line and exit 2', async () => {
    const ready = await startSim(['fido', '--usbip=0', '--json']);
    const spec = (ready.endpoints as { usbip: string }).usbip;
    const r = cli(['fido', 'info', '--device', spec, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ device: spec, versions: expect.arrayContaining(['FIDO_2_0', 'U2F_V2']) as unknown });
    const bad = cli(['sim', 'fido', '--usbip=70000']);
    expect([bad.status, bad.stderr]).toEqual([2, 'tokenrig: --usbip takes a TCP port 0..65535 (--usbip=3240), got "70000"\n']);
    const both = cli(['sim', 'fido', '--usbip', '--hid', 'udp:0']);
    expect([both.status, both.stderr]).toEqual([2, 'tokenrig: give one of --hid, --usbip, --uhid: a device is plugged into one host at a time (got --hid and --usbip)\n']);
    const listen = cli(['sim', 'otp', '--listen', '0.0.0.0']);
    expect([listen.status, listen.stderr]).toEqual([2, 'tokenrig: --listen sets the address of --usbip, --hid or --serial-port tcp:PORT: give one of them too\n']);
  });
});
