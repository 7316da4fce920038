/**
 * What every `tokenrig fido` command needs to reach a key: its flags (which key, which
 * protocol, how long to wait), the PIN as a secret input, the device spec (the one FIDO key
 * plugged in when none is given), and `withKey`, which opens the key, runs the command with it
 * and closes it.
 */
import { ClientPin } from '../../ctap/client-pin.js';
import { Ctap2 } from '../../ctap/ctap2.js';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { type ParsedArgs, intOpt, stringOpt } from '../args.js';
import type { CliIo } from '../cli-io.js';
import type { FlagTable } from '../command.js';
import { ctapStatusOf, explainFidoError } from '../fido-errors.js';
import { secretInput } from '../secret-input.js';
import { SIGNAL_EXIT_STATUS, type StopSignal, untilStopped } from '../signals.js';

/** The key's PIN: `--pin`, `--pin -` (stdin), `--pin-file FILE` or TOKENRIG_FIDO_PIN. */
export const PIN = secretInput('pin', { value: 'PIN', env: 'TOKENRIG_FIDO_PIN', help: "the key's PIN (needed when the relying party requires user verification)" });

/** The flags every fido command takes: which key, which protocol, how long to wait. */
export const DEVICE_FLAGS: FlagTable = {
  device: { type: 'string', value: 'SPEC', help: 'the key: udp:127.0.0.1:8111 (a simulator), hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID,\nusbip:HOST:PORT/BUSID, any spec a `tokenrig sim` ready line names; default: the one FIDO key plugged in' },
  protocol: { type: 'string', value: 'P', help: 'auto (default: CTAP2 when the key has it), ctap2 or u2f' },
  timeout: { type: 'string', value: 'MS', help: 'how long to wait for the key, touches included (default 35000)' },
};

/** The key to use: `spec`, or the only FIDO key node-hid sees (usage page 0xF1D0). */
async function pickDevice(spec: string | undefined): Promise<string> {
  if (spec !== undefined) return spec;
  const { discoverDevices } = await import('../../transports/discovery.js');
  const { devices, notes } = await discoverDevices();
  const keys = devices.filter((d) => d.role === 'fido');
  if (keys.length === 1) return keys[0]!.spec;
  if (keys.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no FIDO key found (usage page 0xF1D0)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}: give --device SPEC`);
  throw badInput(`${keys.length} FIDO keys found (${keys.map((k) => k.spec).join(', ')}): choose one with --device`);
}

/** What a command does with the key once it is open. */
export interface KeySession {
  device: CtapHidDevice;
  spec: string;
  /** Says "touch your key" once, when the key first asks. */
  onKeepalive: (status: number) => void;
  /** Aborted by Ctrl-C: the request is cancelled (CTAPHID_CANCEL). */
  signal: AbortSignal;
}

/**
 * Open the key `--device` names (or the one plugged in), run `body` with it, and close it:
 * Ctrl-C while the key waits for a touch cancels the request, so the key stops blinking, then
 * the command exits 130 like every other; a key's refusal is explained (fido-errors.ts), with
 * the tries left after a wrong PIN.
 */
export async function withKey(args: ParsedArgs, io: CliIo, command: string, body: (key: KeySession) => Promise<number>): Promise<number> {
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const spec = await pickDevice(stringOpt(args, 'device'));
  let device: CtapHidDevice;
  try {
    device = await CtapHidDevice.open(await openHidTransport(spec, { role: 'fido' }), { timeoutMs });
  } catch (e) {
    if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no FIDO key answered within ${timeoutMs} ms (is it plugged in, or the simulator running?)`, { cause: e });
    throw e;
  }
  const interrupt = new AbortController();
  const signals = untilStopped();
  let stoppedBy: StopSignal | undefined;
  void signals.stopped.then((signal) => {
    stoppedBy = signal;
    interrupt.abort();
    // A wait that cannot be cancelled (a key that does not answer at all) ends anyway.
    setTimeout(() => process.exit(SIGNAL_EXIT_STATUS[signal]), 2000).unref();
  });
  let prompted = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !prompted) {
      prompted = true;
      io.stderr.write('touch your key\n');
    }
  };
  try {
    return await body({ device, spec, onKeepalive, signal: interrupt.signal });
  } catch (e) {
    if (stoppedBy !== undefined) return SIGNAL_EXIT_STATUS[stoppedBy];
    // After a wrong PIN, the key can still say how many tries are left.
    const retries = ctapStatusOf(e) === 0x31 ? await pinRetries(device) : undefined;
    throw explainFidoError(e, { command, retries });
  } finally {
    signals.dispose();
    await device.close();
  }
}

async function pinRetries(device: CtapHidDevice): Promise<number | undefined> {
  try {
    return (await (await ClientPin.forAuthenticator(new Ctap2(device))).getRetries()).retries;
  } catch {
    return undefined;
  }
}
