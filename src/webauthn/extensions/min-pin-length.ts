/**
 * minPinLength (CTAP 2.1 §12.4): `minPinLength: true` at registration asks the key for its
 * current minimum PIN length, which a key answers in the authenticator data only to RPs it was
 * configured to trust (authenticatorConfig setMinPINLength minPinLengthRPIDs). No client output.
 */
import type { CborValue } from '../../protocol/cbor.js';
import type { ClientExtension } from './extension.js';
import { boolean } from './inputs.js';

export const MIN_PIN_LENGTH: ClientExtension = {
  ids: ['minPinLength'],
  prepare(inputs, ctx) {
    if (ctx.ceremony !== 'create') return undefined;
    const wanted = boolean(inputs.minPinLength, 'extensions.minPinLength');
    if (!wanted || !ctx.info.extensions.includes('minPinLength')) return undefined;
    return { inputs: new Map<string, CborValue>([['minPinLength', true]]), finish: () => ({}) };
  },
};
