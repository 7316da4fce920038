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
import { type ParsedArgs, flag, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import { DEVICE_FLAGS, PIN, withKey } from './fido-device.js';

type ConfigCommand = 'always-uv' | 'min-pin-length' | 'enterprise-attestation';

/** What the user asked for, checked before the key is touched. */
type Change = { kind: 'always-uv'; on: boolean } | { kind: 'min-pin-length'; minPinLength?: number; rpIds: string[]; force: boolean } | { kind: 'enterprise-attestation' };

function change(command: ConfigCommand, args: ParsedArgs): Change {
  const [value] = args.positionals;
  switch (command) {
    case 'always-uv':
      if (value !== 'on' && value !== 'off') throw badInput('use: tokenrig fido config always-uv on|off');
      return { kind: command, on: value === 'on' };
    case 'min-pin-length': {
      const rpIds = (args.values['rp-id'] as string[] | undefined) ?? [];
      const force = flag(args, 'force-change');
      if (value === undefined && rpIds.length === 0 && !force) throw badInput('give a length, --rp-id or --force-change');
      if (value === undefined) return { kind: command, rpIds, force };
      if (!/^\d{1,2}$/.test(value) || Number(value) < 4 || Number(value) > 63) throw badInput(`the minimum PIN length must be a whole number 4..63, got ${JSON.stringify(value)}`);
      return { kind: command, minPinLength: Number(value), rpIds, force };
    }
    case 'enterprise-attestation':
      if (value !== undefined && value !== 'enable') throw badInput('use: tokenrig fido config enterprise-attestation enable (it is turned off only by a reset)');
      return { kind: command };
  }
}

async function run(command: ConfigCommand, args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const wanted = change(command, args);
  return withKey(args, io, `config ${command}`, async ({ device, spec }) => {
    const config = await ConfigManager.open(new Ctap2(device), stringOpt(args, 'pin'));
    switch (wanted.kind) {
      case 'always-uv': {
        const on = await config.setAlwaysUv(wanted.on);
        if (json) printJson(io, { device: spec, alwaysUv: on });
        else printLine(io, `alwaysUv ${on ? 'on: every operation needs the PIN' : 'off'}`);
        return 0;
      }
      case 'min-pin-length': {
        const r = await config.setMinPinLength({ ...(wanted.minPinLength === undefined ? {} : { minPinLength: wanted.minPinLength }), ...(wanted.rpIds.length === 0 ? {} : { rpIds: wanted.rpIds }), forceChangePin: wanted.force });
        if (json) printJson(io, { device: spec, ...r, ...(wanted.rpIds.length === 0 ? {} : { minPinLengthRPIDs: wanted.rpIds }) });
        else printLine(io, `minimum PIN length ${r.minPINLength ?? '?'}${r.forcePINChange ? '; the PIN must be changed before it is used again (tokenrig fido pin change)' : ''}`);
        return 0;
      }
      case 'enterprise-attestation': {
        const ep = await config.enableEnterpriseAttestation();
        if (json) printJson(io, { device: spec, enterpriseAttestation: ep });
        else printLine(io, 'enterprise attestation enabled');
        return 0;
      }
    }
  });
}

const TIMEOUT_EXAMPLE = ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

function configCommand(command: ConfigCommand, spec: Omit<CommandSpec, 'run' | 'flags' | 'secrets'> & { flags?: FlagTable }): CommandSpec {
  return { ...spec, flags: { ...DEVICE_FLAGS, ...spec.flags }, secrets: [PIN], run: (args, io) => run(command, args, io) };
}

const PIN_NOTE = 'A key with a PIN needs it (--pin, --pin-file or TOKENRIG_FIDO_PIN); a key without one takes the\nchange as it is. A key without authenticatorConfig exits 10, and so does one protected by a finger\nalone (no uvAcfg, as on a YubiKey Bio): set a PIN first.';

/** `fido config ...`: joined to the fido family's table (fido.ts). */
export const commands: CommandTable = {
  'config always-uv': configCommand('always-uv', {
    summary: 'alwaysUv on|off: whether every operation needs user verification (CTAP 2.1 §6.11.2)',
    args: 'on|off',
    positionals: { min: 1, max: 1 },
    notes: [PIN_NOTE, 'While alwaysUv is on, the key also turns U2F off.'],
    examples: ['tokenrig fido config always-uv on --pin-file pin.txt'],
    exits: { BAD_INPUT: ['maybe'], TIMEOUT: ['on', ...TIMEOUT_EXAMPLE] },
  }),
  'config min-pin-length': configCommand('min-pin-length', {
    summary: 'raise the minimum PIN length, name RPs that may read it, force a PIN change (§6.11.4)',
    args: '[N]',
    positionals: { min: 0, max: 1 },
    flags: {
      'rp-id': { type: 'string', value: 'RPID', multiple: true, help: 'an RP that may read the minimum (minPinLength extension); repeat for more' },
      'force-change': { type: 'boolean', help: 'the PIN must be changed before it is used again' },
    },
    notes: [PIN_NOTE, 'The minimum only grows; a reset brings back the factory value. A PIN shorter than the new\nminimum must be changed (tokenrig fido pin change).'],
    examples: ['tokenrig fido config min-pin-length 8 --rp-id login.example --pin-file pin.txt'],
    exits: { BAD_INPUT: ['3'], TIMEOUT: ['6', ...TIMEOUT_EXAMPLE] },
  }),
  'config enterprise-attestation': configCommand('enterprise-attestation', {
    summary: 'enable enterprise attestation: RPs the key or platform trusts may get one (§6.11.1)',
    args: '[enable]',
    positionals: { min: 0, max: 1 },
    notes: [PIN_NOTE, 'Only a reset turns it off again.'],
    examples: ['tokenrig fido config enterprise-attestation enable --pin-file pin.txt'],
    exits: { BAD_INPUT: ['disable'], TIMEOUT: ['enable', ...TIMEOUT_EXAMPLE] },
  }),
};
