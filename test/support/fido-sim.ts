/**
 * A simulated authenticator driven byte by byte over CTAPHID (memory, manual clock and
 * timers), with CTAP2 and U2F request helpers and the clientPIN steps a test needs to get a
 * PIN set and a pinUvAuthToken. Built on the independent PIN/UV protocol reference.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type FingerprintSensor, type MemoryStorage, type Timers, type UserPresence, createTestEnvironment } from '../../firmware-sim/env/index.js';
import { FidoAuthenticator, type FidoAuthenticatorOptions, type FidoProfileOverrides } from '../../firmware-sim/fido/index.js';
import { decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAPHID } from '../../src/protocol/ctaphid/index.js';
import { TestHidHost } from './ctaphid-host.js';
import { ManualTimers } from './manual-timers.js';
import { PIN_PROTOCOL_TWO, type PinUvAuthProtocol, ecdhX, p256PublicKey } from './pin-uv-auth-reference.js';

export type M = Map<unknown, unknown>;

export interface SimOptions extends FidoAuthenticatorOptions {
  presence?: UserPresence;
  /** The sensor, or one made with the key's manual timers (a ManualFingerprint whose timeouts the test advances). */
  fingerprint?: FingerprintSensor | ((timers: Timers) => FingerprintSensor);
  storage?: MemoryStorage;
  profile?: FidoProfileOverrides;
}

export async function simulatedAuthenticator(options: SimOptions = {}) {
  const { env, clock } = createTestEnvironment({ startMs: Date.UTC(2026, 0, 1), ...(options.presence ? { presence: options.presence } : {}), ...(options.storage ? { storage: options.storage } : {}) });
  const timers = new ManualTimers(clock);
  const fingerprint = typeof options.fingerprint === 'function' ? options.fingerprint(timers) : options.fingerprint;
  const fido = await FidoAuthenticator.create({ ...env, timers, ...(fingerprint ? { fingerprint } : {}) }, options.profile ?? {}, options);
  const host = new TestHidHost(fido.hid);
  let cid = host.init();
  const reconnect = (): void => {
    cid = host.init();
  };
  /** Send command `cmd` with `params` (CBOR-encoded unless already bytes); the status and decoded body. */
  const cbor = async (cmd: number, params?: unknown): Promise<{ status: number; body: M | undefined }> => {
    const body = params === undefined ? [] : params instanceof Uint8Array ? [...params] : [...encodeCbor(params)];
    host.send(cid, CTAPHID.CBOR, [cmd, ...body]);
    await host.waitFor(CTAPHID.CBOR);
    const msgs = host.take();
    const reply = msgs.find((m) => m.cmd === CTAPHID.CBOR);
    if (!reply) throw new Error(`no CBOR reply: ${JSON.stringify(msgs.map((m) => [m.cmd, [...m.data]]))}`);
    return { status: reply.data[0]!, body: reply.data.length > 1 ? (decodeCbor(reply.data.subarray(1)) as M) : undefined };
  };
  const status = async (cmd: number, params?: unknown): Promise<number> => (await cbor(cmd, params)).status;
  const u2f = async (apdu: number[]): Promise<Uint8Array> => {
    host.send(cid, CTAPHID.MSG, apdu);
    await host.waitFor(CTAPHID.MSG);
    return host.take().find((m) => m.cmd === CTAPHID.MSG)!.data;
  };
  return { fido, host, cbor, status, u2f, clock, timers, reconnect, cid: () => cid };
}

export type Sim = Awaited<ReturnType<typeof simulatedAuthenticator>>;

export const cdh = sha256(new TextEncoder().encode('client data'));

/** A makeCredential parameter map for example.com; `extra` entries replace or add members. */
export const mcParams = (extra: [number, unknown][] = [], rk = false): Map<number, unknown> =>
  new Map<number, unknown>([
    [1, cdh],
    [2, new Map([['id', 'example.com'], ['name', 'Example']])],
    [3, new Map<string, unknown>([['id', Uint8Array.of(1, 2, 3)], ['name', 'alice'], ['displayName', 'Alice']])],
    [4, [new Map<string, unknown>([['alg', -7], ['type', 'public-key']])]],
    ...(rk ? ([[7, new Map([['rk', true]])]] as [number, unknown][]) : []),
    ...extra,
  ]);

/** A getAssertion parameter map for example.com. */
export const gaParams = (extra: [number, unknown][] = []): Map<number, unknown> => new Map<number, unknown>([[1, 'example.com'], [2, cdh], ...extra]);

/** A credential descriptor map. */
export const descriptor = (id: Uint8Array): Map<string, unknown> => new Map<string, unknown>([['id', id], ['type', 'public-key']]);

/** Flags, counter and (with AT) the credential ID, public key and extensions of authenticator data. */
export function parseAuthData(a: Uint8Array) {
  const flags = a[32]!;
  const counter = new DataView(a.buffer, a.byteOffset).getUint32(33);
  if ((flags & 0x40) === 0) return { flags, counter, extensions: (flags & 0x80) !== 0 ? (decodeCbor(a.subarray(37)) as M) : undefined };
  const idLen = (a[53]! << 8) | a[54]!;
  const credId = a.slice(55, 55 + idLen);
  const rest = a.subarray(55 + idLen);
  // The COSE key, then (ED) the extensions map: split where the first item ends.
  let extensions: M | undefined;
  let cose: M;
  if ((flags & 0x80) === 0) cose = decodeCbor(rest) as M;
  else {
    let end = rest.length - 1;
    for (; end > 0; end--) {
      try {
        cose = decodeCbor(rest.subarray(0, end)) as M;
        extensions = decodeCbor(rest.subarray(end)) as M;
        break;
      } catch {
        // not the boundary yet
      }
    }
    cose ??= new Map();
  }
  const pub = new Uint8Array(65);
  pub[0] = 4;
  // pub is the P-256 point (ES256 credentials); other keys are read from `cose`.
  if (cose.get(1) === 2 && cose.get(-1) === 1) {
    pub.set(cose.get(-2) as Uint8Array, 1);
    pub.set(cose.get(-3) as Uint8Array, 33);
  }
  return { flags, counter, aaguid: a.slice(37, 53), credId, pub, cose, extensions };
}

/** The clientPIN steps a test needs: key agreement, setPIN, tokens, all with the reference protocol. */
export function pinClient(sim: Sim, protocol: PinUvAuthProtocol = PIN_PROTOCOL_TWO) {
  const hostKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const hostPub = p256PublicKey(hostKey);
  const hostCose = new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, hostPub.x], [-3, hostPub.y]]);
  const enc = (key: Uint8Array, pt: Uint8Array): Uint8Array => protocol.encrypt(key, pt, new Uint8Array(16).fill(9));
  const shared = async (): Promise<Uint8Array> => {
    const ka = await sim.cbor(0x06, new Map([[1, protocol.version], [2, 2]]));
    const dev = ka.body!.get(1) as M;
    return protocol.kdf(ecdhX(hostKey, { x: dev.get(-2) as Uint8Array, y: dev.get(-3) as Uint8Array })!);
  };
  const padPin = (pin: string, size = 64): Uint8Array => {
    const b = new Uint8Array(size);
    b.set(new TextEncoder().encode(pin));
    return b;
  };
  const pinHash = (pin: string): Uint8Array => sha256(new TextEncoder().encode(pin)).slice(0, 16);
  return {
    protocol,
    hostCose,
    enc,
    shared,
    padPin,
    pinHash,
    /** setPIN's parameter map (§6.5.5.5) for `pin`, under a fresh shared secret. */
    async setPinParams(pin: string, padded = padPin(pin)): Promise<Map<number, unknown>> {
      const k = await shared();
      const newPinEnc = enc(k, padded);
      return new Map<number, unknown>([[1, protocol.version], [2, 3], [3, hostCose], [4, protocol.authenticate(k, newPinEnc)], [5, newPinEnc]]);
    },
    async setPin(pin = '1234'): Promise<void> {
      const s = await sim.status(0x06, await this.setPinParams(pin));
      if (s !== 0) throw new Error(`setPIN answered 0x${s.toString(16)}`);
    },
    /** getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3): status and token. */
    async uvToken(permissions: number, rpId?: string): Promise<{ status: number; token: Uint8Array | undefined }> {
      const k = await shared();
      const p = new Map<number, unknown>([[1, protocol.version], [2, 6], [3, hostCose], [9, permissions]]);
      if (rpId !== undefined) p.set(10, rpId);
      const r = await sim.cbor(0x06, p);
      return { status: r.status, token: r.status === 0 ? protocol.decrypt(k, r.body!.get(2) as Uint8Array) : undefined };
    },
    /** getPinUvAuthTokenUsingPinWithPermissions (or getPinToken when `permissions` is undefined): status and token. */
    async token(pin: string, permissions?: number, rpId?: string): Promise<{ status: number; token: Uint8Array | undefined }> {
      const k = await shared();
      const p = new Map<number, unknown>([[1, protocol.version], [2, permissions === undefined ? 5 : 9], [3, hostCose], [6, enc(k, pinHash(pin))]]);
      if (permissions !== undefined) p.set(9, permissions);
      if (rpId !== undefined) p.set(10, rpId);
      const r = await sim.cbor(0x06, p);
      return { status: r.status, token: r.status === 0 ? protocol.decrypt(k, r.body!.get(2) as Uint8Array) : undefined };
    },
  };
}

/** A key with a fingerprint sensor (the yubikey-bio personality unless `profile` says otherwise), its PIN client and bio requests. */
export async function bioKey(options: SimOptions = {}) {
  const { FIDO_PROFILES } = await import('../../firmware-sim/fido/index.js');
  const sim = await simulatedAuthenticator({ ...options, profile: { ...FIDO_PROFILES['yubikey-bio']!, ...options.profile } });
  const pin = pinClient(sim);
  let token: Uint8Array | undefined;
  /** Set the PIN (1234) unless it is, and take a token with `permissions` (default be, mc, ga). */
  const login = async (permissions = 0x0b): Promise<Uint8Array> => {
    const options = (await sim.cbor(0x04)).body!.get(4) as M;
    if (options.get('clientPin') !== true) await pin.setPin('1234');
    // A key without permissions (no pinUvAuthToken) gets getPinToken, whose token authorizes all it has.
    const t = await pin.token('1234', options.get('pinUvAuthToken') === true ? permissions : undefined);
    if (t.token === undefined) throw new Error(`token answered 0x${t.status.toString(16)}`);
    return (token = t.token);
  };
  /** authenticatorBioEnrollment (0x09, or `cmd`) for the fingerprint modality; signed with the current token unless `auth` is false. */
  const bio = (subCommand: number, params?: Map<number, unknown>, opts: { auth?: boolean; cmd?: number; token?: Uint8Array } = {}) => {
    const m = new Map<number, unknown>([[1, 1], [2, subCommand]]);
    if (params !== undefined) m.set(3, params);
    const t = opts.token ?? token;
    if (opts.auth !== false && t !== undefined) {
      const tail = params === undefined ? [] : [...encodeCbor(params)];
      m.set(4, pin.protocol.version);
      m.set(5, pin.protocol.authenticate(t, Uint8Array.from([1, subCommand, ...tail])));
    }
    return sim.cbor(opts.cmd ?? 0x09, m);
  };
  /** Enroll one finger: enrollBegin, then samples until none remain; the template id. */
  const enroll = async (): Promise<Uint8Array> => {
    const begin = await bio(1);
    if (begin.status !== 0) throw new Error(`enrollBegin answered 0x${begin.status.toString(16)}`);
    const id = begin.body!.get(4) as Uint8Array;
    let remaining = begin.body!.get(6) as number;
    for (let i = 0; remaining > 0 && i < 50; i++) {
      const next = await bio(2, new Map([[1, id]]));
      if (next.status !== 0) throw new Error(`enrollCaptureNextSample answered 0x${next.status.toString(16)}`);
      remaining = next.body!.get(6) as number;
    }
    return id;
  };
  return { sim, pin, login, bio, enroll };
}
