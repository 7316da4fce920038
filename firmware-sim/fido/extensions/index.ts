/**
 * The extension registry: every CTAP extension the simulated authenticator implements, one
 * module each (CTAP 2.1 §12, CTAP 2.2 §12). A profile's `extensions` picks from these, in the
 * order getInfo lists them; adding an extension is a new module and one line in this table.
 */
import { CRED_PROTECT_EXTENSION } from './cred-protect.js';
import type { Extension } from './extension.js';
import { MIN_PIN_LENGTH_EXTENSION } from './min-pin-length.js';

export type { Extension, ExtensionOutputs, ExtensionContext } from './extension.js';

/** The implemented extensions, by extension identifier. */
export const EXTENSIONS: ReadonlyMap<string, Extension> = new Map(
  ([
    CRED_PROTECT_EXTENSION, // CTAP 2.1 §12.1
    MIN_PIN_LENGTH_EXTENSION, // CTAP 2.1 §12.4
  ] as Extension[]).map((e) => [e.id, e]),
);
