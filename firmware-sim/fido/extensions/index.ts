/**
 * The extension registry: every CTAP extension the simulated authenticator implements, one
 * module each (CTAP 2.1 §12, CTAP 2.2 §12). A profile's `extensions` picks from these, in the
 * order getInfo lists them; adding an extension is a new module and one line in this table.
 */
import type { Extension } from './extension.js';

export type { Extension, ExtensionOutputs, ExtensionContext } from './extension.js';

/** The implemented extensions, by extension identifier. */
export const EXTENSIONS: ReadonlyMap<string, Extension> = new Map(
  ([] as Extension[]).map((e) => [e.id, e]),
);
