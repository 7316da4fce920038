/**
 * A HID transport over a real HID device through node-hid (hidraw on Linux, the OS HID stack
 * elsewhere). It owns the report-ID byte quirk: hidapi's `write` wants the report number
 * first, 0x00 for devices without numbered reports (FIDO and the OTP vendor interface), so
 * every 64-byte report goes out as 65 bytes; some platforms hand input reports back with that
 * 0x00 still in front, which is stripped here. Nothing above this file sees the extra byte.
 *
 * @example
 * ```ts
 * const t = await NodeHidTransport.open({ path: '/dev/hidraw3' });
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { type HidOpenOptions, hidRoleOf } from './hid-role.js';
import { type HidTransport, HID_REPORT_SIZE } from './hid-transport.js';
import { ReportQueue, closedError, refuseWrite } from './report-queue.js';
import { OrderedWriter } from './ordered-writer.js';

/** The bytes hidapi's write takes for one report: report ID 0, then the report. */
export function withReportId(report: Uint8Array): Buffer {
  const out = Buffer.alloc(report.length + 1);
  out.set(report, 1);
  return out;
}

/** An input report as hidapi returned it, without a leading report ID 0 if one came along. */
export function withoutReportId(data: Uint8Array, size = HID_REPORT_SIZE): Uint8Array | undefined {
  if (data.length === size) return new Uint8Array(data);
  if (data.length === size + 1 && data[0] === 0) return new Uint8Array(data.subarray(1));
  return undefined;
}

interface HidAsyncLike {
  write(values: number[] | Buffer): Promise<number>;
  close(): Promise<void>;
  on(event: 'data', cb: (data: Buffer) => void): unknown;
  on(event: 'error', cb: (e: Error) => void): unknown;
}

export class NodeHidTransport implements HidTransport {
  readonly spec: string;
  readonly #device: HidAsyncLike;
  readonly #queue: ReportQueue;
  readonly #writer = new OrderedWriter(
    () => this.#queue.closed,
    () => closedError(`HID transport ${this.spec}`),
  );

  readonly #outputSize: number;

  private constructor(device: HidAsyncLike, spec: string, outputSize: number) {
    this.#device = device;
    this.spec = spec;
    this.#outputSize = outputSize;
    this.#queue = new ReportQueue(`HID transport ${spec}`);
  }

  /**
   * Open by hidraw path, or by VID:PID: the interface of `role` when given (a composite key
   * has several HID interfaces under one VID:PID), else the first match. Rejects with NOT_FOUND.
   */
  static async open(target: ({ path: string } | ({ vendorId: number; productId: number } & HidOpenOptions)) & { reportSizes?: { input: number; output: number } }): Promise<NodeHidTransport> {
    const sizes = target.reportSizes ?? { input: HID_REPORT_SIZE, output: HID_REPORT_SIZE };
    const hid = await import('node-hid');
    const spec = 'path' in target ? `hid:${target.path}` : `hid:${hex4(target.vendorId)}:${hex4(target.productId)}`;
    let device: HidAsyncLike;
    try {
      let path = 'path' in target ? target.path : undefined;
      if (!('path' in target) && target.role !== undefined) {
        const role = target.role;
        const match = (await hid.devicesAsync(target.vendorId, target.productId)).find((d) => d.path !== undefined && hidRoleOf(d.usagePage, d.usage) === role);
        if (match === undefined) throw new Error(`no ${role} interface`);
        path = match.path;
      }
      device = (path !== undefined ? await hid.HIDAsync.open(path) : await hid.HIDAsync.open((target as { vendorId: number }).vendorId, (target as { productId: number }).productId)) as unknown as HidAsyncLike;
    } catch (e) {
      throw new TokenrigError(ErrorCode.NOT_FOUND, `cannot open ${spec}: ${(e as Error).message} (is the device plugged in, and may this user open it? see udev rules)`, { cause: e });
    }
    const t = new NodeHidTransport(device, spec, sizes.output);
    device.on('data', (data: Buffer) => {
      const report = withoutReportId(data, sizes.input);
      if (report !== undefined) t.#queue.push(report);
    });
    device.on('error', () => t.#queue.close());
    return t;
  }

  write(report: Uint8Array): Promise<void> {
    const refused = refuseWrite(this.#queue, report, this.#outputSize, `HID transport ${this.spec}`);
    if (refused !== undefined) return refused;
    const bytes = withReportId(report);
    return this.#writer.run(async () => {
      try {
        await this.#device.write(bytes);
      } catch (e) {
        throw new TokenrigError(ErrorCode.NOT_FOUND, `write to ${this.spec} failed: ${(e as Error).message}`, { cause: e });
      }
    });
  }

  read(timeoutMs?: number): Promise<Uint8Array> {
    return this.#queue.read(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#queue.closed) return;
    this.#queue.close();
    await this.#device.close().catch(() => {});
  }
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
