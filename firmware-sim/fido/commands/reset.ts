/**
 * authenticatorReset (CTAP 2.1 §6.6): with a touch, and only soon after power-up, forget
 * every credential, the PIN and the master key that opens non-resident credential IDs.
 */
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { S, fail } from '../errors.js';
import { defineCommand, speaksCtap2 } from './command.js';

/** authenticatorReset is allowed only this long after power-up (CTAP 2.1 §6.6; YubiKeys: 10 s). */
export const RESET_WINDOW_MS = 10_000;

export const authenticatorReset = defineCommand<undefined>({
  code: CTAP2_CMD.RESET,
  name: 'authenticatorReset',
  available: speaksCtap2,
  async handle(device, _request, ctx) {
    if (device.env.clock.now() - device.powerUpMs > RESET_WINDOW_MS) throw fail(S.CTAP2_ERR_NOT_ALLOWED, 'reset only within 10 s of power-up');
    await device.requireTouch(ctx, 'reset');
    device.factoryReset();
    device.emit({ event: 'reset' });
    return undefined;
  },
});
