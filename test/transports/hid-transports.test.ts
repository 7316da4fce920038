import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { SOLOKEYS_MAGIC_REBOOT, UdpEndpoint } from '../../firmware-sim/endpoints/udp-endpoint.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';
import { EchoHidDevice, hidTransportContract } from '../support/hid-transport-contract.js';

describe('MemoryHidTransport obeys the HID transport contract', () => {
  hidTransportContract(async () => {
    const device = new EchoHidDevice();
    return { device, transport: MemoryHidTransport.connect(device) };
  });

  it('delivers writes asynchronously, never inside the caller', async () => {
    const device = new EchoHidDevice();
    const t = MemoryHidTransport.connect(device);
    const p = t.write(new Uint8Array(64));
    expect(device.received).toHaveLength(0);
    await p;
    expect(device.received).toHaveLength(1);
    await t.close();
  });
});

describe('UdpHidTransport + UdpEndpoint obey the contract over real UDP on 127.0.0.1', () => {
  hidTransportContract(async () => {
    const device = new EchoHidDevice();
    const endpoint = await UdpEndpoint.listen(device, { port: 0 });
    const transport = await UdpHidTransport.open({ port: endpoint.address.port });
    return { device, transport, dispose: () => endpoint.close() };
  });

  it('binds loopback, replies to the last sender, drops short datagrams and power-cycles on the SoloKeys magic reboot', async () => {
    const device = new EchoHidDevice();
    const endpoint = await UdpEndpoint.listen(device, { port: 0 });
    expect(endpoint.address.address).toBe('127.0.0.1');
    expect(endpoint.spec).toBe(`udp:127.0.0.1:${endpoint.address.port}`);
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    const send = (b: Uint8Array): Promise<void> => new Promise((r) => sock.send(b, endpoint.address.port, '127.0.0.1', () => r()));
    await send(new Uint8Array(10));
    await send(SOLOKEYS_MAGIC_REBOOT);
    await send(new Uint8Array(64).fill(5));
    for (let i = 0; i < 200 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(endpoint.dropped).toBe(1);
    expect(device.powerCycles).toBe(1);
    expect(device.received).toHaveLength(1);
    expect(replies.map((m) => m[0])).toEqual([5, 0xfa]);
    sock.close();
    await endpoint.close();
  });

  it('keeps 200 un-awaited writes (more than a 7609-byte message) in call order, also to a device named by host name, and refuses an unknown name', async () => {
    const device = new EchoHidDevice();
    const endpoint = await UdpEndpoint.listen(device, { port: 0 });
    const t = await UdpHidTransport.open({ host: 'localhost', port: endpoint.address.port });
    expect(t.spec).toBe(`udp:127.0.0.1:${endpoint.address.port}`);
    const report = (n: number): Uint8Array => new Uint8Array(64).fill(n & 0xff).map((b, i) => (i < 2 ? (n >> (8 * i)) & 0xff : b));
    await Promise.all(Array.from({ length: 200 }, (_, n) => t.write(report(n))));
    for (let i = 0; i < 400 && device.received.length < 200; i++) await new Promise((r) => setTimeout(r, 5));
    expect(device.received.map((r) => r[0]! | (r[1]! << 8))).toEqual(Array.from({ length: 200 }, (_, n) => n));
    await t.close();
    await endpoint.close();
    await expect(UdpHidTransport.open({ host: 'no-such-host.invalid', port: 8111 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('binds a fixed local port for the SoloKeys host side and reports a taken port', async () => {
    const device = new EchoHidDevice();
    const endpoint = await UdpEndpoint.listen(device, { port: 0 });
    const t = await UdpHidTransport.open({ port: endpoint.address.port, localPort: 0 });
    const fixed = t.localPort;
    await t.close();
    const again = await UdpHidTransport.open({ port: endpoint.address.port, localPort: fixed });
    expect(again.localPort).toBe(fixed);
    await expect(UdpHidTransport.open({ port: endpoint.address.port, localPort: fixed })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(UdpEndpoint.listen(device, { port: endpoint.address.port })).rejects.toThrow();
    await again.close();
    await endpoint.close();
  });
});
