/** The simulated OTP token: firmware, serial interface, vendor HID and keyboard interfaces. */
export * from './otp-token-firmware.js';
export * from './serial-interface.js';
export * from './vendor-hid-interface.js';
export * from './keyboard-interface.js';
