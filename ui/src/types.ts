/** What the control API answers (docs/rig-openapi.json), as the dashboard reads it. */
export interface DeviceState {
  id: string;
  kind: 'otp' | 'fido' | 'key';
  serial: string;
  profile: string;
  model: string;
  endpoints: Record<string, string>;
  clock: { source: 'rig' | 'manual'; time_ms: number; offset_ms: number; drift_ppm: number };
  otp?: {
    type: 'totp' | 'hotp';
    digits: number;
    period: number;
    display: string | null;
    display_remaining_ms: number;
    seconds_to_next_step: number;
    counter: number;
    battery: 'ok' | 'low' | 'dead';
    fault: string;
  };
  fido?: {
    aaguid: string;
    product: string;
    touch: { mode: 'auto' | 'manual' | 'deny'; pending: number };
    uv: { mode: 'none' | 'auto' | 'manual' | 'deny'; pending: number };
    credentials: number;
  };
}

export interface RigInfo {
  clock: { time_ms: number; manual: boolean };
  devices: number;
  kinds: Record<string, number>;
}

export interface RigEvent {
  event: string;
  device?: string;
  state?: DeviceState;
  time_ms?: number;
  [field: string]: unknown;
}
