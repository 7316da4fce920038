/**
 * A function of a (composite) USB device: one or more interfaces with their endpoints, such as
 * a HID interface or a CDC-ACM serial port. `SimulatedUsbDevice` numbers interfaces and
 * endpoints, asks each function for its descriptors and routes requests and transfers to it.
 */
import { ERRNO } from '../../src/protocol/usbip/messages.js';
import type { UsbSetupPacket } from '../../src/protocol/usb/ch9.js';
import type { InEndpoint } from './in-endpoint.js';

/** How a control transfer ended: status 0 with the data stage (IN), or a stall. */
export interface ControlResult {
  status: number;
  data: Uint8Array;
}

export const STALL: ControlResult = Object.freeze({ status: -ERRNO.EPIPE, data: new Uint8Array(0) });

export function ok(data: Uint8Array = new Uint8Array(0)): ControlResult {
  return { status: 0, data };
}

/** What the device gives a function when it places it in the configuration. */
export interface FunctionPlacement {
  /** Its first interface number; a function with n interfaces owns first .. first+n−1. */
  readonly firstInterface: number;
  /** The next free endpoint number (1..15), shared by IN and OUT. */
  endpointNumber(): number;
  /** The index of a string descriptor holding `text`. */
  stringIndex(text: string): number;
}

export interface UsbFunction {
  /** What the function is, for listings and messages: `FIDO CTAPHID`, `serial port`. */
  readonly name: string;
  /** How many interfaces it has (1 for HID, 2 for CDC-ACM: control and data). */
  readonly interfaceCount: number;
  /** Place the function: number its endpoints and return its descriptors in configuration order. */
  place(at: FunctionPlacement): Uint8Array[];
  /** The (class, subclass, protocol) of each of its interfaces, for USB/IP device lists. */
  interfaceClasses(): { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[];
  /** Its IN endpoints (after `place`). */
  readonly inEndpoints: readonly InEndpoint[];
  /** Its OUT endpoint numbers (after `place`). */
  readonly outEndpoints: readonly number[];
  /** GET_DESCRIPTOR addressed to one of its interfaces (HID class descriptors); undefined stalls. */
  interfaceDescriptor?(descriptorType: number, index: number, interfaceNumber: number): Uint8Array | undefined;
  /** A class request to one of its interfaces; `data` is the OUT data stage. Undefined stalls. */
  classRequest(setup: UsbSetupPacket, data: Uint8Array, interfaceNumber: number): ControlResult | undefined;
  /** An OUT transfer to one of its endpoints; returns the status (0, or −EPIPE to stall). */
  out(endpoint: number, data: Uint8Array): number;
  /** The host set a configuration (true) or the device went away or was unconfigured (false). */
  setConfigured(on: boolean): void;
}
