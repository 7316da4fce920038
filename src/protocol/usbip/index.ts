/** The USB/IP protocol (Documentation/usb/usbip_protocol.rst): wire structs and stream readers. */
export * from './messages.js';
export * from './stream.js';
