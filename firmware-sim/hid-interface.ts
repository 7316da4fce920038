/**
 * What a simulated HID interface looks like to an endpoint. The firmware is a pure message
 * machine: an endpoint hands it each 64-byte output report the host wrote, and the firmware
 * emits input reports through the `send` function the endpoint attached. Endpoints (memory,
 * UDP, USB/IP, uhid) only move bytes and never interpret them.
 */
/**
 * Which host a report came from, or goes to, as an endpoint tells hosts apart (UDP: the
 * sender's `address:port`). Undefined where every host sees every report, as on a HID bus
 * (memory, USB/IP, uhid): there the input report goes to everyone who has the device open.
 */
export type HidPeer = string;

export interface SimulatedHidInterface {
  /** HID report descriptor bytes (for USB/IP and uhid endpoints). */
  readonly reportDescriptor: Uint8Array;
  /** Bytes in one output report (host to device); 64 when absent (FIDO and vendor CTAPHID interfaces). */
  readonly outputReportSize?: number;
  /**
   * Attach the sink that carries input reports to the host. `to` names the host a report is
   * for when the interface knows it (a CTAPHID channel belongs to the host that allocated it).
   */
  attach(send: (report: Uint8Array, to?: HidPeer) => void): void;
  /** One output report from the host (64 bytes, no report-ID byte), from `from` when the endpoint knows. */
  receive(report: Uint8Array, from?: HidPeer): void;
  /** Power cycle: drop volatile state (channels, PIN tokens), keep persistent state. */
  powerCycle?(): void;
}

/** What a simulated serial (CDC-ACM) interface looks like to an endpoint. */
export interface SimulatedSerialInterface {
  /** Attach the sink that carries bytes to the host. */
  attach(send: (bytes: Uint8Array) => void): void;
  /** Bytes from the host, in any fragmentation. */
  receive(bytes: Uint8Array): void;
  /** The host went away (port closed): discard any half line. */
  disconnect?(): void;
}
