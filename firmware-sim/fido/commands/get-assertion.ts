/**
 * authenticatorGetAssertion (CTAP 2.1 §6.2) and authenticatorGetNextAssertion (§6.3): parsing
 * (§6.2.1) and the algorithm of §6.2.2, step by step; the credentials left to assert after the
 * first are this family's volatile state.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCbor } from '../../../src/protocol/cbor.js';
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { GET_ASSERTION as P, GET_ASSERTION_RESPONSE as R, PERMISSION } from '../../../src/protocol/ctap2-parameters.js';
import type { CtapHidContext } from '../../ctaphid/index.js';
import { FLAG, authenticatorData, concat } from '../authenticator-data.js';
import { type CborParams, type CredentialDescriptor, type PinUvAuthParams, bytes, descriptors, optional, options, pinUvAuthParams, text } from '../cbor-params.js';
import { type CredentialRecord, credentialSecret } from '../credential-id.js';
import { type FidoDevice, volatileSlot } from '../device.js';
import { S, fail } from '../errors.js';
import type { ExtensionContext } from '../extensions/index.js';
import { type ExtensionInputs, applicable, filtersCredentials, parseExtensionInputs, runExtensions } from '../extensions/process.js';
import { PIN_UV_AUTH_TOKEN, authorize, pinUvAuthProtocolOf } from '../pin-uv-auth-token.js';
import { verifyBuiltIn } from '../user-verification.js';
import { alwaysUv, uvForAlwaysUv } from '../settings.js';
import type { ResidentCredential } from '../state.js';
import { type Ctap2Response, defineCommand, speaksCtap2 } from './command.js';

/** getNextAssertion must come within 30 s of the previous assertion (CTAP 2.1 §6.3). */
export const NEXT_ASSERTION_TIMEOUT_MS = 30_000;

export interface GetAssertionRequest extends PinUvAuthParams {
  rpId: string;
  clientDataHash: Uint8Array;
  /** Absent, or non-empty: an empty allowList is treated as absent (§6.2.2 step 7). */
  allowList: CredentialDescriptor[] | undefined;
  extensions: ExtensionInputs;
  options: { up?: boolean; uv?: boolean; rk?: boolean };
}

/** A credential step 7 located. */
interface Located {
  id: Uint8Array;
  record: CredentialRecord;
  resident: ResidentCredential | undefined;
}

/** The assertions of one getAssertion: the first, then one per getNextAssertion. */
interface Assertions {
  credentials: Located[];
  index: number;
  rpId: string;
  rpIdHash: Uint8Array;
  clientDataHash: Uint8Array;
  flags: number;
  extensions: ExtensionInputs;
  pinUvAuthProtocol: number | undefined;
  allowListGiven: boolean;
  expiresMs: number;
}

const NEXT = volatileSlot('nextAssertions', () => ({ pending: undefined as Assertions | undefined }));

function parse(p: CborParams, device: FidoDevice): GetAssertionRequest {
  const allowList = optional(p.get(P.allowList), (v) => descriptors(v, 'allowList'));
  return {
    rpId: text(p.get(P.rpId), 'rpId'),
    clientDataHash: bytes(p.get(P.clientDataHash), 'clientDataHash'),
    allowList: allowList === undefined || allowList.length === 0 ? undefined : allowList,
    extensions: parseExtensionInputs(device, p.get(P.extensions), 'getAssertion'),
    options: options(p.get(P.options)),
    ...pinUvAuthParams(p, P.pinUvAuthParam, P.pinUvAuthProtocol),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function context(a: Pick<Assertions, 'rpId' | 'rpIdHash' | 'clientDataHash' | 'flags' | 'pinUvAuthProtocol' | 'allowListGiven'>, cred: Located): ExtensionContext {
  return {
    command: 'getAssertion',
    rpId: a.rpId,
    rpIdHash: a.rpIdHash,
    clientDataHash: a.clientDataHash,
    uv: (a.flags & FLAG.UV) !== 0,
    up: (a.flags & FLAG.UP) !== 0,
    pinUvAuthProtocol: a.pinUvAuthProtocol,
    discoverable: cred.resident !== undefined,
    credentialListGiven: a.allowListGiven,
    credentialId: cred.id,
    credentialSecret: (label) => credentialSecret(cred.record.privateKey, label),
  };
}

/**
 * Step 7: the credentials eligible under the request, newest discoverable one first; `applies`
 * is what the extensions say of a located credential (7.4–7.5: credProtect).
 */
function locate(device: FidoDevice, rpIdHash: Uint8Array, allowList: CredentialDescriptor[] | undefined, applies: (c: Located) => boolean): Located[] {
  if (allowList !== undefined) {
    for (const d of allowList) {
      if (d.type !== 'public-key') continue;
      const record = device.usableCredential(rpIdHash, d.id);
      if (record === undefined) continue;
      const c: Located = { id: d.id, record, resident: device.store.findResident(d.id) };
      // Step 9 (allowList given): any one applicable credential will do.
      if (applies(c)) return [c];
    }
    return [];
  }
  return device.store
    .residentCredentials()
    .filter((c) => sameBytes(c.rpIdHash, rpIdHash))
    .sort((a, b) => b.createdMs - a.createdMs)
    .flatMap((c) => {
      const record = device.usableCredential(rpIdHash, c.id);
      const located: Located | undefined = record === undefined ? undefined : { id: c.id, record, resident: c };
      return located !== undefined && applies(located) ? [located] : [];
    });
}

/** Step 13 (and §6.3): sign for the next credential in `a`, with its extension outputs. */
async function assertNext(device: FidoDevice, a: Assertions): Promise<Map<number, unknown>> {
  const cred = a.credentials[a.index++]!;
  const counter = device.store.nextCounter(cred.id);
  const ext = a.extensions.size === 0 ? undefined : await runExtensions(device, a.extensions, context(a, cred), cred.record.extensions);
  const authData = authenticatorData(a.rpIdHash, a.flags, counter, undefined, ext !== undefined && ext.outputs.size > 0 ? encodeCbor(ext.outputs) : undefined);
  const key = await device.credentialKey(cred.id, cred.record);
  const signature = await key.sign(concat(authData, a.clientDataHash));
  const response = new Map<number, unknown>([
    [R.credential, new Map<string, unknown>([['id', cred.id], ['type', 'public-key']])],
    [R.authData, authData],
    [R.signature, signature],
  ]);
  if (cred.resident !== undefined) {
    const user = new Map<string, unknown>([['id', cred.resident.userId]]);
    // §6.2.2 step 12: name and displayName only when the user was verified.
    if ((a.flags & FLAG.UV) !== 0) {
      if (cred.resident.userName !== undefined) user.set('name', cred.resident.userName);
      if (cred.resident.displayName !== undefined) user.set('displayName', cred.resident.displayName);
    }
    response.set(R.user, user);
  }
  for (const [k, v] of ext?.response ?? []) response.set(k, v);
  if (ext !== undefined && ext.unsigned.size > 0) response.set(R.unsignedExtensionOutputs, ext.unsigned);
  device.emit({ event: 'assertion', counter, resident: cred.resident !== undefined });
  return response;
}

async function getAssertion(device: FidoDevice, req: GetAssertionRequest, ctx: CtapHidContext): Promise<Map<number, unknown>> {
  if (req.clientDataHash.length !== 32) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'clientDataHash');
  const protocol = await pinUvAuthProtocolOf(device, req, ctx); // steps 1–2
  // Step 4: options. uv is treated as false when a pinUvAuthParam came (4.2).
  let uvOption = protocol === undefined && req.options.uv === true;
  if (uvOption && device.userVerifier?.configured() !== true) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'uv: no built-in user verification'); // 4.3
  if (req.options.rk !== undefined) throw fail(S.CTAP2_ERR_UNSUPPORTED_OPTION, 'rk'); // 4.4
  const up = req.options.up !== false; // 4.5
  // Step 5: alwaysUv — no assertion with a touch without user verification (a silent up=false check is spared).
  if (up && protocol === undefined && !uvOption && alwaysUv(device)) uvOption = uvForAlwaysUv(device);
  // Step 6: the pinUvAuthParam, or built-in UV.
  let uv = false;
  let upFromUv = false;
  if (protocol !== undefined) {
    if (!device.protectedByUv) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
    authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam!, message: req.clientDataHash, permission: PERMISSION.ga, rpId: req.rpId });
    uv = true;
  } else if (uvOption) {
    await verifyBuiltIn(device, ctx, 'getAssertion');
    uv = upFromUv = true; // step 8: built-in UV is evidence of presence too
  }
  const rpIdHash = sha256(new TextEncoder().encode(req.rpId));
  const base = {
    rpId: req.rpId,
    rpIdHash,
    clientDataHash: req.clientDataHash,
    flags: (up ? FLAG.UP : 0) | (uv ? FLAG.UV : 0),
    pinUvAuthProtocol: protocol?.version,
    allowListGiven: req.allowList !== undefined,
  };
  // Step 7: locate what the extensions let apply (7.4–7.5).
  const filters = filtersCredentials(device);
  const found = locate(device, rpIdHash, req.allowList, (c) => !filters || applicable(device, c.record.extensions, context(base, c)));
  if (found.length === 0) throw fail(S.CTAP2_ERR_NO_CREDENTIALS); // 7.6
  // Step 9: user presence (a token whose userPresent flag is set spares the touch).
  if (up) {
    const token = uv && protocol !== undefined ? device.volatile(PIN_UV_AUTH_TOKEN) : undefined;
    if (!upFromUv && token?.userPresent !== true) await device.requireTouch(ctx, 'getAssertion');
    token?.spend();
  }
  const assertions: Assertions = {
    rpId: base.rpId,
    rpIdHash,
    clientDataHash: base.clientDataHash,
    flags: base.flags,
    pinUvAuthProtocol: base.pinUvAuthProtocol,
    allowListGiven: base.allowListGiven,
    credentials: found,
    index: 0,
    extensions: req.extensions,
    expiresMs: device.env.clock.now() + NEXT_ASSERTION_TIMEOUT_MS,
  };
  const response = await assertNext(device, assertions);
  // Steps 11–12: more than one discoverable credential: numberOfCredentials, then getNextAssertion.
  const next = device.volatile(NEXT);
  if (req.allowList === undefined && found.length > 1) {
    response.set(R.numberOfCredentials, found.length);
    next.pending = assertions;
  } else {
    next.pending = undefined;
  }
  return response;
}

export const authenticatorGetAssertion = defineCommand<GetAssertionRequest>({
  code: CTAP2_CMD.GET_ASSERTION,
  name: 'authenticatorGetAssertion',
  available: speaksCtap2,
  parse,
  handle: getAssertion,
});

export const authenticatorGetNextAssertion = defineCommand<undefined>({
  code: CTAP2_CMD.GET_NEXT_ASSERTION,
  name: 'authenticatorGetNextAssertion',
  available: speaksCtap2,
  handle(device): Promise<Ctap2Response> {
    const next = device.volatile(NEXT);
    const a = next.pending;
    // §6.3 steps 1–3: no pending getAssertion, all credentials asserted, or its 30 s elapsed.
    if (a === undefined || a.index >= a.credentials.length || device.env.clock.now() > a.expiresMs) {
      next.pending = undefined;
      throw fail(S.CTAP2_ERR_NOT_ALLOWED);
    }
    a.expiresMs = device.env.clock.now() + NEXT_ASSERTION_TIMEOUT_MS;
    return assertNext(device, a);
  },
});
