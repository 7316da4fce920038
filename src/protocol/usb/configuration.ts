/**
 * Reading a configuration descriptor (USB 2.0 §9.4.3: the configuration, then each interface
 * followed by its class-specific descriptors and its endpoints) into interfaces with their
 * endpoints: what a host needs to find a device's HID interface and its interrupt endpoints.
 *
 * @example
 * ```ts
 * const config = parseConfiguration(bytes);
 * const hid = config.interfaces.find((i) => i.descriptor.bInterfaceClass === USB_CLASS.HID);
 * ```
 */
import {
  USB_CONFIG_DESCRIPTOR,
  USB_DT,
  USB_ENDPOINT_DESCRIPTOR,
  USB_INTERFACE_ASSOC_DESCRIPTOR,
  USB_INTERFACE_DESCRIPTOR,
  type UsbConfigDescriptor,
  type UsbEndpointDescriptor,
  type UsbInterfaceDescriptor,
  splitDescriptors,
} from './ch9.js';

export interface ParsedInterface {
  descriptor: UsbInterfaceDescriptor;
  /** Class-specific descriptors between the interface and its endpoints (HID, CDC functional). */
  classDescriptors: Uint8Array[];
  endpoints: UsbEndpointDescriptor[];
}

export interface ParsedConfiguration {
  descriptor: UsbConfigDescriptor;
  interfaces: ParsedInterface[];
  associations: ReturnType<typeof USB_INTERFACE_ASSOC_DESCRIPTOR.decode>[];
}

/** Parse a whole configuration descriptor; RangeError when it is malformed or inconsistent. */
export function parseConfiguration(bytes: Uint8Array): ParsedConfiguration {
  const entries = splitDescriptors(bytes);
  const first = entries[0];
  if (first === undefined || first.bDescriptorType !== USB_DT.CONFIG || first.bytes.length < USB_CONFIG_DESCRIPTOR.size) throw new RangeError('not a configuration descriptor');
  const descriptor = USB_CONFIG_DESCRIPTOR.decode(first.bytes);
  if (descriptor.wTotalLength !== bytes.length) throw new RangeError(`wTotalLength ${descriptor.wTotalLength} but ${bytes.length} bytes`);
  const interfaces: ParsedInterface[] = [];
  const associations: ParsedConfiguration['associations'] = [];
  for (const e of entries.slice(1)) {
    switch (e.bDescriptorType) {
      case USB_DT.INTERFACE:
        interfaces.push({ descriptor: USB_INTERFACE_DESCRIPTOR.decode(e.bytes), classDescriptors: [], endpoints: [] });
        break;
      case USB_DT.ENDPOINT: {
        const current = interfaces.at(-1);
        if (current === undefined) throw new RangeError('an endpoint descriptor before any interface');
        current.endpoints.push(USB_ENDPOINT_DESCRIPTOR.decode(e.bytes));
        break;
      }
      case USB_DT.INTERFACE_ASSOCIATION:
        associations.push(USB_INTERFACE_ASSOC_DESCRIPTOR.decode(e.bytes));
        break;
      default:
        interfaces.at(-1)?.classDescriptors.push(e.bytes);
    }
  }
  for (const i of interfaces) {
    if (i.endpoints.length !== i.descriptor.bNumEndpoints) throw new RangeError(`interface ${i.descriptor.bInterfaceNumber} says ${i.descriptor.bNumEndpoints} endpoints and has ${i.endpoints.length}`);
  }
  const numbers = new Set(interfaces.filter((i) => i.descriptor.bAlternateSetting === 0).map((i) => i.descriptor.bInterfaceNumber));
  if (numbers.size !== descriptor.bNumInterfaces) throw new RangeError(`bNumInterfaces ${descriptor.bNumInterfaces} but ${numbers.size} interfaces`);
  return { descriptor, interfaces, associations };
}
