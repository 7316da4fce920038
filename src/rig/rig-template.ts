/**
 * The example rig `tokenrig rig --init FILE` writes: a few OTP tokens of different profiles,
 * a FIDO key and a composite key, every field explained. YAML with comments for a .yaml/.yml
 * name; JSON otherwise, where the explanations are `$comment` fields (JSON has no comments;
 * the rig file ignores `$comment` everywhere).
 */

const YAML_TEMPLATE = `# A tokenrig rig: many simulated devices in one process.
#   tokenrig rig rig.yaml --ui 0     # start it; the ready line names the api and ui URLs
# Reference: docs/rig.md. JSON works too (tokenrig rig --init rig.json).
version: 1

# The rig's shared clock. Leave it out for the system time; 'manual: true' stands it still
# until the API (POST /api/clock) or the dashboard moves it.
clock:
  start: "2026-01-01T00:00:00Z"
  manual: false

# stateDir: ./rig-state        # keep every device (seeds, counters, credentials, PINs) across runs

devices:
  # One AWS-style hardware TOTP token with a fixed serial, reachable over the vendor HID
  # interface on a free UDP port and a serial session over TCP.
  - kind: otp
    profile: aws-totp              # aws-totp, totp60, hotp
    serial: GAKT00000001
    endpoints:
      hid: udp:0                   # udp, udp:PORT or udp:0 (free ports)
      serialPort: tcp:0            # tcp:PORT, or pty (a real /dev/pts/N; needs socat)

  # Five 60-second tokens, serials counting up from FT0000000001, on the API only.
  - kind: otp
    profile: totp60
    count: 5
    serial: FT0000000001

  # An event (HOTP) token whose crystal runs 2 minutes fast and gains 50 ppm.
  - kind: otp
    profile: hotp
    clock:
      offset: 120                  # seconds ahead (negative: behind)
      drift: 50                    # ppm

  # A token with a manual clock of its own, and a low battery.
  - kind: otp
    clock:
      source: manual               # rig (default) or manual
      start: "2030-06-01T12:00:00Z"
    battery: low                   # ok, low, dead

  # Every token of a seed file (PSKC, Entra or privacyIDEA CSV, otpauth URIs):
  # - kind: otp
  #   seedFile: batch.pskc
  #   passwordFile: pw.txt

  # A FIDO2 key whose touches are approved in the dashboard or the API, with a PIN and a
  # fingerprint sensor that matches at once.
  - kind: fido
    name: desk-key
    personality: tokenrig          # the FIDO personality (which the build has: tokenrig --help)
    touch: manual                  # auto, manual, deny
    uv: auto                       # none (no sensor), auto, manual, deny
    pin: "123456"
    endpoints:
      hid: udp:0                   # FIDO over UDP: python-fido2, libfido2 tests, tokenrig fido

  # A composite key (YubiKey-like): FIDO, the OTP vendor interface and a keyboard that types
  # the code, one button.
  - kind: key
    profile: composite-key
`;

const JSON_TEMPLATE = {
  $comment: 'A tokenrig rig: many simulated devices in one process. Start it with: tokenrig rig rig.json --ui 0. Reference: docs/rig.md. $comment fields are ignored; a .yaml rig may have real comments (tokenrig rig --init rig.yaml).',
  version: 1,
  clock: { $comment: "The rig's shared clock: leave it out for the system time; manual: true stands it still until the API or the dashboard moves it.", start: '2026-01-01T00:00:00Z', manual: false },
  devices: [
    {
      $comment: 'An AWS-style hardware TOTP token with a fixed serial, on a free UDP port (vendor HID) and a TCP serial session. profile: aws-totp, totp60 or hotp.',
      kind: 'otp',
      profile: 'aws-totp',
      serial: 'GAKT00000001',
      endpoints: { hid: 'udp:0', serialPort: 'tcp:0' },
    },
    { $comment: 'Five 60-second tokens, serials counting up, on the API only.', kind: 'otp', profile: 'totp60', count: 5, serial: 'FT0000000001' },
    { $comment: 'An event (HOTP) token whose crystal runs 2 minutes fast and gains 50 ppm.', kind: 'otp', profile: 'hotp', clock: { offset: 120, drift: 50 } },
    { $comment: 'A token with a manual clock of its own and a low battery. Every token of a seed file: { "kind": "otp", "seedFile": "batch.pskc", "passwordFile": "pw.txt" }.', kind: 'otp', clock: { source: 'manual', start: '2030-06-01T12:00:00Z' }, battery: 'low' },
    {
      $comment: 'A FIDO2 key: touches approved in the dashboard or the API (touch: auto, manual, deny), a PIN, a fingerprint sensor (uv: none, auto, manual, deny), FIDO over UDP.',
      kind: 'fido',
      name: 'desk-key',
      personality: 'tokenrig',
      touch: 'manual',
      uv: 'auto',
      pin: '123456',
      endpoints: { hid: 'udp:0' },
    },
    { $comment: 'A composite key (YubiKey-like): FIDO, the OTP vendor interface and a keyboard that types the code, one button.', kind: 'key', profile: 'composite-key' },
  ],
};

/** The example rig for a file of this name. */
export function rigTemplate(fileName: string): string {
  return /\.ya?ml$/i.test(fileName) ? YAML_TEMPLATE : `${JSON.stringify(JSON_TEMPLATE, null, 2)}\n`;
}
