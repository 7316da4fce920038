/**
 * tokenrig's public API. The OTP core and clocks are here; the host side (transports,
 * drivers, CTAP, WebAuthn) and the device side (firmware-sim) have their own entry points.
 */
export * from './errors.js';
export * from './clock/index.js';
export * from './otp/index.js';
