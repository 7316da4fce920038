/**
 * largeBlob (WebAuthn L3 §10.1.5) over CTAP 2.1 large blobs: at registration `support`
 * asks for a credential that can have one (a discoverable credential with a largeBlobKey, on a
 * key with the largeBlobs option); at authentication `read` returns the credential's blob and
 * `write` replaces it (exactly one allowCredentials entry), through the largeBlobKey the
 * authenticator returns and the encrypted large-blob array (../../ctap/large-blob-array.ts).
 * A write on a key with a PIN needs the PIN: the ceremony's pinUvAuthToken gets the lbw
 * permission, which outlives the getAssertion it authorizes (CTAP 2.1 §6.2.2 step 9).
 */
import { badInput } from '../../errors.js';
import type { CborValue } from '../../protocol/cbor.js';
import { largeBlobsWriteMessage } from '../../protocol/large-blob-array.js';
import { PERMISSION } from '../../ctap/client-pin.js';
import { LargeBlobArray } from '../../ctap/large-blob-array.js';
import { canUseBuiltInUv } from '../../ctap/user-verification.js';
import { toBase64Url } from '../base64url.js';
import type { ClientExtension, ClientExtensionContext, ClientExtensionResult } from './extension.js';
import { binary, boolean, notSupported, object } from './inputs.js';

function keyHasLargeBlobs(ctx: Pick<ClientExtensionContext, 'info'>): boolean {
  return ctx.info.options.largeBlobs === true && ctx.info.extensions.includes('largeBlobKey');
}

const LARGE_BLOB_KEY = new Map<string, CborValue>([['largeBlobKey', true]]);

export const LARGE_BLOB: ClientExtension = {
  ids: ['largeBlob'],
  prepare(inputs, ctx) {
    if (inputs.largeBlob === undefined) return undefined;
    const input = object(inputs.largeBlob, 'extensions.largeBlob');
    if (ctx.ceremony === 'create') {
      if (input.read !== undefined || input.write !== undefined) throw notSupported('extensions.largeBlob read and write are for authentication (WebAuthn L3 §10.1.5)');
      const support = input.support ?? 'preferred';
      if (support !== 'required' && support !== 'preferred') throw badInput('extensions.largeBlob.support must be "required" or "preferred"');
      if (!keyHasLargeBlobs(ctx) || !ctx.residentKey) {
        if (support === 'required') throw notSupported(ctx.residentKey ? 'largeBlob support is required but the key has no large blobs' : 'largeBlob support is required but the credential is not discoverable (residentKey "required")');
        return { finish: () => ({ largeBlob: { supported: false } }) };
      }
      return { inputs: LARGE_BLOB_KEY, finish: (r) => ({ largeBlob: { supported: r.largeBlobKey !== undefined } }) };
    }
    if (input.support !== undefined) throw notSupported('extensions.largeBlob.support is for registration (WebAuthn L3 §10.1.5)');
    const read = input.read === undefined ? false : boolean(input.read, 'extensions.largeBlob.read');
    const write = input.write === undefined ? undefined : binary(input.write, 'extensions.largeBlob.write');
    if (read && write !== undefined) throw notSupported('extensions.largeBlob: read and write together are not allowed');
    if (!read && write === undefined) return undefined;
    if (write !== undefined && ctx.allowCredentials.length !== 1) throw notSupported('extensions.largeBlob.write needs exactly one allowCredentials entry');
    if (!keyHasLargeBlobs(ctx)) return { finish: () => ({ largeBlob: write === undefined ? {} : { written: false } }) };
    // A key protected by user verification takes writes under a token with lbw (§6.10.2): from
    // the finger where its built-in UV grants that, else from the PIN.
    const uvProtected = ctx.info.options.clientPin === true || ctx.info.options.uv === true;
    if (write !== undefined && uvProtected && !ctx.pinGiven && !canUseBuiltInUv(ctx.info, PERMISSION.lbw)) throw badInput('extensions.largeBlob.write: the key has a PIN; give it (--pin) so the write can be authorized');
    return {
      inputs: LARGE_BLOB_KEY,
      ...(write !== undefined && uvProtected ? { permissions: PERMISSION.lbw } : {}),
      async finish(r: ClientExtensionResult) {
        if (r.largeBlobKey === undefined) return { largeBlob: write === undefined ? {} : { written: false } };
        const blobs = new LargeBlobArray(r.ctap2, r.info, ctx.randomBytes);
        if (write === undefined) {
          const blob = await blobs.get(r.largeBlobKey);
          return { largeBlob: blob === undefined ? {} : { blob: toBase64Url(blob) } };
        }
        const auth = r.pinUvAuth;
        await blobs.put(r.largeBlobKey, write, auth === undefined ? undefined : (offset, fragment) => ({ pinUvAuthParam: auth.protocol.authenticate(auth.token, largeBlobsWriteMessage(offset, fragment)), pinUvAuthProtocol: auth.protocol.version }));
        return { largeBlob: { written: true } };
      },
    };
  },
};
