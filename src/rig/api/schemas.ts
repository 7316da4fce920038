/**
 * JSON Schemas of the control API's responses and request bodies (the rig file's device
 * entry comes from rig-schema.ts). The OpenAPI document is built from these and the routes.
 */
import { DEVICE_ENTRY_SCHEMA, TIME_SCHEMA } from '../rig-schema.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` }) as const;

export const SCHEMAS = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'the tokenrig error code (BAD_INPUT, NOT_FOUND, UNSUPPORTED, DEVICE, UNAUTHORIZED, ...)' },
          message: { type: 'string', description: 'one line, naming the field at fault' },
        },
      },
    },
  },
  DeviceState: {
    type: 'object',
    description: 'a device as the dashboard draws it; never its secret',
    required: ['id', 'kind', 'serial', 'profile', 'model', 'endpoints', 'clock'],
    properties: {
      id: { type: 'string', description: "its id in the rig: a token's serial, a FIDO key's name" },
      kind: { enum: ['otp', 'fido', 'key'] },
      serial: { type: 'string' },
      profile: { type: 'string' },
      model: { type: 'string' },
      endpoints: { type: 'object', additionalProperties: { type: 'string' }, description: 'device specs by name (hid, serial, otp, fido, keyboard, ...)' },
      clock: ref('DeviceClock'),
      otp: {
        type: 'object',
        properties: {
          type: { enum: ['totp', 'hotp'] },
          digits: { type: 'integer' },
          period: { type: 'integer', description: 'TOTP step in seconds (0 for HOTP)' },
          display: { type: ['string', 'null'], description: 'the code on the LCD; null when it is blank' },
          display_remaining_ms: { type: 'number' },
          seconds_to_next_step: { type: 'integer' },
          counter: { type: 'integer', description: 'HOTP: the counter the next press uses' },
          battery: { enum: ['ok', 'low', 'dead'] },
          fault: { enum: ['none', 'battery-low', 'battery-dead', 'end-of-life'] },
        },
      },
      fido: {
        type: 'object',
        properties: {
          aaguid: { type: 'string' },
          product: { type: 'string' },
          touch: { type: 'object', properties: { mode: { enum: ['auto', 'manual', 'deny'] }, pending: { type: 'integer' } } },
          uv: { type: 'object', properties: { mode: { enum: ['none', 'auto', 'manual', 'deny'] }, pending: { type: 'integer' } } },
          credentials: { type: 'integer', description: 'discoverable credentials held' },
        },
      },
    },
  },
  DeviceClock: {
    type: 'object',
    properties: {
      source: { enum: ['rig', 'manual'] },
      time_ms: { type: 'number', description: "the device's time, ms since the epoch" },
      offset_ms: { type: 'number' },
      drift_ppm: { type: 'number' },
    },
  },
  RigClock: {
    type: 'object',
    properties: { time_ms: { type: 'number' }, manual: { type: 'boolean' } },
  },
  DeviceEntry: DEVICE_ENTRY_SCHEMA,
  Credential: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'credential ID, base64url' },
      rp_id: { type: 'string' },
      user_id: { type: 'string', description: 'user handle, base64url' },
      user_name: { type: 'string' },
      display_name: { type: 'string' },
      created: { type: 'string', format: 'date-time' },
    },
  },
} as const;

/** Request bodies (checked with the rig file's validator; errors name `body.FIELD`). */
export const BODIES = {
  clockDevice: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      set: { ...TIME_SCHEMA, description: 'set the time' },
      advance: { type: 'number', description: 'move the time by this many seconds (negative: back)' },
      drift: { type: 'number', minimum: -999999, maximum: 999999, description: "the crystal's rate error from now on, ppm" },
    },
  },
  clockAll: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      set: { ...TIME_SCHEMA, description: 'set the rig clock (devices with a manual clock move by as much)' },
      advance: { type: 'number', description: 'move every clock by this many seconds' },
    },
  },
  fault: {
    type: 'object',
    additionalProperties: false,
    required: ['fault'],
    properties: { fault: { enum: ['none', 'battery-low', 'battery-dead', 'end-of-life'] } },
  },
  answer: {
    type: 'object',
    additionalProperties: false,
    required: ['action'],
    properties: { action: { enum: ['approve', 'deny'] } },
  },
  modes: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: { touch: { enum: ['auto', 'manual', 'deny'] }, uv: { enum: ['none', 'auto', 'manual', 'deny'] } },
  },
  seed: {
    type: 'object',
    additionalProperties: false,
    required: ['reveal'],
    properties: { reveal: { const: true, description: 'say so explicitly: the answer holds the secret' }, qr: { type: 'boolean', description: 'also a QR code PNG of the URI (data: URL)' } },
  },
} as const;

export { ref };
