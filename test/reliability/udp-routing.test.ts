/**
 * The UDP endpoint answers each CTAPHID channel at the address that allocated it: a stray
 * datagram from another socket (empty, short, or a whole report on someone else's channel)
 * neither redirects a pending reply nor gets served. Real sockets on 127.0.0.1.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { CtapHidFirmware } from '../../firmware-sim/ctaphid/index.js';
import { UdpEndpoint } from '../../firmware-sim/endpoints/udp-endpoint.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { splitMessage } from '../../src/protocol/ctaphid/index.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';

async function straySocket(port: number) {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const heard: Buffer[] = [];
  sock.on('message', (m) => heard.push(m));
  const send = (b: Uint8Array): Promise<void> => new Promise((r) => sock.send(b, port, '127.0.0.1', () => r()));
  return { heard, send, close: () => sock.close() };
}

describe('UDP endpoint: replies per channel', () => {
  it('a pending reply reaches the host that asked, whatever strays arrive meanwhile', async () => {
    const { env } = createTestEnvironment({ startMs: 0 });
    let release: (() => void) | undefined;
    let started: (() => void) | undefined;
    const inHandler = new Promise<void>((r) => (started = r));
    // A vendor command that answers only when the test says so: a reply is pending meanwhile.
    const fw = new CtapHidFirmware(env, {
      vendor: (_cmd, data) =>
        new Promise<Uint8Array>((resolve) => {
          release = () => resolve(data);
          started?.();
        }),
    });
    const endpoint = await UdpEndpoint.listen(fw, { port: 0 });
    const host = await CtapHidDevice.open(await UdpHidTransport.open({ port: endpoint.address.port }), { timeoutMs: 3000 });
    const stray = await straySocket(endpoint.address.port);
    const answer = host.call(0x40, Uint8Array.of(1, 2, 3));
    await inHandler;
    await stray.send(new Uint8Array(0));
    await stray.send(new Uint8Array(10));
    await stray.send(new Uint8Array(65));
    // A whole report on the host's own channel, from the wrong address: not served.
    await stray.send(splitMessage(host.info.cid, 0x40, Uint8Array.of(9))[0]!);
    await new Promise((r) => setTimeout(r, 50));
    release?.();
    expect(await answer).toEqual(Uint8Array.of(1, 2, 3));
    // The host is still served, and the stray heard nothing at all.
    const second = host.call(0x40, Uint8Array.of(4));
    await new Promise((r) => setTimeout(r, 20));
    release?.();
    expect(await second).toEqual(Uint8Array.of(4));
    expect(stray.heard).toEqual([]);
    expect(endpoint.dropped).toBe(3);
    stray.close();
    await host.close();
    await endpoint.close();
  });
});
