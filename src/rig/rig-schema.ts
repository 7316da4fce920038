/**
 * The rig file's JSON Schema (draft 2020-12): one source for the rig file's validation, the
 * control API's "add devices" request body and the OpenAPI document (docs/rig-openapi.json),
 * so the three never disagree. Names (`serialPort`, `hid`) are the `tokenrig/sim` start
 * options; values the CLI's (`udp:0`, `tcp:4000`, `pty`).
 *
 * What a schema cannot say (a profile or personality name exists, an endpoint value parses,
 * a time parses) is checked where the rig starts a device, and the error names the same path.
 */

const COMMENT = { type: 'string', description: 'a comment: ignored' } as const;

/** A point in time: ISO 8601 (`2026-01-01T00:00:00Z`) or Unix seconds. */
export const TIME_SCHEMA = {
  description: 'a point in time: ISO 8601 (2026-01-01T00:00:00Z) or Unix seconds',
  type: ['string', 'number'],
} as const;

/** A device's clock: the rig's (default) or a manual one of its own, with its crystal's offset and drift. */
export const DEVICE_CLOCK_SCHEMA = {
  type: 'object',
  description: "the device's clock: `rig` (the rig's shared clock, default) or `manual` (its own, moved only by the API); its crystal runs `offset` seconds ahead and gains `drift` ppm",
  additionalProperties: false,
  properties: {
    $comment: COMMENT,
    source: { enum: ['rig', 'manual'], default: 'rig' },
    start: { ...TIME_SCHEMA, description: 'source manual: where its own clock starts (default: the rig clock now)' },
    offset: { type: 'number', description: 'seconds ahead (negative: behind)', default: 0 },
    drift: { type: 'number', minimum: -999999, maximum: 999999, description: 'parts per million gained (negative: lost)', default: 0 },
  },
} as const;

/** Endpoints by their `tokenrig/sim` option name; further kinds (usbip, uhid) are further names. */
export const ENDPOINTS_SCHEMA = {
  type: 'object',
  description: 'the endpoints that make the device reachable, named as tokenrig/sim start options; none: the API and dashboard only',
  properties: {
    $comment: COMMENT,
    serialPort: { type: 'string', description: 'pty (a real /dev/pts/N, needs socat) or tcp:PORT (0: any free port)', examples: ['pty', 'tcp:0'] },
    hid: { type: 'string', description: 'every HID interface over UDP, one report per datagram: udp, udp:PORT (counting up), udp:0 (free ports)', examples: ['udp:0'] },
  },
  additionalProperties: { type: ['string', 'integer', 'boolean'], description: 'a further endpoint kind of tokenrig/sim, with the value its option takes (e.g. usbip: rig (the shared USB/IP server of the rig) or a TCP port of its own, uhid: true, where the build has them)' },
} as const;

const COMMON = {
  $comment: COMMENT,
  count: { type: 'integer', minimum: 1, maximum: 100000, description: 'make this many alike (serials or names numbered); default 1' },
  endpoints: ENDPOINTS_SCHEMA,
  clock: DEVICE_CLOCK_SCHEMA,
} as const;

const OTP = {
  profile: { type: 'string', description: 'a device profile with an OTP interface (aws-totp, totp60, hotp); default aws-totp' },
  serial: { type: 'string', minLength: 1, maxLength: 32, description: "the serial number (with count: the first; the rest count up); default random in the profile's format" },
  secret: { type: 'string', minLength: 16, description: 'the seed, Base32 (only with count 1); default random' },
  seedFile: { type: 'string', description: 'every token of this seed file (PSKC, Entra or privacyIDEA CSV, otpauth URIs), relative to the rig file' },
  password: { type: 'string', description: 'the password of an encrypted PSKC seedFile' },
  passwordFile: { type: 'string', description: 'a file holding it (relative to the rig file)' },
  key: { type: 'string', pattern: '^[0-9a-fA-F]{32}$', description: 'the pre-shared AES key of an encrypted PSKC seedFile, hex' },
  battery: { enum: ['ok', 'low', 'dead'], description: 'start with this battery (low: still works; dead: refuses presses)', default: 'ok' },
} as const;

const FIDO = {
  name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,32}$', description: 'its id in the rig (with count: numbered name-1, name-2, ...); default fido-N (a composite key: its serial)' },
  personality: { type: 'string', description: 'a FIDO personality (tokenrig, and those the build has); default: the profile\'s' },
  aaguid: { type: 'string', pattern: '^[0-9a-fA-F]{32}$', description: 'override the AAGUID' },
  touch: { enum: ['auto', 'manual', 'deny'], default: 'auto', description: 'user presence: auto (granted), manual (approved in the API or dashboard), deny' },
  uv: { enum: ['none', 'auto', 'manual', 'deny'], default: 'none', description: 'the rig\'s finger on the key\'s fingerprint sensor: none, auto, manual (approved in the API or dashboard), deny; on a personality with a sensor (yubikey-bio) it is enrolled and reported in getInfo' },
  pin: { type: 'string', minLength: 4, maxLength: 63, description: 'set this PIN when the key starts (a key with a state keeps its own)' },
} as const;

/** One entry of `devices`: an OTP token, a FIDO key or a composite key, by `kind`. */
export const DEVICE_ENTRY_SCHEMA = {
  type: 'object',
  description: 'one device (or count alike) of the rig, by kind',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      title: 'OTP token',
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: { kind: { const: 'otp' }, ...COMMON, ...OTP },
    },
    {
      title: 'FIDO key',
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: { kind: { const: 'fido' }, ...COMMON, ...FIDO, profile: { type: 'string', description: 'a device profile with a FIDO interface (its USB identity and interfaces); default: the plain FIDO key' } },
    },
    {
      title: 'composite key',
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'key' },
        ...COMMON,
        ...FIDO,
        profile: { type: 'string', description: 'a device profile with FIDO and OTP interfaces; default composite-key' },
        serial: OTP.serial,
        secret: OTP.secret,
        battery: OTP.battery,
      },
    },
  ],
} as const;

/** The rig's own clock. */
export const RIG_CLOCK_SCHEMA = {
  type: 'object',
  description: "the rig's shared clock: the system time unless `start` sets it; `manual` stops it (it moves only by the API)",
  additionalProperties: false,
  properties: {
    $comment: COMMENT,
    start: { ...TIME_SCHEMA, description: 'the time the rig clock starts at (default: now)' },
    manual: { type: 'boolean', default: false, description: 'the clock stands still until the API sets or advances it' },
  },
} as const;

/** The whole rig file. */
export const RIG_FILE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://tokenrig.dev/schemas/rig.json',
  title: 'tokenrig rig file',
  type: 'object',
  required: ['devices'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    $comment: COMMENT,
    version: { const: 1, description: 'the rig file format (1)' },
    clock: RIG_CLOCK_SCHEMA,
    host: { type: 'string', description: 'the address device endpoints bind (default 127.0.0.1)' },
    usbip: { type: 'integer', minimum: 0, maximum: 65535, description: "the rig's one USB/IP server on host:PORT (0: any free port; 3240 is the USB/IP port); a device with endpoints usbip: rig is exported on it under its own bus id" },
    stateDir: { type: 'string', description: 'keep every device in its own folder here (entry-N), files 0600; default in memory' },
    devices: { type: 'array', items: DEVICE_ENTRY_SCHEMA, description: 'the devices, in order' },
  },
} as const;
