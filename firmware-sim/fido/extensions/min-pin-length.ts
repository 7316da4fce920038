/**
 * The minPinLength extension (CTAP 2.1 §12.4): at creation, an RP the key trusts with it
 * learns the current minimum PIN length. Trusted are the RP IDs the profile pre-configures and
 * those authenticatorConfig setMinPINLength named (minPinLengthRPIDs); any other RP gets no
 * output, and neither does a request whose input is false.
 */
import { bool } from '../cbor-params.js';
import { minPinLengthRpIds } from '../settings.js';
import type { Extension } from './extension.js';

export const MIN_PIN_LENGTH_EXTENSION: Extension<boolean> = {
  id: 'minPinLength',
  parseMakeCredential: (input) => bool(input, 'extensions.minPinLength'),
  makeCredential(device, wanted, ctx) {
    if (!wanted || !minPinLengthRpIds(device).includes(ctx.rpId)) return {};
    return { output: device.minPinLength };
  },
};
