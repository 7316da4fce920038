/**
 * The interface every CTAP2 command family implements: one module per family (CTAP 2.1 §6),
 * its request parsing beside its handler, listed once in the dispatch table (./index.ts).
 * The authenticator decodes the CBOR parameters, asks the family to parse them into its own
 * request type (typed readers in ../cbor-params.ts give CTAP2_ERR_MISSING_PARAMETER and
 * CTAP2_ERR_CBOR_UNEXPECTED_TYPE), runs the handler, and turns whatever it throws into the
 * status byte in one place.
 *
 * @example
 * ```ts
 * export const authenticatorSelection = defineCommand({
 *   code: CTAP2_CMD.SELECTION,
 *   name: 'authenticatorSelection',
 *   available: (profile) => profile.versions.includes('FIDO_2_1'),
 *   handle: async (device, _req, ctx) => { await device.requireTouch(ctx, 'selection'); return undefined; },
 * });
 * ```
 */
import type { CtapHidContext } from '../../ctaphid/index.js';
import type { CborParams } from '../cbor-params.js';
import type { FidoDevice } from '../device.js';
import type { InfoDraft } from '../info-draft.js';
import type { FidoProfile } from '../profile.js';

/** A CTAP2 response map by member key, or undefined for a status-only CTAP2_OK. */
export type Ctap2Response = Map<number, unknown> | undefined;

export interface Ctap2Command<Request = unknown> {
  /** The command byte (CTAP2_CMD in src/protocol/ctap-status.ts). */
  readonly code: number;
  /** The spec's name, for logs ('authenticatorMakeCredential'). */
  readonly name: string;
  /** Whether a key with this profile has the command; others answer CTAP1_ERR_INVALID_COMMAND. */
  available(profile: FidoProfile): boolean;
  /**
   * Parse the parameter map (empty when the message has none) into the request. A command
   * without `parse` takes no parameters: a message with any is CTAP1_ERR_INVALID_LENGTH.
   */
  parse?(params: CborParams, device: FidoDevice): Request;
  /** Serve the request; throw `fail(status)` to refuse it. */
  handle(device: FidoDevice, request: Request, ctx: CtapHidContext): Ctap2Response | Promise<Ctap2Response>;
  /** getInfo members and live option values this family adds (clientPin: a PIN is set). */
  info?(device: FidoDevice, info: InfoDraft): void;
}

/** Type a command module (infers its request type from `parse`). */
export function defineCommand<Request>(command: Ctap2Command<Request>): Ctap2Command<Request> {
  return command;
}

/** True for keys that speak CTAP2 at all (a FIDO_2_x version in getInfo). */
export function speaksCtap2(profile: FidoProfile): boolean {
  return profile.versions.some((v) => v.startsWith('FIDO_2'));
}

/** True for keys that speak CTAP 2.1 or later (authenticatorSelection, permissions, ...). */
export function speaksCtap21(profile: FidoProfile): boolean {
  return profile.versions.includes('FIDO_2_1') || profile.versions.includes('FIDO_2_2');
}
