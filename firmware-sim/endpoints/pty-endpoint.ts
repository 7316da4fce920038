/**
 * Makes a simulated serial interface reachable as a real pseudo-terminal (/dev/pts/N) that
 * serialport, pyserial, minicom or `screen` open like any tty. The pty comes from a `socat`
 * child (`socat PTY,raw,echo=0 STDIO`, Debian package `socat`): socat holds the master side
 * and copies it to its stdin/stdout, which this endpoint feeds to and from the device. The
 * endpoint only moves bytes. socat keeps the pty open while clients come and go, so the same
 * path serves one client after another; each client's close is not signalled through a pty,
 * so half lines are left to the device's own line handling.
 *
 * Backpressure: when the client does not read, socat cannot write the pty, and our pipe to
 * socat fills (`write()` returns false): the endpoint then stops reading what socat sends
 * until the pipe drains, so socat stops reading the pty and the client's writes block. Input
 * lines are capped by the serial interface. Answers beyond `maxPendingOutput` unread bytes
 * (one burst of input can produce more than the pipe holds) are dropped, with a logged reason:
 * a pty cannot be closed for one client.
 *
 * @example
 * ```ts
 * const pty = await PtyEndpoint.open(new OtpSerialInterface(token));
 * console.log(pty.path); // /dev/pts/7
 * await pty.close();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { DeviceLogger } from '../env/logger.js';
import type { SimulatedSerialInterface } from '../hid-interface.js';
import { MAX_PENDING_SERIAL_OUTPUT } from './tcp-serial-endpoint.js';

export interface PtyEndpointOptions {
  /** Also make a symlink to the pty here (socat's `link=`), e.g. /tmp/tokenrig-otp. */
  link?: string;
  /** The socat binary; default `socat` from PATH. */
  socat?: string;
  /** Give up if socat has not reported its pty after this long; default 5000 ms. */
  startTimeoutMs?: number;
  /** Drop answers while more than this many bytes are unread; default 1 MiB. */
  maxPendingOutput?: number;
  /** Where dropped output is reported. */
  log?: DeviceLogger;
}

export class PtyEndpoint {
  /** The /dev/pts/N path clients open. */
  readonly path: string;
  readonly link: string | undefined;
  readonly #child: ChildProcess;
  readonly #device: SimulatedSerialInterface;
  #closed = false;

  private constructor(child: ChildProcess, path: string, link: string | undefined, device: SimulatedSerialInterface) {
    this.#child = child;
    this.path = path;
    this.link = link;
    this.#device = device;
  }

  /** Start socat and wait for its pty. Rejects when socat is missing or fails. */
  static async open(device: SimulatedSerialInterface, options: PtyEndpointOptions = {}): Promise<PtyEndpoint> {
    if (options.link !== undefined && /[,!:]/.test(options.link)) throw new RangeError('link must not contain , ! or : (socat address syntax)');
    const address = `PTY,raw,echo=0${options.link === undefined ? '' : `,link=${options.link}`}`;
    // -d -d makes socat print "PTY is /dev/pts/N" on stderr.
    const child = spawn(options.socat ?? 'socat', ['-d', '-d', address, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const path = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => fail(new Error(`socat did not open a pty within ${options.startTimeoutMs ?? 5000} ms`)), options.startTimeoutMs ?? 5000);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      child.once('error', (e) => fail(new Error(`cannot start socat (apt-get install socat): ${e.message}`)));
      child.once('exit', (code) => fail(new Error(`socat exited (${code}) before opening a pty: ${err.trim()}`)));
      child.stderr!.setEncoding('utf8');
      const onStderr = (chunk: string): void => {
        err += chunk;
        const m = /PTY is (\/dev\/\S+)/.exec(err);
        if (m === null) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        // Keep draining socat's diagnostics, but look at them no more.
        child.stderr!.off('data', onStderr);
        child.stderr!.resume();
        resolve(m[1]!);
      };
      child.stderr!.on('data', onStderr);
    });
    const endpoint = new PtyEndpoint(child, path, options.link, device);
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    const maxPending = options.maxPendingOutput ?? MAX_PENDING_SERIAL_OUTPUT;
    let dropping = false;
    device.attach((bytes) => {
      const stdin = child.stdin!;
      if (endpoint.#closed || !stdin.writable) return;
      if (stdin.writableLength > maxPending) {
        if (!dropping) options.log?.log('warn', 'serial.output_dropped', { endpoint: 'pty', reason: `more than ${maxPending} bytes of answers unread: the client does not read` });
        dropping = true;
        return;
      }
      dropping = false;
      // Stop reading while the client does not read: its answers would pile up here.
      if (!stdin.write(bytes)) child.stdout!.pause();
    });
    child.stdin!.on('drain', () => child.stdout!.resume());
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!endpoint.#closed) endpoint.#device.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    return endpoint;
  }

  /** Stop socat (the pty disappears). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#device.disconnect?.();
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 2000);
      this.#child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#child.kill('SIGTERM');
    });
  }
}
