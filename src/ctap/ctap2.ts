/**
 * CTAP2 over a CTAPHID device (CTAP 2.1 §6): one typed method per authenticator command.
 * Strict about what comes back: the response must be CTAP2 canonical CBOR, or the call fails
 * with PROTOCOL. A non-zero status becomes `TokenrigError` DEVICE whose `wireCode` is the
 * status byte and whose message carries the spec's name (`CTAP2_ERR_PIN_INVALID`).
 *
 * @example
 * ```ts
 * const ctap2 = new Ctap2(await CtapHidDevice.open(transport));
 * const info = await ctap2.getInfo();
 * const made = await ctap2.makeCredential({ clientDataHash, rp: { id: 'example.com' }, user: { id }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] });
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { type CborValue, decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { CTAP2_CMD, ctap2StatusName } from '../protocol/ctap-status.js';
import { CTAPHID } from '../protocol/ctaphid/index.js';
import type { CallOptions, CtapHidDevice } from '../drivers/ctaphid-device.js';

export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

/** authenticatorGetInfo response (§6.4), the members tokenrig uses plus the raw map. */
export interface Ctap2Info {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize: number | undefined;
  pinUvAuthProtocols: number[];
  raw: Map<CborValue, CborValue>;
}

export interface MakeCredentialParams {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  pubKeyCredParams: { type: string; alg: number }[];
  excludeList?: CredentialDescriptor[];
  options?: { rk?: boolean; up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface MakeCredentialResult {
  fmt: string;
  authData: Uint8Array;
  attStmt: Map<CborValue, CborValue>;
}

export interface GetAssertionParams {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface AssertionResult {
  credential: CredentialDescriptor | undefined;
  authData: Uint8Array;
  signature: Uint8Array;
  user: { id: Uint8Array; name?: string; displayName?: string } | undefined;
  numberOfCredentials: number | undefined;
}

/** The error of a non-zero CTAP2 status; `wireCode` is the status byte. */
export function ctap2Error(status: number, command: string): TokenrigError {
  return new TokenrigError(ErrorCode.DEVICE, `${command}: ${ctap2StatusName(status)}`, { wireCode: status });
}

function protocolError(what: string, cause?: unknown): TokenrigError {
  return new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: ${what}`, { cause });
}

function descriptor(d: CredentialDescriptor): Map<string, CborValue> {
  const m = new Map<string, CborValue>([['id', d.id], ['type', d.type]]);
  if (d.transports !== undefined) m.set('transports', d.transports);
  return m;
}

function withoutUndefined<T extends object>(o: T): Map<string, CborValue> {
  return new Map(Object.entries(o).filter(([, v]) => v !== undefined) as [string, CborValue][]);
}

function bytesField(m: Map<CborValue, CborValue>, key: number, what: string): Uint8Array {
  const v = m.get(key);
  if (!(v instanceof Uint8Array)) throw protocolError(`${what} missing or not bytes`);
  return v;
}

export class Ctap2 {
  readonly device: CtapHidDevice;

  constructor(device: CtapHidDevice) {
    this.device = device;
  }

  /**
   * Send command `cmd` with the CBOR map `params`; return the decoded response map (empty when
   * the authenticator sent only a status byte).
   */
  async send(cmd: number, params: Map<number, unknown> | undefined, name: string, options: CallOptions = {}): Promise<Map<CborValue, CborValue>> {
    const body = params === undefined ? new Uint8Array(0) : encodeCbor(params);
    const request = new Uint8Array(1 + body.length);
    request[0] = cmd;
    request.set(body, 1);
    const reply = await this.device.call(CTAPHID.CBOR, request, options);
    if (reply.length === 0) throw protocolError(`empty reply to ${name}`);
    if (reply[0] !== 0) throw ctap2Error(reply[0]!, name);
    if (reply.length === 1) return new Map();
    let decoded: CborValue;
    try {
      decoded = decodeCbor(reply.subarray(1));
    } catch (e) {
      throw protocolError(`${name}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (!(decoded instanceof Map)) throw protocolError(`${name} is not a CBOR map`);
    return decoded;
  }

  /** authenticatorGetInfo (§6.4). */
  async getInfo(): Promise<Ctap2Info> {
    const m = await this.send(CTAP2_CMD.GET_INFO, undefined, 'authenticatorGetInfo');
    const versions = m.get(0x01);
    if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) throw protocolError('getInfo versions missing');
    const extensions = m.get(0x02) ?? [];
    const options: Record<string, boolean> = {};
    const rawOptions = m.get(0x04);
    if (rawOptions instanceof Map) for (const [k, v] of rawOptions) if (typeof k === 'string' && typeof v === 'boolean') options[k] = v;
    const maxMsgSize = m.get(0x05);
    const protocols = m.get(0x06) ?? [];
    return {
      versions: versions as string[],
      extensions: Array.isArray(extensions) ? extensions.filter((e): e is string => typeof e === 'string') : [],
      aaguid: bytesField(m, 0x03, 'getInfo aaguid'),
      options,
      maxMsgSize: typeof maxMsgSize === 'number' ? maxMsgSize : undefined,
      pinUvAuthProtocols: Array.isArray(protocols) ? protocols.filter((p): p is number => typeof p === 'number') : [],
      raw: m,
    };
  }

  /** authenticatorMakeCredential (§6.1). */
  async makeCredential(p: MakeCredentialParams, call: CallOptions = {}): Promise<MakeCredentialResult> {
    const params = new Map<number, unknown>([
      [0x01, p.clientDataHash],
      [0x02, withoutUndefined(p.rp)],
      [0x03, withoutUndefined(p.user)],
      [0x04, p.pubKeyCredParams.map((c) => new Map<string, CborValue>([['alg', c.alg], ['type', c.type]]))],
    ]);
    if (p.excludeList !== undefined && p.excludeList.length > 0) params.set(0x05, p.excludeList.map(descriptor));
    if (p.options !== undefined && Object.keys(p.options).length > 0) params.set(0x07, withoutUndefined(p.options));
    if (p.pinUvAuthParam !== undefined) params.set(0x08, p.pinUvAuthParam);
    if (p.pinUvAuthProtocol !== undefined) params.set(0x09, p.pinUvAuthProtocol);
    const m = await this.send(CTAP2_CMD.MAKE_CREDENTIAL, params, 'authenticatorMakeCredential', call);
    const fmt = m.get(0x01);
    const attStmt = m.get(0x03);
    if (typeof fmt !== 'string') throw protocolError('makeCredential fmt missing');
    if (!(attStmt instanceof Map)) throw protocolError('makeCredential attStmt missing');
    return { fmt, authData: bytesField(m, 0x02, 'makeCredential authData'), attStmt };
  }

  /** authenticatorGetAssertion (§6.2). */
  async getAssertion(p: GetAssertionParams, call: CallOptions = {}): Promise<AssertionResult> {
    const params = new Map<number, unknown>([
      [0x01, p.rpId],
      [0x02, p.clientDataHash],
    ]);
    if (p.allowList !== undefined && p.allowList.length > 0) params.set(0x03, p.allowList.map(descriptor));
    if (p.options !== undefined && Object.keys(p.options).length > 0) params.set(0x05, withoutUndefined(p.options));
    if (p.pinUvAuthParam !== undefined) params.set(0x06, p.pinUvAuthParam);
    if (p.pinUvAuthProtocol !== undefined) params.set(0x07, p.pinUvAuthProtocol);
    return parseAssertion(await this.send(CTAP2_CMD.GET_ASSERTION, params, 'authenticatorGetAssertion', call));
  }

  /** authenticatorGetNextAssertion (§6.3). */
  async getNextAssertion(): Promise<AssertionResult> {
    return parseAssertion(await this.send(CTAP2_CMD.GET_NEXT_ASSERTION, undefined, 'authenticatorGetNextAssertion'));
  }

  /** authenticatorClientPIN (§6.5) with raw parameters; see ClientPin for the typed flows. */
  clientPin(params: Map<number, unknown>): Promise<Map<CborValue, CborValue>> {
    return this.send(CTAP2_CMD.CLIENT_PIN, params, 'authenticatorClientPIN');
  }

  /** authenticatorReset (§6.6): needs a touch within 10 s of power-up on most keys. */
  async reset(call: CallOptions = {}): Promise<void> {
    await this.send(CTAP2_CMD.RESET, undefined, 'authenticatorReset', call);
  }

  /** authenticatorSelection (§6.9): waits for a touch. */
  async selection(call: CallOptions = {}): Promise<void> {
    await this.send(CTAP2_CMD.SELECTION, undefined, 'authenticatorSelection', call);
  }
}

function parseAssertion(m: Map<CborValue, CborValue>): AssertionResult {
  const cred = m.get(0x01);
  let credential: CredentialDescriptor | undefined;
  if (cred instanceof Map) {
    const id = cred.get('id');
    const type = cred.get('type');
    if (!(id instanceof Uint8Array) || typeof type !== 'string') throw protocolError('getAssertion credential malformed');
    credential = { id, type };
  }
  const u = m.get(0x04);
  let user: AssertionResult['user'];
  if (u instanceof Map) {
    const id = u.get('id');
    if (!(id instanceof Uint8Array)) throw protocolError('getAssertion user.id malformed');
    user = { id };
    const name = u.get('name');
    const displayName = u.get('displayName');
    if (typeof name === 'string') user.name = name;
    if (typeof displayName === 'string') user.displayName = displayName;
  }
  const n = m.get(0x05);
  return {
    credential,
    authData: bytesField(m, 0x02, 'getAssertion authData'),
    signature: bytesField(m, 0x03, 'getAssertion signature'),
    user,
    numberOfCredentials: typeof n === 'number' ? n : undefined,
  };
}
