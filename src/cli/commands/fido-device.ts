/**
 * What every `tokenrig fido` command needs to reach a key: its flags (which key, which
 * protocol, how long to wait), the PIN as a secret input, the device spec (the one FIDO key
 * plugged in when none is given) and the opened CTAPHID device.
 */
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { type ParsedArgs, intOpt, stringOpt } from '../args.js';
import type { FlagTable } from '../command.js';
import { secretInput } from '../secret-input.js';

/** The key's PIN: `--pin`, `--pin -` (stdin), `--pin-file FILE` or TOKENRIG_FIDO_PIN. */
export const PIN = secretInput('pin', { value: 'PIN', env: 'TOKENRIG_FIDO_PIN', help: "the key's PIN (needed when the relying party requires user verification)" });

/** The flags every fido command takes: which key, which protocol, how long to wait. */
export const DEVICE_FLAGS: FlagTable = {
  device: { type: 'string', value: 'SPEC', help: 'the key: udp:127.0.0.1:8111 (a simulator), hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID,\nany spec a `tokenrig sim` ready line names; default: the one FIDO key plugged in' },
  protocol: { type: 'string', value: 'P', help: 'auto (default: CTAP2 when the key has it), ctap2 or u2f' },
  timeout: { type: 'string', value: 'MS', help: 'how long to wait for the key, touches included (default 35000)' },
};

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

/** Open the key --device names (or the only one), waiting --timeout (default 35 s). */
export async function openFidoDevice(args: ParsedArgs): Promise<{ spec: string; device: CtapHidDevice; timeoutMs: number }> {
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const spec = await pickDevice(stringOpt(args, 'device'));
  try {
    return { spec, device: await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs }), timeoutMs };
  } catch (e) {
    if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no FIDO key answered within ${timeoutMs} ms (is it plugged in, or the simulator running?)`, { cause: e });
    throw e;
  }
}
