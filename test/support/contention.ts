/**
 * Ways for many hosts to share one simulated FIDO key, as processes share a hidraw node.
 * Each entry starts a key and hands back one HID transport per host; the contention test
 * runs its workload over every entry, so a further transport (hidraw in the VM through
 * USB/IP) is one more entry here.
 */
import { UdpEndpoint } from '../../firmware-sim/endpoints/udp-endpoint.js';
import { type UserPresence, createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import type { HidTransport } from '../../src/transports/hid-transport.js';
import { MemoryHidTransport } from '../../src/transports/memory-hid-transport.js';
import { UdpHidTransport } from '../../src/transports/udp-hid-transport.js';

export interface SharedKey {
  transports: HidTransport[];
  close(): Promise<void>;
}

export interface ContentionTransport {
  name: string;
  /** Start one simulated key and connect `hosts` transports to it. */
  connect(hosts: number): Promise<SharedKey>;
}

/**
 * A touch that is not instantaneous, as a finger's is not: every request then spans I/O events,
 * as on a real key, so answers of pending requests meet other hosts' traffic.
 */
const quickTouch: UserPresence = {
  waitForTouch: (request) => new Promise((resolve) => setImmediate(() => resolve(request.signal?.aborted !== true))),
};

async function simulatedKey(seed: string): Promise<FidoAuthenticator> {
  const { env } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), seed, presence: quickTouch });
  return FidoAuthenticator.create(env);
}

/**
 * One device, `hosts` transports, and every input report fanned out to every host: what a
 * real key (or one attached over USB/IP) does when several processes have its hidraw open.
 * Each host receives a report as an I/O event of its own (setImmediate), as a process reading
 * hidraw does: delivered as microtasks, a few busy hosts could keep every other host's timers
 * (its CHANNEL_BUSY backoff) from ever firing.
 */
export function fanOut(device: { attach(send: (r: Uint8Array) => void): void; receive(r: Uint8Array): void }, hosts: number): MemoryHidTransport[] {
  const sinks: ((r: Uint8Array) => void)[] = [];
  device.attach((r) => {
    for (const sink of sinks) setImmediate(() => sink(r));
  });
  return Array.from({ length: hosts }, (_, i) =>
    MemoryHidTransport.connect({ attach: (sink) => void sinks.push(sink), receive: (r) => device.receive(r) }, `memory:host${i}`),
  );
}

export const CONTENTION_TRANSPORTS: readonly ContentionTransport[] = [
  {
    name: 'in process, every report to every host',
    async connect(hosts) {
      const key = await simulatedKey(`fan-out-${hosts}`);
      const transports = fanOut(key.hid, hosts);
      return { transports, close: async () => void (await Promise.all(transports.map((t) => t.close()))) };
    },
  },
  {
    name: 'UDP, one socket per host',
    async connect(hosts) {
      const key = await simulatedKey(`udp-${hosts}`);
      const endpoint = await UdpEndpoint.listen(key.hid, { port: 0 });
      const transports = await Promise.all(Array.from({ length: hosts }, () => UdpHidTransport.open({ port: endpoint.address.port })));
      return {
        transports,
        close: async () => {
          await Promise.all(transports.map((t) => t.close()));
          await endpoint.close();
        },
      };
    },
  },
];
