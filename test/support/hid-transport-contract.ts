/**
 * The HID transport contract suite (src/transports/hid-transport.ts): every implementation
 * runs it against an echo device that answers each report with the report and then its
 * bitwise complement (two reports per write, to exercise queueing).
 */
import { expect, it } from 'vitest';
import { TokenrigError } from '../../src/errors.js';
import type { HidTransport } from '../../src/transports/hid-transport.js';

/** A device that echoes every report twice: as is, then inverted. */
export class EchoHidDevice {
  readonly reportDescriptor = new Uint8Array(0);
  #send: ((r: Uint8Array) => void) | undefined;
  received: Uint8Array[] = [];
  powerCycles = 0;
  attach(send: (r: Uint8Array) => void): void {
    this.#send = send;
  }
  receive(report: Uint8Array): void {
    this.received.push(report);
    this.#send?.(report);
    this.#send?.(report.map((b) => b ^ 0xff));
  }
  powerCycle(): void {
    this.powerCycles++;
  }
}

function report(n: number): Uint8Array {
  return Uint8Array.from({ length: 64 }, (_, i) => (n * 7 + i) & 0xff);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof TokenrigError ? e.code : e instanceof Error ? e.name : String(e);
  }
}

/** Register the contract tests; `open` gives a fresh transport connected to a fresh echo device. */
export function hidTransportContract(open: () => Promise<{ transport: HidTransport; device: EchoHidDevice; dispose?: () => Promise<void> }>): void {
  it('delivers written reports in order and queues replies until read', async () => {
    const { transport, device, dispose } = await open();
    try {
      for (let n = 0; n < 20; n++) void transport.write(report(n));
      await transport.write(report(20));
      const got: Uint8Array[] = [];
      for (let n = 0; n < 42; n++) got.push(await transport.read(2000));
      for (let n = 0; n <= 20; n++) {
        expect(got[2 * n]).toEqual(report(n));
        expect(got[2 * n + 1]).toEqual(report(n).map((b) => b ^ 0xff));
      }
      expect(device.received).toHaveLength(21);
    } finally {
      await transport.close();
      await dispose?.();
    }
  });

  it('refuses reports that are not 64 bytes', async () => {
    const { transport, dispose } = await open();
    try {
      expect(await code(transport.write(new Uint8Array(65)))).toBe('RangeError');
      expect(await code(transport.write(new Uint8Array(63)))).toBe('RangeError');
    } finally {
      await transport.close();
      await dispose?.();
    }
  });

  it('times out a read with TIMEOUT and rejects pending and later calls with CLOSED', async () => {
    const { transport, dispose } = await open();
    try {
      expect(await code(transport.read(20))).toBe('TIMEOUT');
      const pending = transport.read();
      await transport.close();
      await transport.close();
      expect(await code(pending)).toBe('CLOSED');
      expect(await code(transport.read(10))).toBe('CLOSED');
      expect(await code(transport.write(report(1)))).toBe('CLOSED');
    } finally {
      await dispose?.();
    }
  });
}
