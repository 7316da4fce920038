/**
 * The extension registry: every CTAP extension the simulated authenticator implements, one
 * module each (CTAP 2.1 §12, CTAP 2.2 §12). A profile's `extensions` picks from these, in the
 * order getInfo lists them; adding an extension is a new module and one line in this table.
 */
import { CRED_BLOB } from './cred-blob.js';
import { CRED_PROTECT_EXTENSION } from './cred-protect.js';
import type { Extension } from './extension.js';
import { HMAC_SECRET } from './hmac-secret.js';
import { HMAC_SECRET_MC } from './hmac-secret-mc.js';
import { LARGE_BLOB_KEY } from './large-blob-key.js';
import { MIN_PIN_LENGTH_EXTENSION } from './min-pin-length.js';
import { THIRD_PARTY_PAYMENT } from './third-party-payment.js';

export type { Extension, ExtensionOutputs, ExtensionContext, ExtensionHookContext } from './extension.js';

/** The implemented extensions, by extension identifier. */
export const EXTENSIONS: ReadonlyMap<string, Extension> = new Map(
  ([
    CRED_PROTECT_EXTENSION, // §12.1 (CTAP 2.1)
    CRED_BLOB, //           §12.2 (CTAP 2.1)
    LARGE_BLOB_KEY, //      §12.3 (CTAP 2.1)
    MIN_PIN_LENGTH_EXTENSION, // §12.4 (CTAP 2.1)
    HMAC_SECRET, //         §12.5 (CTAP 2.1), §12.7 (CTAP 2.2)
    HMAC_SECRET_MC, //      §12.8 (CTAP 2.2)
    THIRD_PARTY_PAYMENT, // §12.9 (CTAP 2.2)
  ] as Extension[]).map((e) => [e.id, e]),
);
