/**
 * Typed readers for members of authenticator responses: a member of the wrong CBOR type is
 * a PROTOCOL error naming it ("authenticator response: getInfo minPINLength must be an
 * unsigned integer"), so a key that breaks the spec is reported, not misread.
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import type { CborValue } from '../protocol/cbor.js';

export type Read<T> = (v: CborValue, what: string) => T;

export function responseError(what: string): TokenrigError {
  return new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: ${what}`);
}

export const uint: Read<number> = (v, what) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw responseError(`${what} must be an unsigned integer`);
  return v;
};

/** A 64-bit unsigned integer: bigint beyond 2^53. */
export const uint64: Read<number | bigint> = (v, what) => (typeof v === 'bigint' && v >= 0n ? v : uint(v, what));

export const int: Read<number> = (v, what) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw responseError(`${what} must be an integer`);
  return v;
};

export const bool: Read<boolean> = (v, what) => {
  if (typeof v !== 'boolean') throw responseError(`${what} must be a boolean`);
  return v;
};

export const bytes: Read<Uint8Array> = (v, what) => {
  if (!(v instanceof Uint8Array)) throw responseError(`${what} must be a byte string`);
  return v;
};

export const text: Read<string> = (v, what) => {
  if (typeof v !== 'string') throw responseError(`${what} must be a text string`);
  return v;
};

export const map: Read<Map<CborValue, CborValue>> = (v, what) => {
  if (!(v instanceof Map)) throw responseError(`${what} must be a map`);
  return v;
};

export function list<T>(item: Read<T>): Read<T[]> {
  return (v, what) => {
    if (!Array.isArray(v)) throw responseError(`${what} must be an array`);
    return v.map((x) => item(x, what));
  };
}

/** A map with text keys, each value read by `item`. */
export function textMap<T>(item: Read<T>): Read<Record<string, T>> {
  return (v, what) => {
    const out: Record<string, T> = {};
    for (const [k, x] of map(v, what)) out[text(k, `${what} key`)] = item(x, `${what}.${String(k)}`);
    return out;
  };
}

/**
 * Read the members named in `readers` out of the integer-keyed map `m` into an object:
 * `members(m, 'credentialManagement', { totalRPs: [0x05, uint] })`. Absent members stay absent.
 */
export function members<T extends object>(m: Map<CborValue, CborValue>, context: string, readers: { [P in keyof T]-?: readonly [number, Read<NonNullable<T[P]>>] }): Partial<T> {
  const out: Partial<T> = {};
  for (const name of Object.keys(readers) as (keyof T)[]) {
    const [key, read] = readers[name];
    const v = m.get(key);
    if (v !== undefined) out[name] = read(v, `${context} ${String(name)}`) as T[keyof T];
  }
  return out;
}

/** A PublicKeyCredentialUserEntity (WebAuthn §5.4.3) as CTAP carries it. */
export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

export const userEntity: Read<UserEntity> = (v, what) => {
  const m = map(v, what);
  const id = m.get('id');
  if (id === undefined) throw responseError(`${what} id missing`);
  const user: UserEntity = { id: bytes(id, `${what} id`) };
  const name = m.get('name');
  const displayName = m.get('displayName');
  if (name !== undefined) user.name = text(name, `${what} name`);
  if (displayName !== undefined) user.displayName = text(displayName, `${what} displayName`);
  return user;
};

/** A PublicKeyCredentialDescriptor (WebAuthn §5.10.3). */
export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

export const credentialDescriptor: Read<CredentialDescriptor> = (v, what) => {
  const m = map(v, what);
  const id = m.get('id');
  const type = m.get('type');
  if (id === undefined || type === undefined) throw responseError(`${what} needs id and type`);
  const d: CredentialDescriptor = { id: bytes(id, `${what} id`), type: text(type, `${what} type`) };
  const transports = m.get('transports');
  if (transports !== undefined) d.transports = list(text)(transports, `${what} transports`);
  return d;
};

/** The CBOR map of a descriptor, as requests carry it. */
export function descriptorMap(d: CredentialDescriptor): Map<string, CborValue> {
  const m = new Map<string, CborValue>([['id', d.id], ['type', d.type]]);
  if (d.transports !== undefined) m.set('transports', d.transports);
  return m;
}

/** The CBOR map of an entity (rp, user): its defined members. */
export function entityMap(o: object): Map<string, CborValue> {
  return new Map(Object.entries(o).filter(([, v]) => v !== undefined) as [string, CborValue][]);
}
