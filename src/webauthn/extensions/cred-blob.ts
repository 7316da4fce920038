/**
 * credBlob and getCredBlob (CTAP 2.1 §12.2's WebAuthn extensions): a small blob stored with
 * the credential at registration (output `credBlob`: whether it was stored) and read back at
 * authentication (output `getCredBlob`: the blob, empty when the credential has none).
 */
import type { CborValue } from '../../protocol/cbor.js';
import { toBase64Url } from '../base64url.js';
import type { ClientExtension } from './extension.js';
import { binary, boolean, notSupported } from './inputs.js';

export const CRED_BLOB: ClientExtension = {
  ids: ['credBlob', 'getCredBlob'],
  prepare(inputs, ctx) {
    const supported = ctx.info.extensions.includes('credBlob');
    if (ctx.ceremony === 'create') {
      if (inputs.getCredBlob !== undefined) throw notSupported('extensions.getCredBlob is for authentication, not registration');
      if (inputs.credBlob === undefined) return undefined;
      const blob = binary(inputs.credBlob, 'extensions.credBlob');
      if (!supported) return { finish: () => ({ credBlob: false }) };
      return { inputs: new Map<string, CborValue>([['credBlob', blob]]), finish: (r) => ({ credBlob: r.authenticatorOutputs.get('credBlob') === true }) };
    }
    if (inputs.credBlob !== undefined) throw notSupported('extensions.credBlob is for registration, not authentication');
    if (inputs.getCredBlob === undefined || !boolean(inputs.getCredBlob, 'extensions.getCredBlob') || !supported) return undefined;
    return {
      inputs: new Map<string, CborValue>([['getCredBlob', true]]),
      finish: (r) => {
        const blob = r.authenticatorOutputs.get('credBlob');
        return blob instanceof Uint8Array ? { getCredBlob: toBase64Url(blob) } : {};
      },
    };
  },
};
