/**
 * Makes a simulated HID interface a real HID device of the local Linux kernel through uhid
 * (Documentation/hid/uhid.rst, include/uapi/linux/uhid.h): UHID_CREATE2 with the interface's
 * report descriptor and the device's identity makes hid-generic bind it, and a /dev/hidrawN
 * node appears that browsers, libfido2, python-fido2 and node-hid open. Output reports the
 * host writes arrive as UHID_OUTPUT and go to the firmware; the firmware's input reports go
 * back as UHID_INPUT2; GET_REPORT and SET_REPORT are answered; UHID_DESTROY on close.
 *
 * uhid devices are HID only and local: a CDC serial port or a remote host needs USB/IP.
 * Reading /dev/uhid blocks until the kernel has an event, so each device has a small worker
 * thread that reads and posts events to this thread (the libuv thread pool, which crypto and
 * file I/O share, is never held by a waiting read).
 *
 * @example
 * ```ts
 * const uhid = await UhidEndpoint.open(authenticator.hid, { name: 'tokenrig FIDO', vendor: 0x1209, product: 0x7172 });
 * uhid.hidraw; // '/dev/hidraw0'
 * await uhid.close();
 * ```
 */
import { closeSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ErrorCode, TokenrigError } from '../../src/errors.js';
import type { SimulatedHidInterface } from '../hid-interface.js';
import {
  BUS_USB,
  UHID,
  UHID_CREATE2_REQ,
  UHID_EVENT_HEADER,
  UHID_EVENT_SIZE,
  UHID_GET_REPORT_REPLY_REQ,
  UHID_GET_REPORT_REQ,
  UHID_INPUT2_REQ,
  UHID_OUTPUT_REQ,
  UHID_REPORT_TYPE,
  UHID_SET_REPORT_REPLY_REQ,
  UHID_SET_REPORT_REQ,
  UHID_DATA_MAX,
  uhidEvent,
} from './uhid-events.js';

export interface UhidIdentity {
  /** HID_NAME: what dmesg and hidapi's product string show. */
  name: string;
  vendor: number;
  product: number;
  /** Device release (bcdDevice). */
  version?: number;
  /** HID_UNIQ: hidapi's serial number. */
  uniq?: string;
}

export interface UhidEndpointOptions {
  /** Default /dev/uhid. */
  path?: string;
  /** Default: the interface's own `reportDescriptor`. */
  reportDescriptor?: Uint8Array;
  /** Bytes of an input report (default 64; 8 for a boot keyboard). */
  inputReportSize?: number;
  /** Bytes of an output report (default 64; 1 for a keyboard's LEDs). */
  outputReportSize?: number;
  /** Give up waiting for the kernel's UHID_START after this long; default 5000 ms. */
  startTimeoutMs?: number;
  /** Events: `uhid_open` / `uhid_close` when a program opens or closes the hidraw node. */
  onEvent?: (e: { event: string; hidraw?: string }) => void;
}

/** errno of GET_REPORT/SET_REPORT replies for what the device does not support. */
const EIO = 5;

/**
 * The reading thread: blocking reads of whole events, each posted to the owner, until the
 * owner has asked to stop and the kernel's UHID_STOP arrives. Plain CommonJS so it runs the
 * same from TypeScript sources and from built JavaScript.
 */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const stopping = new Int32Array(workerData.stopping);
const buffer = Buffer.alloc(workerData.eventSize);
for (;;) {
  let n;
  try {
    n = readSync(workerData.fd, buffer, 0, buffer.length, null);
  } catch (e) {
    if (e.code === 'EINTR' || e.code === 'EAGAIN') continue;
    parentPort.postMessage({ error: e.message });
    break;
  }
  const type = n >= 4 ? buffer.readUInt32LE(0) : -1;
  parentPort.postMessage(Uint8Array.prototype.slice.call(buffer, 0, n));
  if (type === ${UHID.STOP} && Atomics.load(stopping, 0) === 1) break;
}
`;

/** The one-line error for a missing or closed /dev/uhid, saying how to enable it. */
export function uhidUnavailable(path: string, e: NodeJS.ErrnoException): TokenrigError {
  const how =
    e.code === 'ENOENT'
      ? `${path} does not exist: load the uhid module (sudo modprobe uhid; to keep it, add "uhid" to /etc/modules-load.d/uhid.conf)`
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? `${path} is not writable by this user: run as root, or give a group access with a udev rule (KERNEL=="uhid", GROUP="plugdev", MODE="0660") and join that group`
        : `cannot open ${path}: ${e.message}`;
  return new TokenrigError(ErrorCode.NOT_FOUND, `uhid unavailable: ${how}`, { cause: e });
}

export class UhidEndpoint {
  readonly identity: UhidIdentity;
  /** HID_PHYS: unique per endpoint, how the hidraw node is found in sysfs. */
  readonly phys: string;
  readonly #fd: number;
  readonly #device: SimulatedHidInterface;
  readonly #worker: Worker;
  readonly #stopping: Int32Array;
  readonly #inputSize: number;
  readonly #outputSize: number;
  readonly #onEvent: UhidEndpointOptions['onEvent'];
  #lastInput: Uint8Array;
  #started = false;
  #closed = false;
  #exited: Promise<void>;
  #hidraw: string | undefined;

  private constructor(fd: number, device: SimulatedHidInterface, identity: UhidIdentity, phys: string, options: UhidEndpointOptions) {
    this.#fd = fd;
    this.#device = device;
    this.identity = identity;
    this.phys = phys;
    this.#inputSize = options.inputReportSize ?? 64;
    this.#outputSize = options.outputReportSize ?? 64;
    this.#onEvent = options.onEvent;
    this.#lastInput = new Uint8Array(this.#inputSize);
    const stopping = new SharedArrayBuffer(4);
    this.#stopping = new Int32Array(stopping);
    this.#worker = new Worker(READER, { eval: true, workerData: { fd, eventSize: UHID_EVENT_SIZE, stopping } });
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
  }

  /**
   * Create the device and wait until the kernel has started it. Rejects with a one-line
   * NOT_FOUND error when /dev/uhid is missing or not writable.
   */
  static async open(device: SimulatedHidInterface, identity: UhidIdentity, options: UhidEndpointOptions = {}): Promise<UhidEndpoint> {
    const path = options.path ?? '/dev/uhid';
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      throw uhidUnavailable(path, e as NodeJS.ErrnoException);
    }
    const phys = `tokenrig/uhid/${process.pid}/${nextId++}`;
    const endpoint = new UhidEndpoint(fd, device, identity, phys, options);
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TokenrigError(ErrorCode.TIMEOUT, `uhid: the kernel did not start ${identity.name} within ${options.startTimeoutMs ?? 5000} ms`)), options.startTimeoutMs ?? 5000);
      endpoint.#onStart = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    endpoint.#worker.on('message', (m: Uint8Array | { error: string }) => {
      if (m instanceof Uint8Array) endpoint.#event(m);
    });
    const rd = options.reportDescriptor ?? device.reportDescriptor;
    try {
      const create = UHID_CREATE2_REQ.encode({
        name: identity.name.slice(0, 127),
        phys,
        uniq: (identity.uniq ?? '').slice(0, 63),
        rd_size: rd.length,
        bus: BUS_USB,
        vendor: identity.vendor,
        product: identity.product,
        version: identity.version ?? 0,
        country: 0,
        rd_data: rd,
      });
      writeSync(fd, uhidEvent(UHID.CREATE2, create, UHID_CREATE2_REQ.offsetOf('rd_data') + rd.length));
    } catch (e) {
      await endpoint.#shutdown(false);
      throw new TokenrigError(ErrorCode.DEVICE, `uhid: UHID_CREATE2 failed: ${(e as Error).message}`, { cause: e });
    }
    try {
      await started;
    } catch (e) {
      await endpoint.close();
      throw e;
    }
    device.attach((report) => endpoint.#input(report));
    return endpoint;
  }

  #onStart: (() => void) | undefined;

  /** The /dev/hidrawN node the kernel made (looked up in sysfs), if it could be found. */
  get hidraw(): string | undefined {
    this.#hidraw ??= findHidraw(this.phys);
    return this.#hidraw;
  }

  #event(ev: Uint8Array): void {
    if (ev.length < UHID_EVENT_HEADER.size) return;
    const { type } = UHID_EVENT_HEADER.decode(ev);
    const body = padTo(ev.subarray(UHID_EVENT_HEADER.size), UHID_EVENT_SIZE - UHID_EVENT_HEADER.size);
    switch (type) {
      case UHID.START:
        this.#started = true;
        this.#onStart?.();
        break;
      case UHID.OPEN:
      case UHID.CLOSE:
        this.#onEvent?.({ event: type === UHID.OPEN ? 'uhid_open' : 'uhid_close', ...(this.hidraw === undefined ? {} : { hidraw: this.hidraw }) });
        break;
      case UHID.OUTPUT: {
        const out = UHID_OUTPUT_REQ.decode(body);
        if (out.rtype !== UHID_REPORT_TYPE.OUTPUT || this.#closed) break;
        this.#device.receive(this.#report(out.data.subarray(0, Math.min(out.size, UHID_DATA_MAX))));
        break;
      }
      case UHID.GET_REPORT: {
        const req = UHID_GET_REPORT_REQ.decode(body);
        // Only report 0's input report exists (no report IDs); it is the last one sent.
        const ok = req.rtype === UHID_REPORT_TYPE.INPUT && req.rnum === 0;
        const data = ok ? this.#lastInput : new Uint8Array(0);
        this.#write(uhidEvent(UHID.GET_REPORT_REPLY, UHID_GET_REPORT_REPLY_REQ.encode({ id: req.id, err: ok ? 0 : EIO, size: data.length, data }), UHID_GET_REPORT_REPLY_REQ.offsetOf('data') + data.length));
        break;
      }
      case UHID.SET_REPORT: {
        const req = UHID_SET_REPORT_REQ.decode(body);
        const data = req.data.subarray(0, Math.min(req.size, UHID_DATA_MAX));
        const ok = req.rtype === UHID_REPORT_TYPE.OUTPUT && req.rnum === 0 && unnumbered(data, this.#outputSize).length <= this.#outputSize;
        if (ok && !this.#closed) this.#device.receive(this.#report(data));
        this.#write(uhidEvent(UHID.SET_REPORT_REPLY, UHID_SET_REPORT_REPLY_REQ.encode({ id: req.id, err: ok ? 0 : EIO })));
        break;
      }
      default:
        // UHID_STOP (after DESTROY) and future event types need nothing here.
        break;
    }
  }

  /** An output report as the firmware takes it: without the report number, padded to size. */
  #report(data: Uint8Array): Uint8Array {
    return padTo(unnumbered(data, this.#outputSize), this.#outputSize);
  }

  #input(report: Uint8Array): void {
    if (this.#closed || !this.#started) return;
    this.#lastInput = padTo(report, this.#inputSize);
    this.#write(uhidEvent(UHID.INPUT2, UHID_INPUT2_REQ.encode({ size: report.length, data: report }), UHID_INPUT2_REQ.offsetOf('data') + report.length));
  }

  #write(event: Uint8Array): void {
    try {
      writeSync(this.#fd, event);
    } catch {
      // The device is going away (DESTROY raced a reply): nothing to deliver to.
    }
  }

  /** UHID_DESTROY: the hidraw node disappears. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#shutdown(this.#started);
  }

  async #shutdown(started: boolean): Promise<void> {
    this.#closed = true;
    Atomics.store(this.#stopping, 0, 1);
    if (started) {
      this.#write(uhidEvent(UHID.DESTROY));
      // The kernel answers DESTROY with UHID_STOP, which ends the reader; wait a bounded time.
      // The timer is referenced: the reader thread is not, so with nothing else left (a `sim
      // --uhid` stopping on SIGTERM) an unreferenced wait would empty the event loop and Node
      // would exit 13 mid-close instead of finishing it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    }
    // A reader still blocked in read() (no START ever came) cannot be woken; its thread is
    // unreferenced, so it never keeps the process alive, and the file goes when the read ends.
    void this.#worker.terminate().catch(() => undefined);
    try {
      closeSync(this.#fd);
    } catch {
      // Already closed.
    }
  }
}

let nextId = 1;

/**
 * uhid hands output reports on as the HID core got them: from hidraw with the report number
 * first (0 for a device without numbered reports, as a FIDO key), from the kernel's own users
 * (the keyboard LEDs) without it. usbhid strips such a 0 before the wire; so does this.
 */
function unnumbered(data: Uint8Array, size: number): Uint8Array {
  return data.length === size + 1 && data[0] === 0 ? data.subarray(1) : data;
}

function padTo(data: Uint8Array, size: number): Uint8Array {
  if (data.length === size) return data;
  const out = new Uint8Array(size);
  out.set(data.subarray(0, size));
  return out;
}

/** /dev/hidrawN of the HID device whose HID_PHYS is `phys`, from /sys/class/hidraw. */
export function findHidraw(phys: string, sysfs = '/sys/class/hidraw'): string | undefined {
  let names: string[];
  try {
    names = readdirSync(sysfs);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      if (readFileSync(`${sysfs}/${name}/device/uevent`, 'utf8').split('\n').includes(`HID_PHYS=${phys}`)) return `/dev/${name}`;
    } catch {
      // A node that went away while we looked.
    }
  }
  return undefined;
}
