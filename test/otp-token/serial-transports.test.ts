/**
 * Every serial transport that can run here obeys one contract: memory, serialport on a real
 * pty (socat), TCP on 127.0.0.1. Then the token itself over each.
 */
import { describe, expect, it } from 'vitest';
import { AWS_TOTP_PROFILE } from '../../devices/index.js';
import { PtyEndpoint } from '../../firmware-sim/endpoints/pty-endpoint.js';
import { TcpSerialEndpoint } from '../../firmware-sim/endpoints/tcp-serial-endpoint.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { OtpSerialInterface, OtpTokenFirmware } from '../../firmware-sim/otp/index.js';
import { SerialOtpTokenDriver } from '../../src/drivers/otp-token-driver.js';
import type { TokenrigError } from '../../src/errors.js';
import { base32Decode } from '../../src/otp/base32.js';
import { totp } from '../../src/otp/totp.js';
import { openSerialTransport } from '../../src/transports/device-spec.js';
import { MemorySerialTransport } from '../../src/transports/memory-serial-transport.js';
import { SerialPortTransport } from '../../src/transports/serialport-transport.js';
import { TcpSerialTransport } from '../../src/transports/tcp-serial-transport.js';
import { peers } from '../support/peer.js';
import { EchoSerialDevice, serialTransportContract } from '../support/serial-transport-contract.js';

const SECRET = base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
const T0 = 1_700_000_000_000;

describe('MemorySerialTransport obeys the serial transport contract', () => {
  serialTransportContract(async () => ({ transport: MemorySerialTransport.connect(new EchoSerialDevice()) }));
});

describe.runIf(peers.socat.available || process.env.CI === 'true')('SerialPortTransport on a real pty (socat) obeys the contract', () => {
  serialTransportContract(async () => {
    const endpoint = await PtyEndpoint.open(new EchoSerialDevice());
    expect(endpoint.path).toMatch(/^\/dev\/pts\/\d+$/);
    return { transport: await SerialPortTransport.open(endpoint.path), dispose: () => endpoint.close() };
  });
});

describe('TcpSerialTransport + TcpSerialEndpoint obey the contract on 127.0.0.1', () => {
  serialTransportContract(async () => {
    const endpoint = await TcpSerialEndpoint.listen(new EchoSerialDevice());
    expect(endpoint.host).toBe('127.0.0.1');
    return { transport: await TcpSerialTransport.open('127.0.0.1', endpoint.port), dispose: () => endpoint.close() };
  });

  it('one session at a time; the half line of a client that left is dropped', async () => {
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const endpoint = await TcpSerialEndpoint.listen(new OtpSerialInterface(token));
    const a = await TcpSerialTransport.open('127.0.0.1', endpoint.port);
    const b = await TcpSerialTransport.open('127.0.0.1', endpoint.port);
    expect(await b.readLine(2000)).toBe('ERR 104 port busy');
    await a.write('*ID'); // disconnect mid-command
    await a.close();
    await b.close();
    // The endpoint learns of the disconnect asynchronously: retry while it still says busy.
    let answer = 'ERR 104 port busy';
    let c: TcpSerialTransport | undefined;
    for (let i = 0; i < 100 && answer === 'ERR 104 port busy'; i++) {
      await c?.close();
      c = await TcpSerialTransport.open('127.0.0.1', endpoint.port);
      await c.write('PRESS\n').catch(() => {});
      answer = await c.readLine(2000).catch((e: TokenrigError) => e.code);
    }
    expect(answer).toBe(totp(SECRET, T0 / 1000));
    await c?.close();
    await endpoint.close();
  });
});

describe('the token over a real pty, driven by serialport', () => {
  it('identifies, presses, survives garbage and a client that leaves mid-command', async (ctx) => {
    peers.socat.require(ctx);
    const { env } = createTestEnvironment({ startMs: T0 });
    const token = OtpTokenFirmware.open(env, AWS_TOTP_PROFILE, { secret: SECRET, serial: 'GAKT12345678' });
    const endpoint = await PtyEndpoint.open(new OtpSerialInterface(token));
    try {
      const first = await openSerialTransport(`serial:${endpoint.path}`);
      await first.write(Uint8Array.from([0xff, 0x00, 0xfe, 0x0a]));
      expect(await first.readLine(2000)).toBe('ERR 101 line holds bytes that are not printable ASCII');
      await first.write('*IDN'); // and leave without finishing the line
      await first.close();
      const driver = new SerialOtpTokenDriver(await openSerialTransport(`serial:${endpoint.path}`));
      // The half line "*IDN" may still be in the device: the driver ends it and skips its ERR.
      expect((await driver.identify()).serial).toBe('GAKT12345678');
      expect(await driver.press()).toBe(totp(SECRET, T0 / 1000));
      await driver.close();
    } finally {
      await endpoint.close();
    }
  });
});
