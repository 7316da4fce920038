/**
 * A client of a running rig's control API (docs/rig-openapi.json), for test code in another
 * process than the rig (`tokenrig rig rig.json --json` prints the api URL and the token).
 * Its devices answer as a `RigDevice` in the rig's own process does: `code()` to fill in a
 * form, `answerTouch()`, clocks, and `openCtapHid()` over the key's HID endpoint, so the
 * Playwright bridge takes either.
 *
 * @example
 * ```ts
 * const rig = await RigClient.connect(ready.api, ready.token);
 * await page.fill('#code', await rig.device('GAKT00000001').code());
 * await rig.advance(30);
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CtapHidDevice } from '../drivers/ctaphid-device.js';
import { openHidTransport } from '../transports/device-spec.js';
import type { DeviceClockState, DeviceState } from './rig-state.js';

const CODES = new Set<string>(Object.values(ErrorCode));

export class RigClient {
  readonly apiUrl: string;
  readonly #token: string;

  private constructor(apiUrl: string, token: string) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.#token = token;
  }

  /** Connect and check the token (UNAUTHORIZED answers become REJECTED). */
  static async connect(apiUrl: string, token: string): Promise<RigClient> {
    const client = new RigClient(apiUrl, token);
    await client.call('GET', '/rig');
    return client;
  }

  /** One API call; an error answer becomes a TokenrigError with the API's code and message. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new TokenrigError(ErrorCode.CLOSED, `${this.apiUrl}: ${(e as Error).message}`, { cause: e });
    }
    const json = (await res.json().catch(() => ({}))) as T & { error?: { code: string; message: string } };
    if (!res.ok) {
      const code = json.error?.code;
      throw new TokenrigError(code !== undefined && CODES.has(code) ? (code as ErrorCode) : res.status === 401 ? ErrorCode.REJECTED : ErrorCode.DEVICE, json.error?.message ?? `HTTP ${res.status}`, { wireCode: res.status });
    }
    return json;
  }

  /** The devices, searched and paged as the API does (`q`, `kind`, `offset`, `limit`). */
  async list(query: { q?: string; kind?: 'otp' | 'fido' | 'key'; offset?: number; limit?: number } = {}): Promise<{ total: number; devices: DeviceState[] }> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) p.set(k, String(v));
    return this.call('GET', `/devices${p.size === 0 ? '' : `?${p}`}`);
  }

  device(id: string): RemoteRigDevice {
    return new RemoteRigDevice(this, id);
  }

  /** Set every clock of the rig (ms since the epoch, or an ISO time). */
  setTime(time: number | string): Promise<{ time_ms: number; manual: boolean }> {
    return this.call('POST', '/clock', { set: typeof time === 'number' ? time / 1000 : time });
  }

  /** Move every clock of the rig by `seconds`. */
  advance(seconds: number): Promise<{ time_ms: number; manual: boolean }> {
    return this.call('POST', '/clock', { advance: seconds });
  }
}

/** A device of a rig reached over its control API. */
export class RemoteRigDevice {
  readonly id: string;
  readonly #rig: RigClient;

  constructor(rig: RigClient, id: string) {
    this.#rig = rig;
    this.id = id;
  }

  get #path(): string {
    return `/devices/${encodeURIComponent(this.id)}`;
  }

  state(): Promise<DeviceState> {
    return this.#rig.call('GET', this.#path);
  }

  /** Press the button: the code its LCD then shows. */
  async press(): Promise<string> {
    return (await this.#rig.call<{ code: string }>('POST', `${this.#path}/press`)).code;
  }

  /** The code to type into a form (the button pressed, the LCD read). */
  code(): Promise<string> {
    return this.press();
  }

  /** Approve (`true`) or deny the touch the key waits for; how many requests were waiting. */
  async answerTouch(approve: boolean): Promise<number> {
    return (await this.#rig.call<{ answered: number }>('POST', `${this.#path}/touch`, { action: approve ? 'approve' : 'deny' })).answered;
  }

  /** Approve (a matching finger) or deny the verification the key waits for. */
  async answerUv(approve: boolean): Promise<number> {
    return (await this.#rig.call<{ answered: number }>('POST', `${this.#path}/uv`, { action: approve ? 'approve' : 'deny' })).answered;
  }

  /** Set (ISO time or seconds since the epoch), advance (seconds) or drift (ppm) this device's clock alone. */
  clock(change: { set?: string | number; advance?: number; drift?: number }): Promise<DeviceClockState> {
    return this.#rig.call('POST', `${this.#path}/clock`, change);
  }

  /** A CTAPHID connection to the key through its HID endpoint (a rig key needs one: `endpoints: { hid: ... }`). */
  async openCtapHid(): Promise<CtapHidDevice> {
    const state = await this.state();
    if (state.fido === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id} is an OTP token: it has no FIDO key`);
    const spec = state.endpoints.fido ?? state.endpoints.hid;
    if (spec === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${this.id} has no HID endpoint another process can reach: give it one in the rig file (endpoints: { hid: "udp:0" })`);
    return CtapHidDevice.open(await openHidTransport(spec));
  }
}
