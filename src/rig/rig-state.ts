/**
 * What the rig's control API answers, as the server builds it and the dashboard reads it: a
 * device's state, the rig's summary and an event of the stream. Types only and no imports, so
 * the dashboard (browser code under ui/, its own tsconfig) imports these very declarations
 * (`import type`) and the two sides cannot drift apart. The OpenAPI document
 * (docs/rig-openapi.json) describes the same shapes for other clients.
 */

export type DeviceKind = 'otp' | 'fido' | 'key';
export type TouchMode = 'auto' | 'manual' | 'deny';
export type UvMode = 'none' | 'auto' | 'manual' | 'deny';
export type BatteryState = 'ok' | 'low' | 'dead';
/** A token's fault (the firmware's TokenFault, which rig-device.ts assigns to it). */
export type OtpFault = 'none' | 'battery-low' | 'battery-dead' | 'end-of-life';

/** What the device's clock runs on, and its crystal. */
export interface DeviceClockState {
  source: 'rig' | 'manual';
  /** The device's time now, ms since the epoch. */
  time_ms: number;
  offset_ms: number;
  drift_ppm: number;
}

/** A device as the API lists it and the dashboard draws it (snake_case, no secrets). */
export interface DeviceState {
  id: string;
  kind: DeviceKind;
  serial: string;
  profile: string;
  model: string;
  endpoints: Record<string, string>;
  clock: DeviceClockState;
  otp?: {
    type: 'totp' | 'hotp';
    digits: number;
    period: number;
    /** The code on the LCD, or null when it is blank. */
    display: string | null;
    /** How many more ms (device time) the LCD shows it. */
    display_remaining_ms: number;
    seconds_to_next_step: number;
    counter: number;
    battery: BatteryState;
    fault: OtpFault;
  };
  fido?: {
    aaguid: string;
    product: string;
    touch: { mode: TouchMode; pending: number };
    uv: { mode: UvMode; pending: number };
    credentials: number;
  };
}

/** `GET /api/rig`: the rig clock and how many devices of each kind. */
export interface RigInfo {
  clock: { time_ms: number; manual: boolean };
  devices: number;
  kinds: Partial<Record<DeviceKind, number>>;
}

/**
 * One event of `GET /api/events` (Server-Sent Events): a device's (with `device`, its id, and
 * its new `state`) or the rig's own (`clock_set` with `time_ms`), stamped when it was sent.
 */
export interface RigStreamEvent {
  event: string;
  timestamp: string;
  device?: string;
  state?: DeviceState;
  time_ms?: number;
  [field: string]: unknown;
}
