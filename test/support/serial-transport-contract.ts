/**
 * The serial transport contract suite (src/transports/serial-transport.ts), run against every
 * implementation: an echo device sends back every byte it receives, so the suite controls
 * exactly what the transport has to turn into lines.
 */
import { expect, it } from 'vitest';
import { TokenrigError } from '../../src/errors.js';
import type { SerialTransport } from '../../src/transports/serial-transport.js';

/** A serial device that echoes every byte. */
export class EchoSerialDevice {
  #send: ((b: Uint8Array) => void) | undefined;
  disconnects = 0;
  attach(send: (b: Uint8Array) => void): void {
    this.#send = send;
  }
  receive(bytes: Uint8Array): void {
    this.#send?.(bytes.slice());
  }
  disconnect(): void {
    this.disconnects++;
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof TokenrigError ? e.code : e instanceof Error ? e.name : String(e);
  }
}

export function serialTransportContract(open: () => Promise<{ transport: SerialTransport; dispose?: () => Promise<void> }>): void {
  it('turns LF, CR and CRLF (even split across writes) into lines, in order', async () => {
    const { transport: t, dispose } = await open();
    await t.write('one\ntwo\rthree\r');
    await t.write('\nfo');
    await t.write(Uint8Array.from([0x75, 0x72, 0x0d, 0x0a]));
    const lines = [];
    for (let i = 0; i < 4; i++) lines.push(await t.readLine(2000));
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
    await t.close();
    await dispose?.();
  });

  it('keeps many writes in order and reassembles a long line', async () => {
    const { transport: t, dispose } = await open();
    const long = 'x'.repeat(3000);
    const writes = [t.write(`${long}\n`)];
    for (let i = 0; i < 50; i++) writes.push(t.write(`line ${i}\n`));
    await Promise.all(writes);
    expect(await t.readLine(2000)).toBe(long);
    for (let i = 0; i < 50; i++) expect(await t.readLine(2000)).toBe(`line ${i}`);
    await t.close();
    await dispose?.();
  });

  it('times out with TIMEOUT, rejects a pending read and later calls with CLOSED, closes idempotently', async () => {
    const { transport: t, dispose } = await open();
    expect(await code(t.readLine(30))).toBe('TIMEOUT');
    const pending = code(t.readLine(5000));
    await t.close();
    expect(await pending).toBe('CLOSED');
    await t.close();
    expect(await code(t.readLine(10))).toBe('CLOSED');
    expect(await code(t.write('x\n'))).toBe('CLOSED');
    await dispose?.();
  });
}
