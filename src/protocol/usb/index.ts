/** USB 2.0 chapter 9, HID 1.11 and CDC 1.2: descriptor and request layouts both sides share. */
export * from './ch9.js';
export * from './hid.js';
export * from './cdc.js';
export * from './configuration.js';
