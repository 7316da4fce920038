/**
 * A minimal byte-level CTAPHID host for device tests: feeds reports straight into a
 * simulated interface and reassembles what comes back.
 */
import { BROADCAST_CID, CTAPHID, CtapHidAssembler, splitMessage } from '../../src/protocol/ctaphid/index.js';

interface HidLike {
  attach(send: (r: Uint8Array) => void): void;
  receive(r: Uint8Array): void;
}

export interface HostMessage {
  cid: number;
  cmd: number;
  data: Uint8Array;
}

export class TestHidHost {
  readonly reports: Uint8Array[] = [];
  readonly messages: HostMessage[] = [];
  readonly #device: HidLike;
  readonly #asm = new CtapHidAssembler();
  #waiters: (() => void)[] = [];

  constructor(device: HidLike) {
    this.#device = device;
    device.attach((r) => {
      this.reports.push(r.slice());
      const m = this.#asm.push(r);
      if (m.kind === 'message') {
        this.messages.push({ cid: m.cid, cmd: m.cmd, data: m.data });
        for (const w of this.#waiters.splice(0)) w();
      }
    });
  }

  send(cid: number, cmd: number, data: Uint8Array | number[]): void {
    for (const p of splitMessage(cid, cmd, Uint8Array.from(data))) this.#device.receive(p);
  }

  raw(report: Uint8Array | number[]): void {
    const r = new Uint8Array(64);
    r.set(Uint8Array.from(report));
    this.#device.receive(r);
  }

  take(): HostMessage[] {
    return this.messages.splice(0);
  }

  /** The last message, removed. */
  last(): HostMessage {
    const m = this.messages.pop();
    if (m === undefined) throw new Error('no message from the device');
    return m;
  }

  /** INIT on the broadcast channel; returns the allocated channel. */
  init(nonce: number[] = [1, 2, 3, 4, 5, 6, 7, 8]): number {
    this.send(BROADCAST_CID, CTAPHID.INIT, nonce);
    const m = this.last();
    if (m.cmd !== CTAPHID.INIT) throw new Error(`INIT answered with cmd 0x${m.cmd.toString(16)}`);
    return new DataView(m.data.buffer, m.data.byteOffset).getUint32(8);
  }

  /** Resolve once a message with command `cmd` (or ERROR) has arrived; reject after `ms` of real time. */
  async waitFor(cmd: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.messages.some((m) => m.cmd === cmd || m.cmd === 0x3f)) {
      if (Date.now() > deadline) throw new Error(`no reply 0x${cmd.toString(16)} from the device within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Wait until the device answered (async handlers), up to `ticks` macrotasks. */
  async settle(ticks = 50): Promise<void> {
    for (let i = 0; i < ticks; i++) await new Promise((r) => setImmediate(r));
  }
}
