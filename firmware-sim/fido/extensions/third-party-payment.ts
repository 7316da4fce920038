/**
 * thirdPartyPayment (CTAP 2.2 §12.9): a credential created with `"thirdPartyPayment": true`
 * may be used to authenticate payments a party other than its relying party initiates (W3C
 * Secure Payment Confirmation). The flag is kept with the credential; makeCredential outputs
 * `true` when it was set, and a getAssertion that asks (`"thirdPartyPayment": true`) gets
 * whether the asserted credential has it. Credential management reports it as member 0x0C.
 */
import type { CborValue } from '../../../src/protocol/cbor.js';
import { bool } from '../cbor-params.js';
import { CREDENTIAL_MANAGEMENT_RESPONSE } from '../../../src/protocol/ctap2-parameters.js';
import type { Extension } from './extension.js';

export const THIRD_PARTY_PAYMENT: Extension<boolean, boolean> = {
  id: 'thirdPartyPayment',
  parseMakeCredential: (v) => bool(v, 'thirdPartyPayment'),
  makeCredential: (_device, wanted) => (wanted ? { stored: true, output: true } : {}),
  parseGetAssertion: (v) => bool(v, 'thirdPartyPayment'),
  getAssertion: (_device, asked, stored: CborValue | undefined) => (asked ? { output: stored === true } : {}),
  // CTAP 2.2 §6.8.4: enumerateCredentials says whether each credential has it (0x0C).
  credentialManagement: (stored) => new Map([[CREDENTIAL_MANAGEMENT_RESPONSE.thirdPartyPayment, stored === true]]),
};
