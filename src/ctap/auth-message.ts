/** The pinUvAuthParam messages of the sub-command families: shared with the device side (src/protocol/auth-message.ts). */
export { authMessage } from '../protocol/auth-message.js';
