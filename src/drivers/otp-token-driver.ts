/**
 * The host driver of an OTP token: identify it, press its button and read the code it shows,
 * over whichever interface the device has: the serial line protocol (docs/serial-protocol.md),
 * the vendor HID interface (docs/hid-otp-protocol.md) or the boot keyboard a composite key
 * types the code on. The driver knows only transports, never which simulator or device is on
 * the other side.
 *
 * @example
 * ```ts
 * const token = await openOtpTokenDriver('serial:/dev/pts/7');
 * const { serial } = await token.identify();
 * const code = await token.press();
 * await token.close();
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CtapHidDevice } from './ctaphid-device.js';
import { type RandomBytes, cryptoRandomBytes } from '../otp/secret.js';
import { DISPLAY_BLANK, type Identity, OTP_HID_CMD, OTP_HID_STATUS, otpHidStatusName, parseIdentity, parseSerialAnswer } from '../protocol/otp/index.js';
import { isHidSpec, openHidTransport, openSerialTransport, parseDeviceSpec } from '../transports/device-spec.js';
import type { HidTransport } from '../transports/hid-transport.js';
import type { SerialTransport } from '../transports/serial-transport.js';

export interface OtpTokenDriver {
  /** The spec of the transport underneath. */
  readonly spec: string;
  /** Which interface the driver talks to. */
  readonly via: 'serial' | 'vendor-hid';
  identify(): Promise<Identity>;
  /** Press the button; resolves with the code the display then shows. */
  press(): Promise<string>;
  /** What the display shows, without pressing; undefined when blank. */
  readDisplay(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface DriverOptions {
  /** Per-command timeout; default 2000 ms. */
  timeoutMs?: number;
}

function protocolError(spec: string, message: string): TokenrigError {
  return new TokenrigError(ErrorCode.PROTOCOL, `${spec}: ${message}`);
}

/** The serial-line driver: `*IDN?`, `PRESS`, `DISPLAY?`; `ERR` answers become DEVICE errors. */
export class SerialOtpTokenDriver implements OtpTokenDriver {
  readonly via = 'serial' as const;
  readonly #t: SerialTransport & { discardInput?(): void };
  readonly #timeoutMs: number;
  #synced = false;

  constructor(transport: SerialTransport, options: DriverOptions = {}) {
    this.#t = transport;
    this.#timeoutMs = options.timeoutMs ?? 2000;
  }

  get spec(): string {
    return this.#t.spec;
  }

  /**
   * A port may hold a previous client's half line (a pty does not tell the device that a
   * client left). Once per session: end any such line, then ask `*IDN?` and skip lines until
   * its answer, so every later command's first answer line is its own.
   */
  async #sync(): Promise<void> {
    if (this.#synced) return;
    this.#t.discardInput?.();
    await this.#t.write('\n*IDN?\n');
    const deadline = Date.now() + this.#timeoutMs;
    for (let i = 0; i < 4; i++) {
      const line = (await this.#t.readLine(this.#left(deadline))).trim();
      if (parseIdentity(line) !== undefined) {
        this.#synced = true;
        return;
      }
    }
    throw protocolError(this.spec, 'no *IDN? answer: is this an OTP token speaking docs/serial-protocol.md?');
  }

  /** Time left until `deadline`, or TIMEOUT: a device that keeps talking without answering must not hold us. */
  #left(deadline: number): number {
    const left = deadline - Date.now();
    if (left <= 0) throw new TokenrigError(ErrorCode.TIMEOUT, `${this.spec}: no answer within ${this.#timeoutMs} ms`);
    return left;
  }

  /** Send one command line, return its answer; throws DEVICE with the ERR code. */
  async command(line: string): Promise<string> {
    await this.#sync();
    // Answers nobody read (noise) are stale by now.
    this.#t.discardInput?.();
    await this.#t.write(`${line}\n`);
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const answer = await this.#t.readLine(this.#left(deadline));
      if (answer.trim() === '') continue;
      const parsed = parseSerialAnswer(answer.trim());
      if (!parsed.ok) throw new TokenrigError(ErrorCode.DEVICE, `${this.spec}: ERR ${parsed.code} ${parsed.message}`, { wireCode: parsed.code });
      return parsed.text;
    }
  }

  async identify(): Promise<Identity> {
    const text = await this.command('*IDN?');
    const id = parseIdentity(text);
    if (id === undefined) throw protocolError(this.spec, `*IDN? answered ${JSON.stringify(text.slice(0, 80))}, not manufacturer,model,serial,firmware`);
    return id;
  }

  async press(): Promise<string> {
    const code = await this.command('PRESS');
    if (!/^\d{6,10}$/.test(code)) throw protocolError(this.spec, `PRESS answered ${JSON.stringify(code.slice(0, 80))}, not a code`);
    return code;
  }

  async readDisplay(): Promise<string | undefined> {
    const shown = await this.command('DISPLAY?');
    return shown === DISPLAY_BLANK ? undefined : shown;
  }

  close(): Promise<void> {
    return this.#t.close();
  }
}

/**
 * The vendor-HID driver: a CtapHidDevice (INIT, framing, KEEPALIVE, busy retry) carries the
 * token's vendor commands 0x40..0x42; the channel is allocated on first use.
 */
export class HidOtpTokenDriver implements OtpTokenDriver {
  readonly via = 'vendor-hid' as const;
  readonly #t: HidTransport;
  readonly #timeoutMs: number;
  readonly #random: RandomBytes;
  #device: Promise<CtapHidDevice> | undefined;

  constructor(transport: HidTransport, options: DriverOptions & { random?: RandomBytes } = {}) {
    this.#t = transport;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#random = options.random ?? cryptoRandomBytes;
  }

  get spec(): string {
    return this.#t.spec;
  }

  async #vendor(cmd: number): Promise<{ status: number; text: string }> {
    this.#device ??= CtapHidDevice.open(this.#t, { timeoutMs: this.#timeoutMs, randomBytes: this.#random });
    let device: CtapHidDevice;
    try {
      device = await this.#device;
    } catch (e) {
      this.#device = undefined;
      throw e;
    }
    const data = await device.call(cmd, new Uint8Array(0));
    if (data.length === 0) throw protocolError(this.spec, `empty answer to vendor command 0x${cmd.toString(16)}`);
    return { status: data[0]!, text: String.fromCharCode(...data.subarray(1)) };
  }

  #check(r: { status: number; text: string }): string {
    if (r.status !== OTP_HID_STATUS.OK) throw new TokenrigError(ErrorCode.DEVICE, `${this.spec}: token status ${otpHidStatusName(r.status)}`, { wireCode: r.status });
    return r.text;
  }

  async identify(): Promise<Identity> {
    const text = this.#check(await this.#vendor(OTP_HID_CMD.IDENTIFY));
    const id = parseIdentity(text);
    if (id === undefined) throw protocolError(this.spec, `IDENTIFY answered ${JSON.stringify(text.slice(0, 80))}`);
    return id;
  }

  async press(): Promise<string> {
    const code = this.#check(await this.#vendor(OTP_HID_CMD.PRESS));
    if (!/^\d{6,10}$/.test(code)) throw protocolError(this.spec, `PRESS answered ${JSON.stringify(code.slice(0, 80))}, not a code`);
    return code;
  }

  async readDisplay(): Promise<string | undefined> {
    const r = await this.#vendor(OTP_HID_CMD.READ_DISPLAY);
    if (r.status === OTP_HID_STATUS.BLANK) return undefined;
    return this.#check(r);
  }

  close(): Promise<void> {
    return this.#t.close();
  }
}

/** HID Usage Tables §10: '1'..'9' are 0x1E..0x26, '0' is 0x27, Enter 0x28. */
function usageToChar(usage: number): string | undefined {
  if (usage >= 0x1e && usage <= 0x26) return String(usage - 0x1d);
  if (usage === 0x27) return '0';
  return undefined;
}

/**
 * Reads what a boot keyboard interface types (8-byte reports: modifiers, reserved, six keys)
 * until Enter. A key counts once when it first appears in a report (held keys repeat in
 * following reports). Non-digit keys are a PROTOCOL error: an OTP keyboard types digits only.
 */
export class KeyboardCodeReader {
  readonly #source: { read(timeoutMs?: number): Promise<Uint8Array> };

  constructor(source: { read(timeoutMs?: number): Promise<Uint8Array> }) {
    this.#source = source;
  }

  /** Wait for the next typed code (the user presses the key's button). */
  async readCode(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let held = new Set<number>();
    let code = '';
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new TokenrigError(ErrorCode.TIMEOUT, `no code typed within ${timeoutMs} ms`);
      const report = await this.#source.read(left);
      if (report.length < 8) throw new TokenrigError(ErrorCode.PROTOCOL, `keyboard report of ${report.length} bytes, expected 8`);
      const keys = new Set([...report.subarray(2, 8)].filter((k) => k !== 0));
      for (const k of keys) {
        if (held.has(k)) continue;
        if (k === 0x28) return code;
        const c = usageToChar(k);
        if (c === undefined) throw new TokenrigError(ErrorCode.PROTOCOL, `keyboard typed usage 0x${k.toString(16)}, not a digit`);
        code += c;
        if (code.length > 10) throw new TokenrigError(ErrorCode.PROTOCOL, 'keyboard typed more than 10 digits without Enter');
      }
      held = keys;
    }
  }
}

/** Open the driver for a device spec: serial:/tcp: use the line protocol, udp:/hid:/usb:/usbip: the vendor HID interface. */
export async function openOtpTokenDriver(spec: string, options: DriverOptions = {}): Promise<OtpTokenDriver> {
  const parsed = parseDeviceSpec(spec);
  if (isHidSpec(parsed)) return new HidOtpTokenDriver(await openHidTransport(parsed, { role: 'otp-vendor' }), options);
  return new SerialOtpTokenDriver(await openSerialTransport(parsed), options);
}
