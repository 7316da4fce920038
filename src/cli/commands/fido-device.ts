/**
 * What every `tokenrig fido` sub-command needs to reach a key: the device spec (the one FIDO
 * key plugged in when none is given), the PIN from --pin or TOKENRIG_FIDO_PIN, and the opened
 * CTAPHID device.
 */
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { type ParsedArgs, intOpt, stringOpt } from '../args.js';
import type { CliIo } from '../cli-io.js';

/** The key to use: `spec`, or the only FIDO key node-hid sees (usage page 0xF1D0). */
export async function pickDevice(spec: string | undefined): Promise<string> {
  if (spec !== undefined) return spec;
  const { discoverDevices } = await import('../../transports/discovery.js');
  const { devices, notes } = await discoverDevices();
  const keys = devices.filter((d) => d.role === 'fido');
  if (keys.length === 1) return keys[0]!.spec;
  if (keys.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no FIDO key found (usage page 0xF1D0)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}: give --device SPEC`);
  throw badInput(`${keys.length} FIDO keys found (${keys.map((k) => k.spec).join(', ')}): choose one with --device`);
}

/** --pin, else TOKENRIG_FIDO_PIN (so scripts need not put the PIN on the command line). */
export function pinOption(args: ParsedArgs, io: CliIo): string | undefined {
  return stringOpt(args, 'pin') ?? io.env.TOKENRIG_FIDO_PIN;
}

/** Open the key named by --device (or the only one), with --timeout (default 35 s). */
export async function openFidoDevice(args: ParsedArgs): Promise<{ spec: string; device: CtapHidDevice }> {
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const spec = await pickDevice(stringOpt(args, 'device'));
  return { spec, device: await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs }) };
}

/** The options every key-management sub-command takes. */
export const KEY_OPTIONS = {
  device: { type: 'string' },
  pin: { type: 'string' },
  timeout: { type: 'string' },
} as const;
