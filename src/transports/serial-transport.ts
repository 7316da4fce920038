/**
 * The serial transport contract: bytes out, lines in (the project's serial protocol is one
 * command per line).
 *
 * Contract, checked by the shared contract tests:
 * - `write(data)` sends the bytes in order; writes never overlap.
 * - `readLine(timeoutMs)` resolves with the next line without its terminator (LF, CR or CRLF
 *   all end a line); a line split across many chunks is reassembled. It rejects with
 *   `TIMEOUT` after `timeoutMs` and with `CLOSED` when the transport closes while it waits.
 * - `close()` is idempotent and rejects pending reads with `CLOSED`.
 * - Constructors do no I/O; an async factory or `open()` does.
 */
export interface SerialTransport {
  readonly spec: string;
  write(data: string | Uint8Array): Promise<void>;
  readLine(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}
