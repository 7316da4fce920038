/**
 * authenticatorSelection (CTAP 2.1 §6.9): the platform asks every key to blink; the one the
 * user touches answers CTAP2_OK. A CTAP 2.0 key does not have it.
 */
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { defineCommand, speaksCtap21 } from './command.js';

export const authenticatorSelection = defineCommand<undefined>({
  code: CTAP2_CMD.SELECTION,
  name: 'authenticatorSelection',
  available: speaksCtap21,
  async handle(device, _request, ctx) {
    await device.requireTouch(ctx, 'selection');
    return undefined;
  },
});
