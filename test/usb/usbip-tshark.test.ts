/**
 * tshark (Wireshark's dissector, an independent reading of the protocol) dissects a recorded
 * USB/IP session between our client transport and our server without a malformed packet:
 * the device list, the import, enumeration, CTAPHID INIT, a makeCredential and the unlinks on
 * close. (The kernel's own sessions are recorded by test/vm/usbip.vm.test.ts.)
 *
 * Not a 7609-byte PING: Debian's tshark 4.0 loses its way in such a recording (from a pair of
 * IN replies onward it reads report data as headers), although the byte streams parse whole
 * with the document's framing; that recording is left out until a tshark reads it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPOSITE_KEY_PROFILE } from '../../devices/index.js';
import { UsbIpServer } from '../../firmware-sim/endpoints/usbip-server.js';
import { createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator } from '../../firmware-sim/fido/index.js';
import { createFidoUsbDevice } from '../../firmware-sim/usb/index.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../src/drivers/ctaphid-device.js';
import { discoverUsbIpDevices } from '../../src/transports/discovery.js';
import { openHidTransport } from '../../src/transports/device-spec.js';
import { commandWorks, peer } from '../support/peer.js';

const tshark = peer('tshark + dumpcap (capturing on lo)', 'apt-get install tshark; run as root or give dumpcap cap_net_raw', () => commandWorks('tshark', ['--version']) && commandWorks('dumpcap', ['-D']));
const dir = mkdtempSync(join(tmpdir(), 'tokenrig-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Record one session; returns the capture file and the server's port. */
async function recordSession(): Promise<{ pcap: string; port: number }> {
  const { env } = createTestEnvironment({ startMs: Date.now() });
  const authenticator = await FidoAuthenticator.create(env);
  const server = await UsbIpServer.listen([createFidoUsbDevice(authenticator, COMPOSITE_KEY_PROFILE)], { port: 0 });
  const port = server.port;
  const pcap = join(dir, 'session.pcapng');
  let capture: ChildProcess | undefined;
  try {
    capture = spawn('dumpcap', ['-i', 'lo', '-q', '-f', `tcp port ${port}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
    // dumpcap says "Capturing on 'Loopback: lo'" once it records.
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`dumpcap did not start: ${err}`)), 10_000);
      capture!.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('Capturing on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // "Capturing on" comes before the filter is in place: list the devices until a request is recorded.
    for (let i = 0; ; i++) {
      expect((await discoverUsbIpDevices('127.0.0.1', port)).map((d) => d.vendorId)).toEqual([0x1050]);
      await new Promise((r) => setTimeout(r, 100));
      // A captured request means the capture was on before it: all that follows is recorded.
      if (tsharkLines(pcap, port, 'usbip.operation == 0x8005').length > 0) break;
      if (i === 50) throw new Error('dumpcap records nothing on lo');
    }
    const device = await CtapHidDevice.open(await openHidTransport(server.specs[0]!, { role: 'fido' }));
    await new Ctap2(device).makeCredential({ clientDataHash: sha256(Uint8Array.of(1)), rp: { id: 'rp.example' }, user: { id: Uint8Array.of(1), name: 'u' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] });
    await device.close();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    capture?.kill('SIGINT');
    await new Promise((r) => (capture === undefined || capture.exitCode !== null ? r(undefined) : capture.once('exit', r)));
    await server.close();
  }
  return { pcap, port };
}

function tsharkLines(pcap: string, port: number, filter: string, fields: string[] = []): string[] {
  if (!existsSync(pcap)) return [];
  const r = spawnSync('tshark', ['-r', pcap, '-d', `tcp.port==${port},usbip`, '-Y', filter, ...(fields.length > 0 ? ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])] : [])], { encoding: 'utf8' });
  // A file dumpcap is still writing may end mid-packet: tshark says so and exits 2, with what it read.
  if (r.status !== 0 && r.stdout === '') throw new Error(`tshark: ${r.stderr}`);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n');
}

describe('a USB/IP session as tshark dissects it', () => {
  it('has no malformed packet and shows the device list, the import and the URBs', async (ctx) => {
    tshark.require(ctx);
    const { pcap, port } = await recordSession();
    const rows = tsharkLines(pcap, port, 'usbip', ['usbip.operation', 'usbip.idVendor', 'usbip.urb']);
    expect(rows.some((r) => r.startsWith('0x8005'))).toBe(true); // OP_REQ_DEVLIST
    expect(rows.some((r) => r.startsWith('0x8003'))).toBe(true); // OP_REQ_IMPORT
    expect(rows.some((r) => r.includes('0x1050'))).toBe(true); // the device's vendor id
    // Frames with CMD_SUBMITs: enumeration, INIT, the makeCredential's reports.
    expect(rows.filter((r) => r.includes('0x00000001')).length).toBeGreaterThan(10);
    expect(rows.some((r) => r.includes('0x00000002'))).toBe(true); // CMD_UNLINK on close
    expect(tsharkLines(pcap, port, '_ws.malformed || _ws.expert.severity >= "Error" || usbip.unsupported_version'), 'malformed or erroneous packets').toEqual([]);
  });
});
