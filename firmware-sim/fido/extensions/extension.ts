/**
 * The interface every CTAP extension implements (CTAP 2.1 §12 "Defined Extensions", WebAuthn
 * §9). An extension is one module: what it adds to getInfo, how it reads its input in
 * makeCredential and getAssertion, what it writes into the authenticator data's extensions
 * (or the response), and what it keeps with the credential.
 *
 * The authenticator calls the hooks in the commands' numbered steps:
 * - getInfo: `info` adds members (maxCredBlobLength) or live option values;
 * - parsing: `parseMakeCredential` / `parseGetAssertion` check the input's CBOR type
 *   (CTAP2_ERR_CBOR_UNEXPECTED_TYPE) when the request's extensions map names the extension and
 *   the profile enables it; inputs of other extensions are ignored (§6.1.2 step 15);
 * - makeCredential step 12 and getAssertion step 7: `applicable` says whether a located
 *   credential counts, given what the extension stored with it (credProtect);
 * - makeCredential step 15 and getAssertion step 10: `makeCredential` / `getAssertion`, called
 *   when the request carried the extension's input, return the outputs;
 * - credentialManagement enumerateCredentials (§6.8.4): `credentialManagement` adds the
 *   members it reports for each credential (credProtect, largeBlobKey, thirdPartyPayment).
 *
 * What `makeCredential` returns as `stored` is sealed into the credential ID with the key
 * (../credential-id.ts), so it travels with resident and non-resident credentials alike and
 * comes back to `applicable` and `getAssertion`.
 *
 * @example
 * ```ts
 * export const CRED_PROTECT: Extension<number> = {
 *   id: 'credProtect',
 *   parseMakeCredential: (v) => uint(v, 'credProtect'),
 *   makeCredential: (_device, level) => ({ stored: level, output: level }),
 *   applicable: (level, ctx) => level !== 3 || ctx.uv,
 * };
 * ```
 */
import type { CborValue } from '../../../src/protocol/cbor.js';
import type { CredentialRecord } from '../credential-id.js';
import type { FidoDevice } from '../device.js';
import type { InfoDraft } from '../info-draft.js';

/** What an extension learns about the operation it takes part in. */
export interface ExtensionContext {
  readonly command: 'makeCredential' | 'getAssertion';
  readonly rpId: string;
  readonly rpIdHash: Uint8Array;
  readonly clientDataHash: Uint8Array;
  /** The UV flag of this operation's authenticator data. */
  readonly uv: boolean;
  /** The UP flag of this operation's authenticator data. */
  readonly up: boolean;
  /** The request's pinUvAuthProtocol, when it carried one. */
  readonly pinUvAuthProtocol: number | undefined;
  /** makeCredential: whether the credential is discoverable (rk); getAssertion: whether it is resident. */
  readonly discoverable: boolean;
  /** Whether the platform named credentials (a non-empty allowList, or the excludeList). */
  readonly credentialListGiven: boolean;
  /** The credential's ID (getAssertion and the excludeList; a new credential has none yet). */
  readonly credentialId: Uint8Array | undefined;
  /**
   * A 32-byte secret of this credential for `label`, the same at creation and at every
   * assertion (derived from its private key, see ../credential-id.ts): a per-credential secret
   * (hmac-secret's CredRandom, a largeBlobKey) without growing the credential ID.
   */
  credentialSecret(label: string): Uint8Array;
}

/** What `makeCredential` and `getAssertion` hooks are told besides the operation. */
export interface ExtensionHookContext extends ExtensionContext {
  /**
   * The parsed inputs of this request's extensions that the key has, by extension id (what
   * `getAssertionInputId` names is filed under the extension's `id`): hmac-secret-mc needs
   * hmac-secret beside it (CTAP 2.2 §12.8).
   */
  readonly inputs: ReadonlyMap<string, unknown>;
}

/** What an extension contributes to one operation. */
export interface ExtensionOutputs {
  /** makeCredential: kept with the credential, handed back to `applicable` and `getAssertion`. */
  stored?: CborValue;
  /** The authenticator extension output, under the extension's id in authData (ED flag set). */
  output?: CborValue;
  /** CTAP 2.2 unsignedExtensionOutputs, under the extension's id. */
  unsignedOutput?: CborValue;
  /** Members of the command's response (largeBlobKey: 0x05 in makeCredential, 0x07 in getAssertion). */
  response?: ReadonlyMap<number, CborValue>;
}

type MaybePromise<T> = T | Promise<T>;

/** One CTAP extension. `McIn` and `GaIn` are its parsed inputs. */
export interface Extension<McIn = unknown, GaIn = unknown> {
  /** The extension identifier: in getInfo `extensions`, the extensions maps and authData. */
  readonly id: string;
  /** The key of its getAssertion input when it differs from `id` (credBlob is read with getCredBlob). */
  readonly getAssertionInputId?: string;
  /** getInfo members or live option values this extension adds (maxCredBlobLength). */
  info?(device: FidoDevice, info: InfoDraft): void;
  /** Check and parse the makeCredential input (CTAP2_ERR_CBOR_UNEXPECTED_TYPE on a wrong type). */
  parseMakeCredential?(input: CborValue, device: FidoDevice): McIn;
  /** makeCredential §6.1.2 step 15, after the key exists and before the credential ID is sealed. */
  makeCredential?(device: FidoDevice, input: McIn, context: ExtensionHookContext): MaybePromise<ExtensionOutputs>;
  /** Check and parse the getAssertion input. */
  parseGetAssertion?(input: CborValue, device: FidoDevice): GaIn;
  /** Whether a located credential stays applicable (§6.2.2 steps 7.4–7.5, §6.1.2 step 12). */
  applicable?(stored: CborValue | undefined, context: ExtensionContext): boolean;
  /** getAssertion §6.2.2 step 10, for the credential being asserted (and each getNextAssertion). */
  getAssertion?(device: FidoDevice, input: GaIn, stored: CborValue | undefined, context: ExtensionHookContext): MaybePromise<ExtensionOutputs>;
  /**
   * credentialManagement enumerateCredentials (§6.8.4): the response members this extension
   * reports for one discoverable credential (CREDENTIAL_MANAGEMENT_RESPONSE keys), from what it
   * stored and the credential itself (a largeBlobKey derives from its private key).
   */
  credentialManagement?(stored: CborValue | undefined, credential: CredentialRecord): ReadonlyMap<number, CborValue> | undefined;
}
