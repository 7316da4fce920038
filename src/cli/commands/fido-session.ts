/**
 * What every `tokenrig fido ...` command shares: the flags that name the key and how long to
 * wait, the PIN input, and `withFidoKey`, which opens the key, wires Ctrl-C to CTAPHID_CANCEL,
 * prompts for touches and explains a key's refusals. The command families (fido.ts,
 * fido-bio.ts) build on it.
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
  device: { type: 'string', value: 'SPEC', help: 'the key: udp:127.0.0.1:8111 (a simulator), hid:/dev/hidrawN, hid:VID:PID, usb:VID:PID,\nany spec a `tokenrig sim` ready line names; default: the one FIDO key plugged in' },
  protocol: { type: 'string', value: 'P', help: 'auto (default: CTAP2 when the key has it), ctap2 or u2f' },
  timeout: { type: 'string', value: 'MS', help: 'how long to wait for the key, touches included (default 35000)' },
};

export const TIMEOUT_EXAMPLE = ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

/** The device spec to use: `spec`, or the one FIDO key plugged in. */
async function pickDevice(spec: string | undefined): Promise<string> {
  if (spec !== undefined) return spec;
  const { discoverDevices } = await import('../../transports/discovery.js');
  const { devices, notes } = await discoverDevices();
  const keys = devices.filter((d) => d.role === 'fido');
  if (keys.length === 1) return keys[0]!.spec;
  if (keys.length === 0) throw new TokenrigError(ErrorCode.NOT_FOUND, `no FIDO key found (usage page 0xF1D0)${notes.length > 0 ? ` (${notes.join('; ')})` : ''}: give --device SPEC`);
  throw badInput(`${keys.length} FIDO keys found (${keys.map((k) => k.spec).join(', ')}): choose one with --device`);
}

/** What a fido command works with: the key, its spec, Ctrl-C as an abort, and a touch prompt for keepalives. */
export interface FidoSession {
  device: CtapHidDevice;
  spec: string;
  /** Aborted by Ctrl-C (or SIGTERM): pass it to calls, so the key gets CTAPHID_CANCEL and stops waiting. */
  signal: AbortSignal;
  /** Says "touch your key" on stderr the first time the key waits for the user (keepalive UPNEEDED). */
  onKeepalive: (status: number) => void;
}

/**
 * Open the key `--device` names (or the one plugged in), run `work` with it, and close it: a
 * key that does not answer is TIMEOUT, Ctrl-C cancels what the key waits for and exits 130, and
 * a key's refusal is explained (explainFidoError). Every fido command runs in one.
 */
export async function withFidoKey(name: string, args: ParsedArgs, io: CliIo, work: (session: FidoSession) => Promise<number>): Promise<number> {
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const spec = await pickDevice(stringOpt(args, 'device'));
  let device: CtapHidDevice;
  try {
    device = await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs });
  } catch (e) {
    if (e instanceof TokenrigError && e.code === ErrorCode.TIMEOUT) throw new TokenrigError(ErrorCode.TIMEOUT, `${spec}: no FIDO key answered within ${timeoutMs} ms (is it plugged in, or the simulator running?)`, { cause: e });
    throw e;
  }
  // Ctrl-C while the key waits for a touch cancels the request (CTAPHID_CANCEL), so the key
  // stops blinking, then the command exits 130 like every other.
  const interrupt = new AbortController();
  const signals = untilStopped();
  let stoppedBy: StopSignal | undefined;
  void signals.stopped.then((signal) => {
    stoppedBy = signal;
    interrupt.abort();
    // A wait that cannot be cancelled (a key that does not answer at all) ends anyway.
    setTimeout(() => process.exit(SIGNAL_EXIT_STATUS[signal]), 2000).unref();
  });
  const signal = interrupt.signal;
  let prompted = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !prompted) {
      prompted = true;
      io.stderr.write('touch your key\n');
    }
  };
  try {
    return await work({ device, spec, signal, onKeepalive });
  } catch (e) {
    if (stoppedBy !== undefined) return SIGNAL_EXIT_STATUS[stoppedBy];
    // After a wrong PIN, the key can still say how many tries are left.
    const retries = ctapStatusOf(e) === 0x31 ? await pinRetries(device) : undefined;
    throw explainFidoError(e, { command: name, retries });
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

