/**
 * authenticatorMakeCredential (CTAP 2.1 §6.1): parsing (§6.1.1) and the algorithm of §6.1.2,
 * step by step. Every refusal names the step it comes from.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type CborValue, encodeCbor } from '../../../src/protocol/cbor.js';
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { MAKE_CREDENTIAL as P, MAKE_CREDENTIAL_RESPONSE as R, PERMISSION } from '../../../src/protocol/ctap2-parameters.js';
import type { CtapHidContext } from '../../ctaphid/index.js';
import type { CredentialAlgorithm } from '../algorithms/index.js';
import { FLAG, authenticatorData, concat } from '../authenticator-data.js';
import { type CborParams, type CredentialDescriptor, type PinUvAuthParams, array, bytes, descriptors, int, optional, options, pinUvAuthParams, text, textKeyed, uint } from '../cbor-params.js';
import { credentialSecret, sealCredential } from '../credential-id.js';
import type { FidoDevice } from '../device.js';
import { S, fail } from '../errors.js';
import type { ExtensionContext } from '../extensions/index.js';
import { type ExtensionInputs, NO_RESULTS, applicable, filtersCredentials, parseExtensionInputs, runExtensions } from '../extensions/process.js';
import { enterpriseAttestationFor, enterpriseAttestationKey } from '../enterprise-attestation.js';
import { PIN_UV_AUTH_TOKEN, authorize, pinUvAuthProtocolOf } from '../pin-uv-auth-token.js';
import { verifyBuiltIn } from '../user-verification.js';
import { alwaysUv, makeCredUvNotRequired, uvForAlwaysUv } from '../settings.js';
import type { ResidentCredential } from '../state.js';
import { defineCommand, speaksCtap2 } from './command.js';

export interface MakeCredentialRequest extends PinUvAuthParams {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  pubKeyCredParams: { type: string; alg: number }[];
  excludeList: CredentialDescriptor[];
  extensions: ExtensionInputs;
  options: { rk?: boolean; up?: boolean; uv?: boolean };
  enterpriseAttestation?: number;
}

/** An optional text member of an entity map (rp, user): CBOR_UNEXPECTED_TYPE when not text. */
function optText(m: Map<string, CborValue>, key: string, what: string): string | undefined {
  return optional(m.get(key), (v) => text(v, `${what}.${key}`));
}

function parse(p: CborParams, device: FidoDevice): MakeCredentialRequest {
  const rpMap = textKeyed(p.get(P.rp), 'rp');
  const rp: MakeCredentialRequest['rp'] = { id: text(rpMap.get('id'), 'rp.id') };
  const rpName = optText(rpMap, 'name', 'rp');
  if (rpName !== undefined) rp.name = rpName;
  optText(rpMap, 'icon', 'rp'); // CTAP 2.0's icon: type-checked, not kept
  const userMap = textKeyed(p.get(P.user), 'user');
  const user: MakeCredentialRequest['user'] = { id: bytes(userMap.get('id'), 'user.id') };
  for (const key of ['name', 'displayName'] as const) {
    const v = optText(userMap, key, 'user');
    if (v !== undefined) user[key] = v;
  }
  optText(userMap, 'icon', 'user');
  const req: MakeCredentialRequest = {
    clientDataHash: bytes(p.get(P.clientDataHash), 'clientDataHash'),
    rp,
    user,
    // A pubKeyCredParams entry without alg or type is MISSING_PARAMETER (what YubiKeys answer;
    // §6.1.2 step 3.1.1 leaves the code to the authenticator).
    pubKeyCredParams: array(p.get(P.pubKeyCredParams), 'pubKeyCredParams').map((c) => {
      const m = textKeyed(c, 'pubKeyCredParams');
      return { alg: int(m.get('alg'), 'pubKeyCredParams.alg'), type: text(m.get('type'), 'pubKeyCredParams.type') };
    }),
    excludeList: optional(p.get(P.excludeList), (v) => descriptors(v, 'excludeList')) ?? [],
    extensions: parseExtensionInputs(device, p.get(P.extensions), 'makeCredential'),
    options: options(p.get(P.options)),
    ...pinUvAuthParams(p, P.pinUvAuthParam, P.pinUvAuthProtocol),
  };
  const ep = optional(p.get(P.enterpriseAttestation), (v) => uint(v, 'enterpriseAttestation'));
  if (ep !== undefined) req.enterpriseAttestation = ep;
  // CTAP 2.2 attestationFormatsPreference: type-checked; this key always answers packed.
  optional(p.get(P.attestationFormatsPreference), (v) => array(v, 'attestationFormatsPreference').map((f) => text(f, 'attestationFormatsPreference')));
  return req;
}

/** Step 3: the first entry of type public-key whose algorithm this key has (the RP's order wins). */
function chooseAlgorithm(device: FidoDevice, params: MakeCredentialRequest['pubKeyCredParams']): CredentialAlgorithm {
  for (const { type, alg } of params) {
    if (type !== 'public-key') continue; // unknown credential types are skipped (WebAuthn §5.8.2)
    const algorithm = device.algorithm(alg);
    if (algorithm !== undefined) return algorithm;
  }
  throw fail(S.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
}

async function makeCredential(device: FidoDevice, req: MakeCredentialRequest, ctx: CtapHidContext): Promise<Map<number, unknown>> {
  const profile = device.profile;
  if (req.clientDataHash.length !== 32) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'clientDataHash');
  const protocol = await pinUvAuthProtocolOf(device, req, ctx); // steps 1–2
  const algorithm = chooseAlgorithm(device, req.pubKeyCredParams); // step 3
  // Step 5: options. uv is treated as false when a pinUvAuthParam came (5.2).
  let uvOption = protocol === undefined && req.options.uv === true;
  if (uvOption && device.userVerifier?.configured() !== true) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'uv: no built-in user verification'); // 5.3
  if (req.options.rk !== undefined && profile.options.rk === undefined) throw fail(S.CTAP2_ERR_UNSUPPORTED_OPTION, 'rk'); // 5.4
  if (req.options.rk === true && profile.options.rk !== true) throw fail(S.CTAP2_ERR_UNSUPPORTED_OPTION, 'rk');
  if (req.options.up === false) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'up'); // 5.6
  const rk = req.options.rk === true;
  // Step 6: alwaysUv — no operation without user verification.
  if (protocol === undefined && !uvOption && alwaysUv(device)) uvOption = uvForAlwaysUv(device);
  const isProtected = device.protectedByUv;
  // Steps 7–8: a key protected by UV needs it, unless makeCredUvNotRqd spares a non-discoverable credential.
  if (isProtected && !uvOption && protocol === undefined && (!makeCredUvNotRequired(device) || rk)) {
    const pinForMcGa = profile.options.clientPin !== undefined && profile.options.noMcGaPermissionsWithClientPin !== true;
    throw fail(pinForMcGa && device.pinIsSet ? S.CTAP2_ERR_PUAT_REQUIRED : S.CTAP2_ERR_OPERATION_DENIED);
  }
  // Step 9: enterprise attestation, where the key has it enabled.
  const epAtt = enterpriseAttestationFor(device, req.enterpriseAttestation, req.rp.id);
  // Step 11: the pinUvAuthParam, or built-in UV.
  let uv = false;
  let upFromUv = false;
  if (protocol !== undefined) {
    // A key with no PIN and no built-in UV has issued no token: PIN_NOT_SET (CTAP 2.1 has no step for it).
    if (!isProtected) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
    authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam!, message: req.clientDataHash, permission: PERMISSION.mc, rpId: req.rp.id });
    uv = true;
  } else if (uvOption) {
    await verifyBuiltIn(device, ctx, 'makeCredential');
    uv = upFromUv = true; // step 13: built-in UV is evidence of presence too
  }
  const rpIdHash = sha256(new TextEncoder().encode(req.rp.id));
  // Step 12: a credential of ours in the excludeList: wait for presence, then refuse.
  for (const d of req.excludeList) {
    if (d.type !== 'public-key') continue;
    const record = device.usableCredential(rpIdHash, d.id);
    if (record === undefined) continue;
    if (filtersCredentials(device) && !applicable(device, record.extensions, extensionContext(req, rpIdHash, uv, false, protocol?.version, d.id, record.privateKey))) continue;
    if (!upFromUv) await device.requireTouch(ctx, 'excluded');
    throw fail(S.CTAP2_ERR_CREDENTIAL_EXCLUDED);
  }
  // Step 14: user presence (a token whose userPresent flag is set spares the touch).
  const token = uv && protocol !== undefined ? device.volatile(PIN_UV_AUTH_TOKEN) : undefined;
  if (!upFromUv && token?.userPresent !== true) await device.requireTouch(ctx, 'makeCredential');
  token?.spend(); // 14.4
  // Steps 15–17: extensions, the key, the credential ID that seals both.
  const key = await algorithm.generate(device.env.random);
  const ext = req.extensions.size === 0 ? NO_RESULTS : await runExtensions(device, req.extensions, extensionContext(req, rpIdHash, uv, true, protocol?.version, undefined, key.privateKey));
  const id = sealCredential(device.masterKey, rpIdHash, { alg: algorithm.alg, privateKey: key.privateKey, extensions: ext.stored, ...(rk ? { discoverable: true } : {}) }, device.env.random.bytes(12));
  if (rk) {
    // Step 18: replaces a credential of the same RP and user handle.
    const cred: ResidentCredential = { id, rpIdHash, rpId: req.rp.id, userId: req.user.id, createdMs: device.env.clock.now() };
    if (req.user.name !== undefined) cred.userName = req.user.name;
    if (req.user.displayName !== undefined) cred.displayName = req.user.displayName;
    if (!device.store.putResident(cred, profile.limits.maxDiscoverableCredentials)) throw fail(S.CTAP2_ERR_KEY_STORE_FULL);
  }
  // Step 19: packed attestation, batch (the attestation key, ES256) or self (the new key).
  const flags = FLAG.UP | (uv ? FLAG.UV : 0);
  const extensionsCbor = ext.outputs.size > 0 ? encodeCbor(ext.outputs) : undefined;
  // Counter 0 at creation: the first assertion reports 1.
  const authData = authenticatorData(rpIdHash, flags, 0, { aaguid: device.aaguid, credentialId: id, publicKey: encodeCbor(key.publicKey()) }, extensionsCbor);
  const signed = concat(authData, req.clientDataHash);
  const attStmt = new Map<string, unknown>();
  if (epAtt) {
    // §7.1: the enterprise attestation certificate names this device.
    const ea = await enterpriseAttestationKey(device);
    attStmt.set('alg', ea.key.alg);
    attStmt.set('sig', await ea.key.sign(signed));
    attStmt.set('x5c', [ea.cert]);
  } else if (profile.attestation === 'batch') {
    attStmt.set('alg', device.attestationKey.alg);
    attStmt.set('sig', await device.attestationKey.sign(signed));
    attStmt.set('x5c', [device.identity.attestationCert]);
  } else {
    attStmt.set('alg', key.alg);
    attStmt.set('sig', await key.sign(signed));
  }
  device.emit({ event: 'credential_created', rpId: req.rp.id, resident: rk, uv });
  const response = new Map<number, unknown>([
    [R.fmt, 'packed'],
    [R.authData, authData],
    [R.attStmt, attStmt],
  ]);
  if (epAtt) response.set(R.epAtt, true);
  for (const [k, v] of ext.response) response.set(k, v);
  if (ext.unsigned.size > 0) response.set(R.unsignedExtensionOutputs, ext.unsigned);
  return response;
}

function extensionContext(
  req: MakeCredentialRequest,
  rpIdHash: Uint8Array,
  uv: boolean,
  forNew: boolean,
  pinUvAuthProtocol: number | undefined,
  credentialId: Uint8Array | undefined,
  privateKey: Uint8Array,
): ExtensionContext {
  return {
    command: 'makeCredential',
    rpId: req.rp.id,
    rpIdHash,
    clientDataHash: req.clientDataHash,
    uv,
    up: true,
    pinUvAuthProtocol,
    discoverable: forNew && req.options.rk === true,
    credentialListGiven: !forNew,
    credentialId,
    credentialSecret: (label) => credentialSecret(privateKey, label),
  };
}

export const authenticatorMakeCredential = defineCommand<MakeCredentialRequest>({
  code: CTAP2_CMD.MAKE_CREDENTIAL,
  name: 'authenticatorMakeCredential',
  available: speaksCtap2,
  parse,
  handle: makeCredential,
});
