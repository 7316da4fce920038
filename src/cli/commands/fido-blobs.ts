/**
 * `tokenrig fido blobs`: a credential's large blob on a FIDO key (CTAP 2.1 §6.10), read and
 * written the way a browser's largeBlob extension does it: a getAssertion with the
 * largeBlobKey extension gives the credential's key (a touch; the PIN too when writing to a
 * key that has one), then the encrypted large-blob array is read or rewritten.
 *
 *   tokenrig fido blobs get [--rp RPID [--credential ID] | --key HEX] [--out FILE] [--pin PIN] [--device SPEC] [--json]
 *   tokenrig fido blobs set (--rp RPID [--credential ID] | --key HEX) (--in FILE | --text TEXT | --delete) [--pin PIN] [--device SPEC] [--json]
 *
 * Without --rp or --key, `get` describes the array itself (size, entries, whether its check
 * holds) and needs no touch.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ClientPin, PERMISSION } from '../../ctap/client-pin.js';
import { Ctap2, type Ctap2Info } from '../../ctap/ctap2.js';
import { LargeBlobArray, type LargeBlobWriteAuth } from '../../ctap/large-blob-array.js';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { ErrorCode, TokenrigError, badInput } from '../../errors.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { largeBlobsWriteMessage } from '../../protocol/large-blob-array.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { fromBase64Url, toBase64Url } from '../../webauthn/base64url.js';
import { flag, intOpt, parseCommandArgs, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { pickDevice } from './fido.js';

export const BLOBS_USAGE = `usage: tokenrig fido blobs get|set [options]
  get                                  describe the large-blob array (size, entries, check)
  get --rp RPID [--credential ID]      print the blob of the RP's credential (raw bytes; --out FILE to save)
  set --rp RPID [--credential ID] --in FILE | --text TEXT | --delete
                                       replace (or delete) the credential's blob
options:
  --rp RPID          the credential's relying party; the key asks for a touch to hand over its largeBlobKey
  --credential ID    which credential (base64url), when the RP has several on the key
  --key HEX          the credential's largeBlobKey (32 bytes), instead of --rp: no touch
  --pin PIN          the key's PIN (or TOKENRIG_FIDO_PIN); needed to write when the key has one
  --device SPEC      udp:127.0.0.1:8111, hid:/dev/hidrawN, ... (default: the one FIDO key found)
  --timeout MS       how long to wait for the key, touches included (default 35000)
  --json             machine-readable output (the blob as base64url)`;

/** The largeBlobKey of the credential: given, or handed over by a getAssertion (§12.3). */
async function largeBlobKey(ctap2: Ctap2, info: Ctap2Info, args: { rpId: string; credential?: Uint8Array; pin?: string; write: boolean }, onKeepalive: (s: number) => void) {
  const random = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n));
  const clientDataHash = random(32);
  let pinUv: { params: { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number }; write: LargeBlobWriteAuth; token: Uint8Array } | undefined;
  if (info.options.clientPin === true && args.pin !== undefined) {
    const cp = await ClientPin.forAuthenticator(ctap2);
    // ga for the assertion; lbw for the write, which the assertion leaves in place (§6.2.2 step 9).
    const token = await cp.getPinUvAuthTokenUsingPinWithPermissions(args.pin, PERMISSION.ga | (args.write ? PERMISSION.lbw : 0), args.rpId);
    pinUv = {
      params: { pinUvAuthParam: cp.authenticate(token, clientDataHash), pinUvAuthProtocol: cp.protocol.version },
      write: (offset, fragment) => ({ pinUvAuthParam: cp.protocol.authenticate(token, largeBlobsWriteMessage(offset, fragment)), pinUvAuthProtocol: cp.protocol.version }),
      token,
    };
  }
  const got = await ctap2.getAssertion(
    {
      rpId: args.rpId,
      clientDataHash,
      ...(args.credential !== undefined ? { allowList: [{ type: 'public-key', id: args.credential }] } : {}),
      extensions: new Map([['largeBlobKey', true]]),
      ...(pinUv?.params ?? {}),
    },
    { onKeepalive },
  );
  if (args.credential === undefined && (got.numberOfCredentials ?? 1) > 1) {
    const all = [got];
    for (let i = 1; i < got.numberOfCredentials!; i++) all.push(await ctap2.getNextAssertion());
    const names = all.map((a) => `${toBase64Url(a.credential!.id)}${a.user?.name !== undefined ? ` (${a.user.name})` : ''}`);
    throw badInput(`${all.length} credentials for ${args.rpId} on this key: choose one with --credential ID (${names.join(', ')})`);
  }
  const credentialId = got.credential?.id ?? args.credential!;
  if (got.largeBlobKey === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, `the credential ${toBase64Url(credentialId)} has no largeBlobKey (it was made without the largeBlobKey extension)`);
  return { key: got.largeBlobKey, credentialId, write: pinUv?.write, dispose: () => pinUv?.token.fill(0) };
}

function hexKey(value: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw badInput('--key must be 64 hex digits (a 32-byte largeBlobKey)');
  return new Uint8Array(Buffer.from(value, 'hex'));
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      rp: { type: 'string' },
      credential: { type: 'string' },
      key: { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string' },
      text: { type: 'string' },
      delete: { type: 'boolean' },
      pin: { type: 'string' },
      device: { type: 'string' },
      timeout: { type: 'string' },
    },
    true,
  );
  const [action, ...extra] = args.positionals;
  if (flag(args, 'help') || action === undefined) {
    printLine(io, BLOBS_USAGE);
    return action === undefined && !flag(args, 'help') ? 2 : 0;
  }
  if (action !== 'get' && action !== 'set') throw badInput(`unknown fido blobs command ${JSON.stringify(action)}: use get or set`);
  if (extra.length > 0) throw badInput(`unexpected argument ${JSON.stringify(extra[0])}`);
  const json = flag(args, 'json');
  const rpId = stringOpt(args, 'rp');
  const keyHex = stringOpt(args, 'key');
  const credential = stringOpt(args, 'credential');
  const pin = stringOpt(args, 'pin') ?? io.env.TOKENRIG_FIDO_PIN;
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;

  // Everything the user typed is checked before the device is touched.
  if (rpId !== undefined && keyHex !== undefined) throw badInput('give --rp or --key, not both');
  if (credential !== undefined && rpId === undefined) throw badInput('--credential goes with --rp');
  const credentialId = credential === undefined ? undefined : fromBase64Url(credential, '--credential');
  const givenKey = keyHex === undefined ? undefined : hexKey(keyHex);
  let data: Uint8Array | undefined;
  if (action === 'set') {
    if (rpId === undefined && givenKey === undefined) throw badInput('set needs --rp RPID (or --key HEX)');
    const sources = ['in', 'text', 'delete'].filter((n) => args.values[n] !== undefined);
    if (sources.length !== 1) throw badInput('set needs exactly one of --in FILE, --text TEXT, --delete');
    if (stringOpt(args, 'in') !== undefined) {
      try {
        data = new Uint8Array(await readFile(stringOpt(args, 'in')!));
      } catch (e) {
        throw badInput(`cannot read --in ${stringOpt(args, 'in')}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
    } else if (stringOpt(args, 'text') !== undefined) {
      data = new TextEncoder().encode(stringOpt(args, 'text')!);
    }
  } else {
    for (const name of ['in', 'text', 'delete']) if (args.values[name] !== undefined) throw badInput(`--${name} is for set`);
  }

  const spec = await pickDevice(stringOpt(args, 'device'));
  const device = await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs });
  let prompted = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !prompted) {
      prompted = true;
      io.stderr.write('touch your key\n');
    }
  };
  try {
    const ctap2 = new Ctap2(device);
    const info = await ctap2.getInfo();
    if (info.options.largeBlobs !== true) throw new TokenrigError(ErrorCode.UNSUPPORTED, `${spec}: the key has no large blobs (getInfo option largeBlobs)`);
    const blobs = new LargeBlobArray(ctap2, info);
    if (action === 'get' && rpId === undefined && givenKey === undefined) {
      const contents = await blobs.read();
      if (json) printJson(io, { device: spec, size: contents.size, valid: contents.valid, entries: contents.entries.length, maxSerializedLargeBlobArray: info.maxSerializedLargeBlobArray ?? null });
      else printLine(io, `${spec}: large-blob array of ${contents.size} bytes${info.maxSerializedLargeBlobArray !== undefined ? ` (of ${info.maxSerializedLargeBlobArray})` : ''}, ${contents.entries.length} ${contents.entries.length === 1 ? 'entry' : 'entries'}${contents.valid ? '' : ', check FAILED (read as empty)'}`);
      return 0;
    }
    if (action === 'set' && info.options.clientPin === true && pin === undefined) throw badInput('the key has a PIN: give it (--pin or TOKENRIG_FIDO_PIN) to authorize the write');
    const found: { key: Uint8Array; credentialId: Uint8Array | undefined; write: LargeBlobWriteAuth | undefined; dispose: () => void } =
      givenKey !== undefined
        ? { key: givenKey, credentialId: undefined, write: undefined, dispose: () => {} }
        : await largeBlobKey(ctap2, info, { rpId: rpId!, ...(credentialId !== undefined ? { credential: credentialId } : {}), ...(pin !== undefined ? { pin } : {}), write: action === 'set' }, onKeepalive);
    try {
      const about = { device: spec, ...(rpId !== undefined ? { rpId } : {}), ...(found.credentialId !== undefined ? { credentialId: toBase64Url(found.credentialId) } : {}) };
      if (action === 'get') {
        const blob = await blobs.get(found.key);
        if (blob === undefined) throw new TokenrigError(ErrorCode.NOT_FOUND, `no large blob stored for ${found.credentialId !== undefined ? `credential ${toBase64Url(found.credentialId)}` : 'that key'}`);
        const out = stringOpt(args, 'out');
        if (out !== undefined) await writeFile(out, blob, { mode: 0o600 });
        if (json) printJson(io, { ...about, size: blob.length, ...(out !== undefined ? { out } : { blob: toBase64Url(blob) }) });
        else if (out !== undefined) printLine(io, `${blob.length} bytes written to ${out}`);
        else io.stdout.write(Buffer.from(blob));
        return 0;
      }
      if (givenKey !== undefined && info.options.clientPin === true) {
        // With only the key given, a write on a PIN-protected key needs a token of its own.
        const cp = await ClientPin.forAuthenticator(ctap2);
        const token = await cp.getPinUvAuthTokenUsingPinWithPermissions(pin!, PERMISSION.lbw);
        found.write = (offset, fragment) => ({ pinUvAuthParam: cp.protocol.authenticate(token, largeBlobsWriteMessage(offset, fragment)), pinUvAuthProtocol: cp.protocol.version });
      }
      const changed = await blobs.put(found.key, data, found.write);
      if (json) printJson(io, { ...about, ...(data === undefined ? { deleted: changed } : { written: data.length }) });
      else printLine(io, data === undefined ? (changed ? 'large blob deleted' : 'no large blob to delete') : `large blob written (${data.length} bytes)`);
      return 0;
    } finally {
      found.dispose();
    }
  } finally {
    await device.close();
  }
}
