/**
 * How makeCredential and getAssertion run the profile's extensions (CTAP 2.1 §6.1.2 step 15,
 * §6.2.2 steps 7 and 10): read the request's extensions map, ask each enabled extension to
 * parse its input, filter located credentials through `applicable`, and gather outputs.
 */
import type { CborValue } from '../../../src/protocol/cbor.js';
import { textKeyed } from '../cbor-params.js';
import type { FidoDevice } from '../device.js';
import type { Extension, ExtensionContext, ExtensionHookContext, ExtensionOutputs } from './extension.js';

/** The parsed inputs of the request's extensions that this key has, in the profile's order. */
export type ExtensionInputs = ReadonlyMap<Extension, unknown>;

export const NO_EXTENSION_INPUTS: ExtensionInputs = new Map();

/**
 * The extensions map of a request: text keys (CTAP2_ERR_CBOR_UNEXPECTED_TYPE otherwise), each
 * input of an extension the profile has checked by its parser; unknown ones are ignored.
 */
export function parseExtensionInputs(device: FidoDevice, value: CborValue | undefined, command: 'makeCredential' | 'getAssertion'): ExtensionInputs {
  if (value === undefined) return NO_EXTENSION_INPUTS;
  const given = textKeyed(value, 'extensions');
  if (given.size === 0) return NO_EXTENSION_INPUTS;
  const inputs = new Map<Extension, unknown>();
  for (const ext of device.extensions) {
    const key = command === 'getAssertion' ? (ext.getAssertionInputId ?? ext.id) : ext.id;
    const input = given.get(key);
    if (input === undefined) continue;
    const parse = command === 'makeCredential' ? ext.parseMakeCredential : ext.parseGetAssertion;
    const hook = command === 'makeCredential' ? ext.makeCredential : ext.getAssertion;
    if (hook === undefined) continue; // the extension has nothing to do in this command
    inputs.set(ext, parse === undefined ? input : parse.call(ext, input, device));
  }
  return inputs;
}

/**
 * Whether any of the device's extensions can make a located credential not count (credProtect);
 * when none can, the commands skip building each credential's extension context.
 */
export function filtersCredentials(device: FidoDevice): boolean {
  return device.extensions.some((e) => e.applicable !== undefined);
}

/** Whether every extension lets a located credential count (credProtect, §6.2.2 steps 7.4–7.5). */
export function applicable(device: FidoDevice, stored: ReadonlyMap<string, CborValue>, context: ExtensionContext): boolean {
  for (const ext of device.extensions) if (ext.applicable !== undefined && !ext.applicable(stored.get(ext.id), context)) return false;
  return true;
}

/** What the extensions produced for one credential. */
export interface ExtensionResults {
  /** Extension id → stored value (makeCredential). */
  stored: Map<string, CborValue>;
  /** Extension id → authenticator output: the authData extensions map (ED flag), empty when none. */
  outputs: Map<string, CborValue>;
  /** Extension id → unsigned output (CTAP 2.2 unsignedExtensionOutputs). */
  unsigned: Map<string, CborValue>;
  /** Response members the extensions add. */
  response: Map<number, CborValue>;
}

/** What no extension produced. */
export const NO_RESULTS: Readonly<ExtensionResults> = Object.freeze({ stored: new Map(), outputs: new Map(), unsigned: new Map(), response: new Map() });

/** Run the extensions the request named, for one credential, in the profile's order. */
export async function runExtensions(
  device: FidoDevice,
  inputs: ExtensionInputs,
  context: ExtensionContext,
  stored: ReadonlyMap<string, CborValue> = new Map(),
): Promise<ExtensionResults> {
  const results: ExtensionResults = { stored: new Map(), outputs: new Map(), unsigned: new Map(), response: new Map() };
  const hookContext: ExtensionHookContext = { ...context, inputs: new Map([...inputs].map(([ext, input]) => [ext.id, input])) };
  for (const [ext, input] of inputs) {
    const out: ExtensionOutputs =
      context.command === 'makeCredential' ? await ext.makeCredential!(device, input, hookContext) : await ext.getAssertion!(device, input, stored.get(ext.id), hookContext);
    if (out.stored !== undefined) results.stored.set(ext.id, out.stored);
    if (out.output !== undefined) results.outputs.set(ext.id, out.output);
    if (out.unsignedOutput !== undefined) results.unsigned.set(ext.id, out.unsignedOutput);
    for (const [k, v] of out.response ?? []) results.response.set(k, v);
  }
  return results;
}
