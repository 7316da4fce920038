/**
 * The USB identity of simulated devices: descriptors generated from device profiles, the
 * chapter 9 device framework, HID and CDC-ACM functions, IN endpoint queues.
 */
export * from './hid-report-descriptors.js';
export * from './in-endpoint.js';
export * from './usb-function.js';
export * from './hid-function.js';
export * from './cdc-acm-function.js';
export * from './usb-device.js';
export * from './profile-devices.js';
