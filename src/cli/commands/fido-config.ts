/**
 * `tokenrig fido config`: a key's configuration (CTAP 2.1 §6.11 authenticatorConfig).
 *
 *   tokenrig fido config always-uv on|off [--pin PIN] [--device SPEC] [--json]
 *   tokenrig fido config min-pin-length [N] [--rp-id RPID]... [--force-change] [--pin PIN]
 *   tokenrig fido config enterprise-attestation enable [--pin PIN]
 *
 * A key with a PIN needs it; a key without one takes the change as it is (the spec allows it).
 */
import { Ctap2 } from '../../ctap/ctap2.js';
import { ConfigManager } from '../../ctap/config-manager.js';
import { badInput } from '../../errors.js';
import { flag, parseCommandArgs } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { KEY_OPTIONS, openFidoDevice, pinOption } from './fido-device.js';

const USAGE = `usage: tokenrig fido config COMMAND [--pin PIN] [--device SPEC] [--json]
  always-uv on|off                       require user verification (PIN) for everything; off turns it back
  min-pin-length [N] [--rp-id RPID]...   raise the minimum PIN length (it never goes down until reset);
        [--force-change]                 --rp-id: RPs that may read it (minPinLength extension);
                                         --force-change: the PIN must be changed before it is used again
  enterprise-attestation enable          let RPs the key or platform trusts get an enterprise attestation
options:
  --pin PIN          the key's PIN (or TOKENRIG_FIDO_PIN), needed once a PIN is set
  --device SPEC      udp:127.0.0.1:8111, hid:/dev/hidrawN, hid:VID:PID (default: the one FIDO key found)
  --timeout MS       how long to wait for the key (default 35000)
  --json             machine-readable output`;

const COMMANDS = ['always-uv', 'min-pin-length', 'enterprise-attestation'] as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { ...KEY_OPTIONS, 'rp-id': { type: 'string', multiple: true }, 'force-change': { type: 'boolean' } }, true);
  const [command, value, ...extra] = args.positionals;
  if (flag(args, 'help') || command === undefined) {
    printLine(io, USAGE);
    return command === undefined && !flag(args, 'help') ? 2 : 0;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) throw badInput(`unknown config command ${JSON.stringify(command)}: use ${COMMANDS.join(', ')}`);
  if (extra.length > 0) throw badInput(`unexpected argument ${JSON.stringify(extra[0])}`);
  const json = flag(args, 'json');
  const rpIds = (args.values['rp-id'] as string[] | undefined) ?? [];
  const force = flag(args, 'force-change');
  if (command !== 'min-pin-length' && (rpIds.length > 0 || force)) throw badInput('--rp-id and --force-change go with min-pin-length');
  // Everything the user typed is checked before the key is touched.
  let alwaysUv = false;
  let minPinLength: number | undefined;
  if (command === 'always-uv') {
    if (value !== 'on' && value !== 'off') throw badInput('use: tokenrig fido config always-uv on|off');
    alwaysUv = value === 'on';
  } else if (command === 'min-pin-length') {
    if (value !== undefined) {
      if (!/^\d{1,2}$/.test(value) || Number(value) < 4 || Number(value) > 63) throw badInput(`the minimum PIN length must be a whole number 4..63, got ${JSON.stringify(value)}`);
      minPinLength = Number(value);
    }
    if (value === undefined && rpIds.length === 0 && !force) throw badInput('give a length, --rp-id or --force-change');
  } else if (value !== undefined && value !== 'enable') {
    throw badInput('use: tokenrig fido config enterprise-attestation enable');
  }

  const pin = pinOption(args, io);
  const { spec, device } = await openFidoDevice(args);
  try {
    const config = await ConfigManager.open(new Ctap2(device), pin);
    switch (command) {
      case 'always-uv': {
        const on = await config.setAlwaysUv(alwaysUv);
        if (json) printJson(io, { device: spec, alwaysUv: on });
        else printLine(io, `alwaysUv ${on ? 'on: every operation needs the PIN' : 'off'}`);
        return 0;
      }
      case 'min-pin-length': {
        const r = await config.setMinPinLength({ ...(minPinLength === undefined ? {} : { minPinLength }), ...(rpIds.length === 0 ? {} : { rpIds }), forceChangePin: force });
        if (json) printJson(io, { device: spec, ...r, ...(rpIds.length === 0 ? {} : { minPinLengthRPIDs: rpIds }) });
        else printLine(io, `minimum PIN length ${r.minPINLength ?? '?'}${r.forcePINChange ? '; the PIN must be changed before it is used again (tokenrig fido pin change)' : ''}`);
        return 0;
      }
      default: {
        const ep = await config.enableEnterpriseAttestation();
        if (json) printJson(io, { device: spec, enterpriseAttestation: ep });
        else printLine(io, 'enterprise attestation enabled');
        return 0;
      }
    }
  } finally {
    await device.close();
  }
}
