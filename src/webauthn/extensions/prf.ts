/**
 * prf (WebAuthn L3 §10.1.4), hmacCreateSecret and hmacGetSecret (CTAP 2.1 §12.5's WebAuthn
 * extensions), which all map to the authenticator's hmac-secret:
 *
 * - create: `"hmac-secret": true`; prf's `eval` also goes to hmac-secret-mc (CTAP 2.2 §12.8)
 *   when the key has it, so `results` come back at registration. Outputs: `prf.enabled`,
 *   `prf.results`, `hmacCreateSecret`.
 * - get: the salts go to hmac-secret encrypted under a fresh shared secret. prf's salts are
 *   SHA-256("WebAuthn PRF" ‖ 0x00 ‖ input) (§10.1.4), hmacGetSecret's are sent as they are.
 *   `evalByCredential` picks the input of the credential in allowCredentials the key holds: with
 *   several, a silent getAssertion (up=false) per credential finds it first, as browsers do.
 *   Outputs: `prf.results` (`first`, `second`), `hmacGetSecret` (`output1`, `output2`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { badInput } from '../../errors.js';
import { type CborValue } from '../../protocol/cbor.js';
import type { CredentialDescriptor } from '../../ctap/ctap2.js';
import { HmacSecretSalts, type HmacSecretOutputs } from '../../ctap/hmac-secret.js';
import { toBase64Url } from '../base64url.js';
import type { ClientExtension, ClientExtensionContext, ClientExtensionResult, PreparedClientExtension } from './extension.js';
import { binary, boolean, notSupported, object } from './inputs.js';

const PRF_CONTEXT = new TextEncoder().encode('WebAuthn PRF');

/** The hmac-secret salt of a PRF input (WebAuthn L3 §10.1.4): SHA-256(UTF-8("WebAuthn PRF") ‖ 0x00 ‖ input). */
export function prfSalt(input: Uint8Array): Uint8Array {
  const message = new Uint8Array(PRF_CONTEXT.length + 1 + input.length);
  message.set(PRF_CONTEXT);
  message.set(input, PRF_CONTEXT.length + 1);
  return sha256(message);
}

interface PrfValues {
  first: Uint8Array;
  second?: Uint8Array;
}

function prfValues(v: unknown, what: string): PrfValues {
  const o = object(v, what);
  const out: PrfValues = { first: binary(o.first, `${what}.first`) };
  if (o.second !== undefined) out.second = binary(o.second, `${what}.second`);
  return out;
}

function prfResults(o: HmacSecretOutputs): Record<string, string> {
  return { first: toBase64Url(o.output1), ...(o.output2 !== undefined ? { second: toBase64Url(o.output2) } : {}) };
}

function hmacOutputs(o: HmacSecretOutputs): Record<string, string> {
  return { output1: toBase64Url(o.output1), ...(o.output2 !== undefined ? { output2: toBase64Url(o.output2) } : {}) };
}

const salted = (v: PrfValues): [Uint8Array, Uint8Array | undefined] => [prfSalt(v.first), v.second === undefined ? undefined : prfSalt(v.second)];

function create(inputs: Readonly<Record<string, unknown>>, ctx: ClientExtensionContext): Promise<PreparedClientExtension | undefined> | PreparedClientExtension | undefined {
  const prf = inputs.prf === undefined ? undefined : object(inputs.prf, 'extensions.prf');
  const createSecret = inputs.hmacCreateSecret === undefined ? false : boolean(inputs.hmacCreateSecret, 'extensions.hmacCreateSecret');
  if (inputs.hmacGetSecret !== undefined) throw notSupported('extensions.hmacGetSecret is for authentication, not registration');
  if (prf?.evalByCredential !== undefined) throw notSupported('extensions.prf.evalByCredential is not allowed at registration (WebAuthn L3 §10.1.4)');
  const evaluate = prf?.eval === undefined ? undefined : prfValues(prf.eval, 'extensions.prf.eval');
  if (prf === undefined && !createSecret) return undefined;
  const outputs = (enabled: boolean, results?: HmacSecretOutputs): Record<string, unknown> => ({
    ...(prf !== undefined ? { prf: { enabled, ...(results !== undefined ? { results: prfResults(results) } : {}) } } : {}),
    ...(createSecret ? { hmacCreateSecret: enabled } : {}),
  });
  if (!ctx.info.extensions.includes('hmac-secret')) return { finish: () => outputs(false) };
  if (evaluate === undefined || !ctx.info.extensions.includes('hmac-secret-mc')) {
    return { inputs: new Map<string, CborValue>([['hmac-secret', true]]), finish: (r) => outputs(r.authenticatorOutputs.get('hmac-secret') === true) };
  }
  return (async () => {
    const salts = await HmacSecretSalts.prepare(await ctx.clientPin(), ...salted(evaluate));
    return {
      inputs: new Map<string, CborValue>([['hmac-secret', true], ['hmac-secret-mc', salts.input]]),
      finish: (r: ClientExtensionResult) => {
        const enabled = r.authenticatorOutputs.get('hmac-secret') === true;
        const mc = r.authenticatorOutputs.get('hmac-secret-mc');
        return outputs(enabled, enabled && mc !== undefined ? salts.decrypt(mc) : undefined);
      },
      dispose: () => salts.dispose(),
    };
  })();
}

/** The credential of allowCredentials the key holds: a silent getAssertion (up=false) per credential. */
async function probe(ctx: ClientExtensionContext): Promise<CredentialDescriptor | undefined> {
  for (const d of ctx.allowCredentials) {
    try {
      await ctx.ctap2.getAssertion({ rpId: ctx.rpId, clientDataHash: ctx.randomBytes(32), allowList: [d], options: { up: false } });
      return d;
    } catch {
      // not this key's credential
    }
  }
  return undefined;
}

async function get(inputs: Readonly<Record<string, unknown>>, ctx: ClientExtensionContext): Promise<PreparedClientExtension | undefined> {
  if (inputs.hmacCreateSecret !== undefined) throw notSupported('extensions.hmacCreateSecret is for registration, not authentication');
  if (inputs.prf !== undefined && inputs.hmacGetSecret !== undefined) throw badInput('extensions.prf and extensions.hmacGetSecret both use hmac-secret: give one of them');
  let salts: [Uint8Array, Uint8Array | undefined] | undefined;
  let allowCredentials: CredentialDescriptor[] | undefined;
  const which: 'prf' | 'hmacGetSecret' = inputs.prf !== undefined ? 'prf' : 'hmacGetSecret';
  if (inputs.prf !== undefined) {
    const prf = object(inputs.prf, 'extensions.prf');
    const evaluate = prf.eval === undefined ? undefined : prfValues(prf.eval, 'extensions.prf.eval');
    const byCredential = prf.evalByCredential === undefined ? {} : object(prf.evalByCredential, 'extensions.prf.evalByCredential');
    const ids = Object.keys(byCredential);
    if (ids.length > 0 && ctx.allowCredentials.length === 0) throw notSupported('extensions.prf.evalByCredential needs allowCredentials (WebAuthn L3 §10.1.4)');
    const allowed = new Set(ctx.allowCredentials.map((d) => toBase64Url(d.id)));
    for (const id of ids) if (id === '' || !allowed.has(toBase64Url(binary(id, `extensions.prf.evalByCredential key ${JSON.stringify(id)}`)))) throw badInput(`extensions.prf.evalByCredential names ${JSON.stringify(id)}, which is not in allowCredentials`);
    let chosen: CredentialDescriptor | undefined;
    if (ids.length > 0) {
      chosen = ctx.allowCredentials.length === 1 ? ctx.allowCredentials[0] : await probe(ctx);
      if (chosen !== undefined && ctx.allowCredentials.length > 1) allowCredentials = [chosen];
    }
    const entry = chosen === undefined ? undefined : Object.entries(byCredential).find(([id]) => toBase64Url(binary(id, 'evalByCredential key')) === toBase64Url(chosen.id));
    const values = entry !== undefined ? prfValues(entry[1], `extensions.prf.evalByCredential.${entry[0]}`) : evaluate;
    if (values !== undefined) salts = salted(values);
  } else if (inputs.hmacGetSecret !== undefined) {
    const o = object(inputs.hmacGetSecret, 'extensions.hmacGetSecret');
    salts = [binary(o.salt1, 'extensions.hmacGetSecret.salt1', 32), o.salt2 === undefined ? undefined : binary(o.salt2, 'extensions.hmacGetSecret.salt2', 32)];
  } else {
    return undefined;
  }
  const empty = (): Record<string, unknown> => (which === 'prf' ? { prf: {} } : {});
  if (salts === undefined || !ctx.info.extensions.includes('hmac-secret')) return { ...(allowCredentials !== undefined ? { allowCredentials } : {}), finish: empty };
  const prepared = await HmacSecretSalts.prepare(await ctx.clientPin(), salts[0], salts[1]);
  return {
    inputs: new Map<string, CborValue>([['hmac-secret', prepared.input]]),
    ...(allowCredentials !== undefined ? { allowCredentials } : {}),
    finish: (r) => {
      const output = r.authenticatorOutputs.get('hmac-secret');
      if (output === undefined) return empty(); // a credential made without hmac-secret
      const o = prepared.decrypt(output);
      return which === 'prf' ? { prf: { results: prfResults(o) } } : { hmacGetSecret: hmacOutputs(o) };
    },
    dispose: () => prepared.dispose(),
  };
}

export const PRF: ClientExtension = {
  ids: ['prf', 'hmacCreateSecret', 'hmacGetSecret'],
  prepare: (inputs, ctx) => (ctx.ceremony === 'create' ? create(inputs, ctx) : get(inputs, ctx)),
};
