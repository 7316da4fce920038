/** Wire vocabulary of the OTP token: the serial grammar and the vendor HID commands. */
export * from './serial-grammar.js';
export * from './vendor-hid.js';
