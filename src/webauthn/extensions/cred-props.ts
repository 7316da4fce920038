/**
 * credProps (WebAuthn L3 §10.1.3): a client-only extension; the registration's output
 * `credProps.rk` says whether the credential is client-side discoverable (the client asked the
 * key for a resident credential). Nothing goes to the authenticator.
 */
import type { ClientExtension } from './extension.js';
import { boolean } from './inputs.js';

export const CRED_PROPS: ClientExtension = {
  ids: ['credProps'],
  prepare(inputs, ctx) {
    if (ctx.ceremony !== 'create' || !boolean(inputs.credProps, 'extensions.credProps')) return undefined;
    return { finish: () => ({ credProps: { rk: ctx.residentKey } }) };
  },
};
