/**
 * The authenticator's one error type: a CTAP2 status code. Handlers throw it; the dispatcher
 * turns it (and environment failures) into the status byte in one place.
 */
import { CTAP2_STATUS, ctap2StatusName } from '../../src/protocol/ctap-status.js';

export class CtapStatusError extends Error {
  override readonly name = 'CtapStatusError';
  readonly status: number;
  constructor(status: number, detail?: string) {
    super(detail === undefined ? ctap2StatusName(status) : `${ctap2StatusName(status)}: ${detail}`);
    this.status = status;
  }
}

export const fail = (status: number, detail?: string): CtapStatusError => new CtapStatusError(status, detail);
export const S = CTAP2_STATUS;
