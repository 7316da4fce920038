/**
 * `tokenrig sim otp|fido|key`: start a simulated device in this process with its endpoints and
 * serve it until stopped. Each is a thin user of `tokenrig/sim` (src/sim/).
 */
import type { CommandTable } from '../command.js';
import { command as fido } from './sim-fido.js';
import { command as key } from './sim-key.js';
import { command as otp } from './sim-otp.js';

export const commands: CommandTable = { otp, fido, key };
