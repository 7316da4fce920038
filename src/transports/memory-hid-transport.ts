/**
 * The in-memory twin of a HID transport: connects host code to any simulated HID interface
 * in the same process. Typed structurally, so host code never imports firmware-sim.
 *
 * @example
 * ```ts
 * const transport = MemoryHidTransport.connect(authenticator.hid);
 * await transport.write(initReport);
 * const reply = await transport.read(1000);
 * ```
 */
import { type HidTransport, HID_REPORT_SIZE } from './hid-transport.js';
import { ReportQueue, closedError, refuseWrite } from './report-queue.js';
import { OrderedWriter } from './ordered-writer.js';

/** What the memory twin needs of a device: the shape of firmware-sim's SimulatedHidInterface. */
export interface HidInterfaceLike {
  attach(send: (report: Uint8Array) => void): void;
  receive(report: Uint8Array): void;
}

export class MemoryHidTransport implements HidTransport {
  readonly spec: string;
  readonly #device: HidInterfaceLike;
  readonly #queue: ReportQueue;
  readonly #writer = new OrderedWriter(
    () => this.#queue.closed,
    () => closedError(`HID transport ${this.spec}`),
  );

  private constructor(device: HidInterfaceLike, spec: string) {
    this.#device = device;
    this.spec = spec;
    this.#queue = new ReportQueue(`HID transport ${spec}`);
  }

  /**
   * Attach to `device` (replacing any earlier sink it had) and return the host end.
   * Reports are copied both ways, so neither side can mutate the other's buffers.
   */
  static connect(device: HidInterfaceLike, spec = 'memory:'): MemoryHidTransport {
    const t = new MemoryHidTransport(device, spec);
    device.attach((report) => t.#queue.push(report.slice()));
    return t;
  }

  write(report: Uint8Array): Promise<void> {
    const refused = refuseWrite(this.#queue, report, HID_REPORT_SIZE, `HID transport ${this.spec}`);
    if (refused !== undefined) return refused;
    const copy = report.slice();
    // Deliver asynchronously and in order, as a real bus would: a write never runs inside
    // the caller's stack, and writes never overlap.
    return this.#writer.run(() => {
      this.#device.receive(copy);
    });
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    this.#queue.close();
  }
}
