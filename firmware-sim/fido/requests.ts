/**
 * CTAP2 requests parsed into a tagged union (CTAP 2.1 §6). Parsing checks types and required
 * members and nothing else; each handler then applies the command's own rules.
 */
import { type CborValue, CborError, decodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_CMD } from '../../src/protocol/ctap-status.js';
import { S, fail } from './errors.js';

export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
}

export interface PinAuth {
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export type Ctap2Request =
  | ({
      command: 'makeCredential';
      clientDataHash: Uint8Array;
      rp: { id: string; name?: string };
      user: { id: Uint8Array; name?: string; displayName?: string };
      algorithms: { type: string; alg: number }[];
      excludeList: CredentialDescriptor[];
      options: { rk?: boolean; up?: boolean; uv?: boolean };
    } & PinAuth)
  | ({
      command: 'getAssertion';
      rpId: string;
      clientDataHash: Uint8Array;
      allowList: CredentialDescriptor[] | undefined;
      options: { up?: boolean; uv?: boolean };
    } & PinAuth)
  | { command: 'getInfo' }
  | {
      command: 'clientPin';
      pinUvAuthProtocol: number;
      subCommand: number;
      keyAgreement?: Map<CborValue, CborValue>;
      pinUvAuthParam?: Uint8Array;
      newPinEnc?: Uint8Array;
      pinHashEnc?: Uint8Array;
      permissions?: number;
      rpId?: string;
    }
  | { command: 'reset' }
  | { command: 'getNextAssertion' }
  | { command: 'selection' };

type Params = Map<CborValue, CborValue>;

function get(params: Params, key: number): CborValue | undefined {
  return params.get(key);
}

function bytes(v: CborValue | undefined, what: string): Uint8Array {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  if (!(v instanceof Uint8Array)) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
  return v;
}
function optBytes(v: CborValue | undefined, what: string): Uint8Array | undefined {
  return v === undefined ? undefined : bytes(v, what);
}
function text(v: CborValue | undefined, what: string): string {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  if (typeof v !== 'string') throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
  return v;
}
function optText(v: CborValue | undefined, what: string): string | undefined {
  return v === undefined ? undefined : text(v, what);
}
function uint(v: CborValue | undefined, what: string): number {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
  return v;
}
function optUint(v: CborValue | undefined, what: string): number | undefined {
  return v === undefined ? undefined : uint(v, what);
}
function map(v: CborValue | undefined, what: string): Params {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  if (!(v instanceof Map)) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
  return v;
}
function array(v: CborValue | undefined, what: string): CborValue[] {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  if (!Array.isArray(v)) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, what);
  return v;
}

function descriptors(v: CborValue | undefined, what: string): CredentialDescriptor[] {
  return array(v, what).map((d) => {
    const m = map(d, what);
    return { type: text(m.get('type'), `${what}.type`), id: bytes(m.get('id'), `${what}.id`) };
  });
}

function options(v: CborValue | undefined): Record<string, boolean> {
  if (v === undefined) return {};
  const out: Record<string, boolean> = {};
  for (const [k, val] of map(v, 'options')) {
    if (typeof k !== 'string' || typeof val !== 'boolean') throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'options');
    out[k] = val;
  }
  return out;
}

function pinAuth(params: Params, paramKey: number, protocolKey: number): PinAuth {
  const out: PinAuth = {};
  const p = optBytes(get(params, paramKey), 'pinUvAuthParam');
  const v = optUint(get(params, protocolKey), 'pinUvAuthProtocol');
  if (p !== undefined) out.pinUvAuthParam = p;
  if (v !== undefined) out.pinUvAuthProtocol = v;
  return out;
}

/** Parse command byte + CBOR parameters. Throws CtapStatusError with the right status. */
export function parseCtap2Request(message: Uint8Array): Ctap2Request {
  if (message.length === 0) throw fail(S.CTAP1_ERR_INVALID_LENGTH);
  const cmd = message[0]!;
  const body = message.subarray(1);
  const params = (): Params => {
    if (body.length === 0) return new Map();
    let v: CborValue;
    try {
      v = decodeCbor(body);
    } catch (e) {
      if (e instanceof CborError) throw fail(S.CTAP2_ERR_INVALID_CBOR, e.message);
      throw e;
    }
    if (!(v instanceof Map)) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'parameters must be a map');
    return v;
  };
  const noParams = (): void => {
    if (body.length !== 0) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'command takes no parameters');
  };
  switch (cmd) {
    case CTAP2_CMD.GET_INFO:
      noParams();
      return { command: 'getInfo' };
    case CTAP2_CMD.RESET:
      noParams();
      return { command: 'reset' };
    case CTAP2_CMD.GET_NEXT_ASSERTION:
      noParams();
      return { command: 'getNextAssertion' };
    case CTAP2_CMD.SELECTION:
      noParams();
      return { command: 'selection' };
    case CTAP2_CMD.MAKE_CREDENTIAL: {
      const p = params();
      const rp = map(get(p, 2), 'rp');
      const user = map(get(p, 3), 'user');
      const u: { id: Uint8Array; name?: string; displayName?: string } = { id: bytes(user.get('id'), 'user.id') };
      const name = optText(user.get('name'), 'user.name');
      const displayName = optText(user.get('displayName'), 'user.displayName');
      if (name !== undefined) u.name = name;
      if (displayName !== undefined) u.displayName = displayName;
      const r: { id: string; name?: string } = { id: text(rp.get('id'), 'rp.id') };
      const rpName = optText(rp.get('name'), 'rp.name');
      if (rpName !== undefined) r.name = rpName;
      return {
        command: 'makeCredential',
        clientDataHash: bytes(get(p, 1), 'clientDataHash'),
        rp: r,
        user: u,
        algorithms: array(get(p, 4), 'pubKeyCredParams').map((c) => {
          const m = map(c, 'pubKeyCredParams');
          const alg = m.get('alg');
          if (typeof alg !== 'number') throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'alg');
          return { type: text(m.get('type'), 'type'), alg };
        }),
        excludeList: get(p, 5) === undefined ? [] : descriptors(get(p, 5), 'excludeList'),
        options: options(get(p, 7)),
        ...pinAuth(p, 8, 9),
      };
    }
    case CTAP2_CMD.GET_ASSERTION: {
      const p = params();
      return {
        command: 'getAssertion',
        rpId: text(get(p, 1), 'rpId'),
        clientDataHash: bytes(get(p, 2), 'clientDataHash'),
        allowList: get(p, 3) === undefined ? undefined : descriptors(get(p, 3), 'allowList'),
        options: options(get(p, 5)),
        ...pinAuth(p, 6, 7),
      };
    }
    case CTAP2_CMD.CLIENT_PIN: {
      const p = params();
      const req: Extract<Ctap2Request, { command: 'clientPin' }> = {
        command: 'clientPin',
        pinUvAuthProtocol: uint(get(p, 1), 'pinUvAuthProtocol'),
        subCommand: uint(get(p, 2), 'subCommand'),
      };
      if (get(p, 3) !== undefined) req.keyAgreement = map(get(p, 3), 'keyAgreement');
      const fields = [
        [4, 'pinUvAuthParam'],
        [5, 'newPinEnc'],
        [6, 'pinHashEnc'],
      ] as const;
      for (const [k, name] of fields) {
        const v = optBytes(get(p, k), name);
        if (v !== undefined) req[name] = v;
      }
      const permissions = optUint(get(p, 9), 'permissions');
      if (permissions !== undefined) req.permissions = permissions;
      const rpId = optText(get(p, 10), 'rpId');
      if (rpId !== undefined) req.rpId = rpId;
      return req;
    }
    default:
      throw fail(S.CTAP1_ERR_INVALID_COMMAND, `command 0x${cmd.toString(16)}`);
  }
}
