/**
 * The HID transport contract: whole 64-byte reports in, whole 64-byte reports out. All framing
 * (CTAPHID) lives above it; implementations only move reports.
 *
 * Contract, which the shared contract test suite checks for every implementation:
 * - `write(report)` sends exactly one report of `HID_REPORT_SIZE` bytes (no report-ID byte;
 *   a transport whose OS API needs one, node-hid, adds it itself). Reports reach the device
 *   in call order, even when the caller does not await each write: most transports let a
 *   write start only when the previous one settled (OrderedWriter); UDP hands datagrams to
 *   the socket's first-in, first-out send queue at once.
 * - `read(timeoutMs)` resolves with the next report, in order, each exactly once. It rejects
 *   with a `TokenrigError` of code `TIMEOUT` after `timeoutMs`, and `CLOSED` when the transport
 *   is closed while it waits. Reports that arrive while nobody reads are queued.
 * - `close()` is idempotent; pending reads reject with `CLOSED`; later calls reject with `CLOSED`.
 * - Constructors do no I/O; an async factory or `open()` does.
 */
export const HID_REPORT_SIZE = 64;

export interface HidTransport {
  /** A device spec naming what this transport is connected to, e.g. `udp:127.0.0.1:8111`. */
  readonly spec: string;
  write(report: Uint8Array): Promise<void>;
  read(timeoutMs?: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
