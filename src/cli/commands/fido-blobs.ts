/**
 * `tokenrig fido blobs get|set`: a credential's large blob on a FIDO key (CTAP 2.1 §6.10), read
 * and written the way a browser's largeBlob extension does it: a getAssertion with the
 * largeBlobKey extension gives the credential's key (a touch; the PIN too when writing to a key
 * that has one), then the encrypted large-blob array is read or rewritten.
 *
 *   tokenrig fido blobs get [--rp RPID [--credential ID] | --key HEX] [--out FILE] [--pin PIN] [--device SPEC] [--json]
 *   tokenrig fido blobs set (--rp RPID [--credential ID] | --key HEX) (--in FILE | --text TEXT | --delete) [--pin PIN] [--device SPEC] [--json]
 *
 * Without --rp or --key, `get` describes the array itself (size, entries, whether its check
 * holds) and needs no touch. The commands join the `fido` family's table (fido.ts) through
 * `blobsCommands`, which hands them the family's device flags, PIN input and device picker.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ClientPin, PERMISSION } from '../../ctap/client-pin.js';
import { Ctap2, type Ctap2Info } from '../../ctap/ctap2.js';
import { LargeBlobArray, type LargeBlobWriteAuth } from '../../ctap/large-blob-array.js';
import { ErrorCode, TokenrigError, badFile, badInput } from '../../errors.js';
import { largeBlobsWriteMessage } from '../../protocol/large-blob-array.js';
import { fromBase64Url, toBase64Url } from '../../webauthn/base64url.js';
import { type ParsedArgs, flag, intOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandTable, FlagTable } from '../command.js';
import type { SecretInput } from '../secret-input.js';
import type { KeySession } from './fido-device.js';

/** What the fido family (fido.ts) shares with these commands. */
export interface FidoFamilyParts {
  /** --device, --protocol, --timeout. */
  deviceFlags: FlagTable;
  /** The key's PIN (--pin, --pin-file, TOKENRIG_FIDO_PIN). */
  pin: SecretInput;
  /** Open the key, run the command with it, close it (touch prompt, Ctrl-C, errors explained). */
  withKey(args: ParsedArgs, io: CliIo, command: string, body: (key: KeySession) => Promise<number>): Promise<number>;
}

const CREDENTIAL_FLAGS: FlagTable = {
  rp: { type: 'string', value: 'RPID', help: "the credential's relying party ID; the key asks for a touch to hand over the credential's largeBlobKey" },
  credential: { type: 'string', value: 'ID', help: 'which credential (base64url), when the RP has several on the key (the error lists them)' },
  key: { type: 'string', value: 'HEX', help: "the credential's largeBlobKey itself (64 hex digits), instead of --rp: no touch" },
};

/** The largeBlobKey of the credential: given, or handed over by a getAssertion (§12.3). */
async function largeBlobKey(ctap2: Ctap2, info: Ctap2Info, args: { rpId: string; credential?: Uint8Array; pin?: string; write: boolean }, call: Pick<KeySession, 'onKeepalive' | 'signal'>) {
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
    { onKeepalive: call.onKeepalive, signal: call.signal },
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

/** The bytes of --in FILE (`-`: stdin): a missing file is NOT_FOUND, an unreadable one BAD_FILE, as every command reads files. */
async function readBytes(path: string, io: CliIo): Promise<Uint8Array> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TokenrigError(ErrorCode.NOT_FOUND, `--in ${path}: no such file`, { cause: e });
    throw badFile(`--in ${path}: cannot read it (${code ?? (e as Error).message})`, e);
  }
}

async function run(action: 'get' | 'set', parts: FidoFamilyParts, args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const rpId = stringOpt(args, 'rp');
  const keyHex = stringOpt(args, 'key');
  const credential = stringOpt(args, 'credential');
  const pin = stringOpt(args, 'pin');

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
    if (stringOpt(args, 'in') !== undefined) data = await readBytes(stringOpt(args, 'in')!, io);
    else if (stringOpt(args, 'text') !== undefined) data = new TextEncoder().encode(stringOpt(args, 'text')!);
  }

  intOpt(args, 'timeout', 1, 600_000); // checked before the device is touched, like everything else
  const out = stringOpt(args, 'out');
  return parts.withKey(args, io, `blobs ${action}`, (key) => blobs(action, { ...key, json, rpId, credentialId, givenKey, pin, data, out }, io));
}

interface BlobsRequest extends KeySession {
  json: boolean;
  rpId: string | undefined;
  credentialId: Uint8Array | undefined;
  givenKey: Uint8Array | undefined;
  pin: string | undefined;
  data: Uint8Array | undefined;
  out: string | undefined;
}

async function blobs(action: 'get' | 'set', r: BlobsRequest, io: CliIo): Promise<number> {
  const { device, spec, json, rpId, credentialId, givenKey, pin, data } = r;
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
  if (action === 'set' && info.options.clientPin === true && pin === undefined) throw badInput('the key has a PIN: give it (--pin, --pin-file or TOKENRIG_FIDO_PIN) to authorize the write');
  const found: { key: Uint8Array; credentialId: Uint8Array | undefined; write: LargeBlobWriteAuth | undefined; dispose: () => void } =
    givenKey !== undefined
      ? { key: givenKey, credentialId: undefined, write: undefined, dispose: () => {} }
      : await largeBlobKey(ctap2, info, { rpId: rpId!, ...(credentialId !== undefined ? { credential: credentialId } : {}), ...(pin !== undefined ? { pin } : {}), write: action === 'set' }, r);
  try {
    const about = { device: spec, ...(rpId !== undefined ? { rpId } : {}), ...(found.credentialId !== undefined ? { credentialId: toBase64Url(found.credentialId) } : {}) };
    if (action === 'get') {
      const blob = await blobs.get(found.key);
      if (blob === undefined) throw new TokenrigError(ErrorCode.NOT_FOUND, `no large blob stored for ${found.credentialId !== undefined ? `credential ${toBase64Url(found.credentialId)}` : 'that key'}`);
      const out = r.out;
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
}

/** The `blobs get` and `blobs set` entries of the fido family's table. */
export function blobsCommands(parts: FidoFamilyParts): CommandTable {
  const flags = (own: FlagTable): FlagTable => ({ ...parts.deviceFlags, ...CREDENTIAL_FLAGS, ...own });
  return {
    'blobs get': {
      summary: "print a credential's large blob (or, without --rp/--key, describe the large-blob array)",
      flags: flags({ out: { type: 'string', value: 'FILE', help: 'write the blob to FILE (mode 0600) instead of stdout' } }),
      secrets: [parts.pin],
      notes: ['The blob is printed as it is (raw bytes); with --json as base64url. docs/fido-host.md explains large blobs.'],
      examples: ['tokenrig fido blobs get --rp rp.example > blob.bin', 'tokenrig fido blobs get --json'],
      exits: {
        BAD_INPUT: ['--rp', 'rp.example', '--key', 'ab'],
        NOT_FOUND: ['--rp', 'nobody.example', '--device', '{fido-with-pin}'],
        TIMEOUT: ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'],
      },
      run: (args, io) => run('get', parts, args, io),
    },
    'blobs set': {
      summary: "replace (or delete) a credential's large blob; a key with a PIN needs it",
      flags: flags({
        in: { type: 'string', value: 'FILE', help: 'the blob: the bytes of FILE (- for stdin)' },
        text: { type: 'string', value: 'TEXT', help: 'the blob: TEXT in UTF-8' },
        delete: { type: 'boolean', help: "delete the credential's blob" },
      }),
      secrets: [parts.pin],
      examples: ["tokenrig fido blobs set --rp rp.example --text 'hello' --pin-file pin.txt", 'tokenrig fido blobs set --rp rp.example --delete'],
      exits: {
        BAD_INPUT: ['--rp', 'rp.example', '--text', 'x', '--device', '{fido-with-pin}'],
        NOT_FOUND: ['--rp', 'rp.example', '--in', '{tmp}/missing.bin'],
        TIMEOUT: ['--rp', 'rp.example', '--text', 'x', '--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'],
      },
      run: (args, io) => run('set', parts, args, io),
    },
  };
}
