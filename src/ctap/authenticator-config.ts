/**
 * authenticatorConfig (CTAP 2.1 §6.11): the request shape, its CBOR encoding, and the message
 * a pinUvAuthParam authenticates. The response is status only. `Ctap2.config` sends one.
 *
 * @example
 * ```ts
 * const params = { newMinPINLength: 6 };
 * const message = configAuthMessage(CONFIG_SUBCOMMAND.setMinPINLength, params);
 * await ctap2.config({ subCommand: CONFIG_SUBCOMMAND.setMinPINLength, subCommandParams: params, pinUvAuthProtocol: 2, pinUvAuthParam: pin.protocol.authenticate(token, message) });
 * ```
 */
import type { CborValue } from '../protocol/cbor.js';
import { authMessage } from './auth-message.js';
import { CONFIG as P, CONFIG_SUBCOMMAND, SET_MIN_PIN_LENGTH_PARAMS as SP } from '../protocol/ctap2-parameters.js';

export { CONFIG_SUBCOMMAND };

/** setMinPINLength's subCommandParams (§6.11.4). */
export interface SetMinPinLengthParams {
  newMinPINLength?: number;
  minPinLengthRPIDs?: string[];
  forceChangePin?: boolean;
}

export interface ConfigRequest {
  /** CONFIG_SUBCOMMAND.* */
  subCommand: number;
  /** setMinPINLength's parameters, or a vendorPrototype's own map. */
  subCommandParams?: SetMinPinLengthParams | Map<number, CborValue>;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

export function configParams(p: ConfigRequest['subCommandParams']): Map<number, CborValue> | undefined {
  if (p === undefined || p instanceof Map) return p;
  const m = new Map<number, CborValue>();
  if (p.newMinPINLength !== undefined) m.set(SP.newMinPINLength, p.newMinPINLength);
  if (p.minPinLengthRPIDs !== undefined) m.set(SP.minPinLengthRPIDs, p.minPinLengthRPIDs);
  if (p.forceChangePin !== undefined) m.set(SP.forceChangePin, p.forceChangePin);
  return m;
}

export function configRequest(req: ConfigRequest): Map<number, unknown> {
  const m = new Map<number, unknown>([[P.subCommand, req.subCommand]]);
  const params = configParams(req.subCommandParams);
  if (params !== undefined) m.set(P.subCommandParams, params);
  if (req.pinUvAuthProtocol !== undefined) m.set(P.pinUvAuthProtocol, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam !== undefined) m.set(P.pinUvAuthParam, req.pinUvAuthParam);
  return m;
}

/** What pinUvAuthParam authenticates (§6.11.1): 32×0xff ‖ 0x0d ‖ uint8(subCommand) ‖ CBOR(subCommandParams) when present. */
export function configAuthMessage(subCommand: number, params?: ConfigRequest['subCommandParams']): Uint8Array {
  return authMessage([...new Array<number>(32).fill(0xff), 0x0d, subCommand], configParams(params));
}
