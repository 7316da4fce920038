/**
 * hmac-secret (CTAP 2.1 §12.5; CTAP 2.2 §12.7): a symmetric secret per credential that the
 * platform reaches through the PIN/UV auth protocol's shared secret — what WebAuthn's prf,
 * systemd-cryptenroll, KeePassXC and password managers build on.
 *
 * - makeCredential: `"hmac-secret": true` gives the credential two secrets, CredRandomWithUV
 *   and CredRandomWithoutUV; the output is `true`.
 * - getAssertion: the input `{1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol}`
 *   carries one or two 32-byte salts encrypted under the shared secret of a clientPIN key
 *   agreement; the output is encrypt(shared secret, HMAC-SHA-256(CredRandom, salt1)
 *   [‖ HMAC-SHA-256(CredRandom, salt2)]), with CredRandomWithUV when the assertion has UV.
 *
 * The two CredRandoms are derived from the credential's private key (`credentialSecret`), so
 * the credential ID carries only the flag that the credential has them. hmac-secret-mc
 * (./hmac-secret-mc.ts) runs the same computation at creation.
 */
import { createHmac } from 'node:crypto';
import type { CborValue } from '../../../src/protocol/cbor.js';
import type { PinUvAuthProtocol } from '../../../src/protocol/pin-uv-auth-protocol.js';
import { bool, bytes, map, optional, uint } from '../cbor-params.js';
import { KEY_AGREEMENT } from '../commands/client-pin.js';
import type { FidoDevice } from '../device.js';
import { S, fail } from '../errors.js';
import type { Extension, ExtensionHookContext } from './extension.js';

/** The getAssertion input (and hmac-secret-mc's makeCredential input) after type checks. */
export interface HmacSecretInput {
  keyAgreement: Map<CborValue, CborValue>;
  saltEnc: Uint8Array;
  saltAuth: Uint8Array;
  /** Absent means protocol One (§12.5: "If pinUvAuthProtocol is absent ... 1"). */
  pinUvAuthProtocol: number;
}

/** The members of the salt input map (§12.5). */
export const HMAC_SECRET_INPUT = { keyAgreement: 0x01, saltEnc: 0x02, saltAuth: 0x03, pinUvAuthProtocol: 0x04 } as const;

/** Type-check the salt input map: MISSING_PARAMETER or CBOR_UNEXPECTED_TYPE naming the member. */
export function parseHmacSecretInput(value: CborValue, what: string): HmacSecretInput {
  const m = map(value, what);
  return {
    keyAgreement: map(m.get(HMAC_SECRET_INPUT.keyAgreement), `${what}.keyAgreement`),
    saltEnc: bytes(m.get(HMAC_SECRET_INPUT.saltEnc), `${what}.saltEnc`),
    saltAuth: bytes(m.get(HMAC_SECRET_INPUT.saltAuth), `${what}.saltAuth`),
    pinUvAuthProtocol: optional(m.get(HMAC_SECRET_INPUT.pinUvAuthProtocol), (v) => uint(v, `${what}.pinUvAuthProtocol`)) ?? 1,
  };
}

/** The label of each CredRandom in `credentialSecret`. */
const CRED_RANDOM = { withUv: 'CredRandomWithUV', withoutUv: 'CredRandomWithoutUV' } as const;

function decryptSalts(protocol: PinUvAuthProtocol, shared: Uint8Array, saltEnc: Uint8Array): Uint8Array | undefined {
  try {
    return protocol.decrypt(shared, saltEnc);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/**
 * The encrypted outputs for `input` under this operation's CredRandom (§12.5 getAssertion
 * steps; CTAP 2.2 §12.7): an unsupported protocol or a bad platform key is
 * CTAP1_ERR_INVALID_PARAMETER, a saltAuth that does not verify CTAP2_ERR_PIN_AUTH_INVALID,
 * salts that do not decrypt to 32 or 64 bytes CTAP1_ERR_INVALID_PARAMETER.
 */
export function hmacSecretOutput(device: FidoDevice, input: HmacSecretInput, ctx: ExtensionHookContext): Uint8Array {
  const protocol = device.pinUvAuthProtocol(input.pinUvAuthProtocol);
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'hmac-secret pinUvAuthProtocol');
  const shared = device.volatile(KEY_AGREEMENT).sharedSecret(protocol, input.keyAgreement); // decapsulate
  if (!protocol.verify(shared, input.saltEnc, input.saltAuth)) throw fail(S.CTAP2_ERR_PIN_AUTH_INVALID, 'hmac-secret saltAuth');
  const salts = decryptSalts(protocol, shared, input.saltEnc);
  if (salts === undefined || (salts.length !== 32 && salts.length !== 64)) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'hmac-secret salts must be 32 or 64 bytes');
  const credRandom = ctx.credentialSecret(ctx.uv ? CRED_RANDOM.withUv : CRED_RANDOM.withoutUv);
  const outputs = new Uint8Array(salts.length);
  for (let off = 0; off < salts.length; off += 32) outputs.set(createHmac('sha256', credRandom).update(salts.subarray(off, off + 32)).digest(), off);
  const encrypted = protocol.encrypt(shared, outputs, protocol.version === 2 ? device.env.random.bytes(16) : undefined);
  for (const b of [shared, salts, outputs, credRandom]) b.fill(0);
  return encrypted;
}

export const HMAC_SECRET: Extension<boolean, HmacSecretInput> = {
  id: 'hmac-secret',
  parseMakeCredential: (v) => bool(v, 'hmac-secret'),
  makeCredential: (_device, wanted) => (wanted ? { stored: true, output: true } : { output: false }),
  parseGetAssertion: (v) => parseHmacSecretInput(v, 'hmac-secret'),
  getAssertion(device, input, stored, ctx) {
    // §12.5: hmac-secret needs user presence; an assertion with up=false cannot have it.
    if (!ctx.up) throw fail(S.CTAP2_ERR_UNSUPPORTED_OPTION, 'hmac-secret with up=false');
    // A credential made without hmac-secret has no CredRandom: no output.
    if (stored !== true) return {};
    return { output: hmacSecretOutput(device, input, ctx) };
  },
};
