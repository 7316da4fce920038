/**
 * A simulated USB device: its descriptors, built once from an identity and a list of
 * functions (HID interfaces, a CDC-ACM port), and the device framework of USB 2.0 chapter 9
 * that answers the standard requests on endpoint 0 and routes class requests and transfers
 * to the function that owns the interface or endpoint. A pure message machine: an endpoint
 * (the USB/IP server) hands it setup packets and transfers, and takes back what completes.
 *
 * Full speed only, like the security keys it imitates: bcdUSB 2.00, 64-byte packets on
 * endpoint 0; GET_DESCRIPTOR(DEVICE_QUALIFIER) stalls, as §9.6.2 requires of such a device.
 *
 * @example
 * ```ts
 * const device = new SimulatedUsbDevice({ vendorId: 0x1050, productId: 0x0407, ... }, [fidoFunction]);
 * device.control(USB_SETUP_PACKET.decode(setup), new Uint8Array(0)); // { status: 0, data: <device descriptor> }
 * ```
 */
import {
  LANGID_EN_US,
  USB_CLASS,
  USB_CONFIG_ATT_ONE,
  USB_CONFIG_DESCRIPTOR,
  USB_DEVICE_DESCRIPTOR,
  USB_DIR_IN,
  USB_DT,
  USB_FEATURE,
  USB_RECIP,
  USB_RECIP_MASK,
  USB_REQ,
  USB_TYPE,
  USB_TYPE_MASK,
  type UsbSetupPacket,
  languageDescriptor,
  stringDescriptor,
} from '../../src/protocol/usb/ch9.js';
import { ERRNO } from '../../src/protocol/usbip/messages.js';
import type { InEndpoint, TransferResult } from './in-endpoint.js';
import { type ControlResult, STALL, type UsbFunction, ok } from './usb-function.js';

/** What the device descriptor and its strings say. */
export interface UsbDeviceIdentity {
  vendorId: number;
  productId: number;
  /** Device release in BCD, e.g. 0x0543 for firmware 5.4.3. */
  bcdDevice: number;
  manufacturer: string;
  product: string;
  /** iSerialNumber's string: the token's serial number; none when absent. */
  serial?: string;
  /** Current the device draws, in mA (bMaxPower is in 2 mA units); default 30, as a YubiKey. */
  maxPowerMa?: number;
}

/** USB 2.0 §9.6.1: the specification release in BCD. */
const BCD_USB = 0x0200;
/** Full-speed control endpoints take 8, 16, 32 or 64-byte packets; keys use 64. */
const MAX_PACKET_SIZE_0 = 64;
/** The one configuration (bConfigurationValue). */
const CONFIGURATION_VALUE = 1;
/** The Interface Association Descriptor ECN: a device made of associations says MISC/0x02/0x01. */
const IAD_DEVICE_SUBCLASS = 0x02;
const IAD_DEVICE_PROTOCOL = 0x01;

/** The device's descriptors as a host reads them. */
export interface UsbDescriptorSet {
  device: Uint8Array;
  /** The whole configuration: wTotalLength bytes. */
  configuration: Uint8Array;
  /** String descriptors by index; index 0 is the LANGID list. */
  strings: Uint8Array[];
  /** The strings' text by index (index 0 unused). */
  stringText: string[];
}

/** What a USB/IP device list shows of a device. */
export interface UsbDeviceSummary {
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  bDeviceClass: number;
  bDeviceSubClass: number;
  bDeviceProtocol: number;
  bConfigurationValue: number;
  bNumConfigurations: number;
  interfaces: { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[];
}

export class SimulatedUsbDevice {
  readonly identity: UsbDeviceIdentity;
  readonly functions: readonly UsbFunction[];
  readonly descriptors: UsbDescriptorSet;
  readonly #interfaceOwner: UsbFunction[] = [];
  readonly #inEndpoints = new Map<number, InEndpoint>();
  readonly #outOwner = new Map<number, UsbFunction>();
  readonly #outHalted = new Set<number>();
  #configuration = 0;
  #remoteWakeup = false;

  constructor(identity: UsbDeviceIdentity, functions: readonly UsbFunction[]) {
    if (functions.length === 0) throw new RangeError('a USB device needs at least one function');
    this.identity = identity;
    this.functions = functions;
    this.descriptors = this.#build();
  }

  /** The configuration the host selected (0: none, the device is in the Address state). */
  get configuration(): number {
    return this.#configuration;
  }

  /** The endpoint addresses of every function, IN ones with bit 7 set. */
  get endpointAddresses(): number[] {
    return [...this.#inEndpoints.keys(), ...this.#outOwner.keys()];
  }

  summary(): UsbDeviceSummary {
    const d = USB_DEVICE_DESCRIPTOR.decode(this.descriptors.device);
    return {
      idVendor: d.idVendor,
      idProduct: d.idProduct,
      bcdDevice: d.bcdDevice,
      bDeviceClass: d.bDeviceClass,
      bDeviceSubClass: d.bDeviceSubClass,
      bDeviceProtocol: d.bDeviceProtocol,
      // USB/IP lists the configuration in use; an exported device that nobody configured says 0.
      bConfigurationValue: this.#configuration,
      bNumConfigurations: d.bNumConfigurations,
      interfaces: this.functions.flatMap((f) => f.interfaceClasses()),
    };
  }

  #build(): UsbDescriptorSet {
    const stringText = ['', this.identity.manufacturer, this.identity.product];
    if (this.identity.serial !== undefined) stringText.push(this.identity.serial);
    const stringIndex = (text: string): number => {
      const i = stringText.indexOf(text, 1);
      if (i > 0) return i;
      stringText.push(text);
      return stringText.length - 1;
    };
    let nextEndpoint = 1;
    const body: Uint8Array[] = [];
    let interfaces = 0;
    for (const f of this.functions) {
      const parts = f.place({
        firstInterface: interfaces,
        endpointNumber: () => {
          // USB 2.0 §9.6.6: endpoint numbers 1..15 besides endpoint 0.
          if (nextEndpoint > 15) throw new RangeError('the functions need more than 15 endpoint numbers');
          return nextEndpoint++;
        },
        stringIndex,
      });
      body.push(...parts);
      for (let i = 0; i < f.interfaceCount; i++) this.#interfaceOwner[interfaces + i] = f;
      interfaces += f.interfaceCount;
      for (const ep of f.inEndpoints) {
        if (this.#inEndpoints.has(ep.address)) throw new RangeError(`endpoint 0x${ep.address.toString(16)} has two owners`);
        this.#inEndpoints.set(ep.address, ep);
      }
      for (const n of f.outEndpoints) {
        if (this.#outOwner.has(n)) throw new RangeError(`endpoint 0x${n.toString(16)} has two owners`);
        this.#outOwner.set(n, f);
      }
    }
    const bodyLength = body.reduce((n, b) => n + b.length, 0);
    const totalLength = USB_CONFIG_DESCRIPTOR.size + bodyLength;
    if (totalLength > 0xffff) throw new RangeError('the configuration descriptor is longer than 65535 bytes');
    const configuration = new Uint8Array(totalLength);
    USB_CONFIG_DESCRIPTOR.encode(
      {
        bLength: USB_CONFIG_DESCRIPTOR.size,
        bDescriptorType: USB_DT.CONFIG,
        wTotalLength: totalLength,
        bNumInterfaces: interfaces,
        bConfigurationValue: CONFIGURATION_VALUE,
        iConfiguration: 0,
        // Bus powered, no remote wakeup (USB 2.0 Table 9-10), as security keys are.
        bmAttributes: USB_CONFIG_ATT_ONE,
        bMaxPower: Math.ceil((this.identity.maxPowerMa ?? 30) / 2),
      },
      configuration,
    );
    let at = USB_CONFIG_DESCRIPTOR.size;
    for (const b of body) {
      configuration.set(b, at);
      at += b.length;
    }
    const associations = this.functions.some((f) => f.interfaceCount > 1);
    const device = USB_DEVICE_DESCRIPTOR.encode({
      bLength: USB_DEVICE_DESCRIPTOR.size,
      bDescriptorType: USB_DT.DEVICE,
      bcdUSB: BCD_USB,
      bDeviceClass: associations ? USB_CLASS.MISC : USB_CLASS.PER_INTERFACE,
      bDeviceSubClass: associations ? IAD_DEVICE_SUBCLASS : 0,
      bDeviceProtocol: associations ? IAD_DEVICE_PROTOCOL : 0,
      bMaxPacketSize0: MAX_PACKET_SIZE_0,
      idVendor: this.identity.vendorId,
      idProduct: this.identity.productId,
      bcdDevice: this.identity.bcdDevice,
      iManufacturer: 1,
      iProduct: 2,
      iSerialNumber: this.identity.serial === undefined ? 0 : 3,
      bNumConfigurations: 1,
    });
    const strings = stringText.map((text, i) => (i === 0 ? languageDescriptor([LANGID_EN_US]) : stringDescriptor(text)));
    return { device, configuration, strings, stringText };
  }

  /**
   * A control transfer on endpoint 0: the setup packet and, for an OUT request, its data stage.
   * Returns the status (0 or −EPIPE, a stall) and, for an IN request, at most wLength bytes.
   */
  control(setup: UsbSetupPacket, data: Uint8Array): ControlResult {
    const r = this.#control(setup, data);
    if (r.status !== 0 || (setup.bmRequestType & USB_DIR_IN) === 0) return r.status === 0 ? ok() : r;
    return r.data.length > setup.wLength ? ok(r.data.subarray(0, setup.wLength)) : r;
  }

  #control(setup: UsbSetupPacket, data: Uint8Array): ControlResult {
    const type = setup.bmRequestType & USB_TYPE_MASK;
    const recipient = setup.bmRequestType & USB_RECIP_MASK;
    if (type === USB_TYPE.CLASS && recipient === USB_RECIP.INTERFACE) {
      const n = setup.wIndex & 0xff;
      const owner = this.#interfaceOwner[n];
      if (owner === undefined) return STALL;
      return owner.classRequest(setup, data, n) ?? STALL;
    }
    if (type !== USB_TYPE.STANDARD) return STALL;
    switch (recipient) {
      case USB_RECIP.DEVICE:
        return this.#deviceRequest(setup);
      case USB_RECIP.INTERFACE:
        return this.#interfaceRequest(setup);
      case USB_RECIP.ENDPOINT:
        return this.#endpointRequest(setup);
      default:
        return STALL;
    }
  }

  #deviceRequest(setup: UsbSetupPacket): ControlResult {
    switch (setup.bRequest) {
      case USB_REQ.GET_STATUS:
        // USB 2.0 Figure 9-4: bit 0 self powered (no: bus powered), bit 1 remote wakeup enabled.
        return ok(Uint8Array.of(this.#remoteWakeup ? 0x02 : 0x00, 0x00));
      case USB_REQ.CLEAR_FEATURE:
      case USB_REQ.SET_FEATURE:
        if (setup.wValue !== USB_FEATURE.DEVICE_REMOTE_WAKEUP) return STALL;
        this.#remoteWakeup = setup.bRequest === USB_REQ.SET_FEATURE;
        return ok();
      case USB_REQ.SET_ADDRESS:
        // The host controller (vhci) assigns addresses itself; accepted for completeness.
        return setup.wValue <= 127 ? ok() : STALL;
      case USB_REQ.GET_DESCRIPTOR:
        return this.#getDescriptor(setup.wValue >> 8, setup.wValue & 0xff);
      case USB_REQ.GET_CONFIGURATION:
        return ok(Uint8Array.of(this.#configuration));
      case USB_REQ.SET_CONFIGURATION:
        if (setup.wValue !== 0 && setup.wValue !== CONFIGURATION_VALUE) return STALL;
        this.#setConfiguration(setup.wValue);
        return ok();
      default:
        // SET_DESCRIPTOR and SYNCH_FRAME are optional; the device has neither.
        return STALL;
    }
  }

  #getDescriptor(type: number, index: number): ControlResult {
    const d = this.descriptors;
    switch (type) {
      case USB_DT.DEVICE:
        return ok(d.device);
      case USB_DT.CONFIG:
        return index === 0 ? ok(d.configuration) : STALL;
      case USB_DT.STRING: {
        const s = d.strings[index];
        return s === undefined ? STALL : ok(s);
      }
      default:
        // DEVICE_QUALIFIER and OTHER_SPEED_CONFIG: a full-speed-only device stalls (§9.6.2);
        // BOS exists from bcdUSB 2.01 on.
        return STALL;
    }
  }

  #interfaceRequest(setup: UsbSetupPacket): ControlResult {
    const n = setup.wIndex & 0xff;
    const owner = this.#interfaceOwner[n];
    if (owner === undefined) return STALL;
    switch (setup.bRequest) {
      case USB_REQ.GET_STATUS:
        return ok(Uint8Array.of(0, 0));
      case USB_REQ.GET_INTERFACE:
        return ok(Uint8Array.of(0));
      case USB_REQ.SET_INTERFACE:
        // Every interface has only alternate setting 0.
        return setup.wValue === 0 ? ok() : STALL;
      case USB_REQ.GET_DESCRIPTOR: {
        const desc = owner.interfaceDescriptor?.(setup.wValue >> 8, setup.wValue & 0xff, n);
        return desc === undefined ? STALL : ok(desc);
      }
      default:
        return STALL;
    }
  }

  #endpointRequest(setup: UsbSetupPacket): ControlResult {
    const address = setup.wIndex & 0xff;
    const number = address & 0x0f;
    const isIn = (address & USB_DIR_IN) !== 0;
    const inEp = isIn ? this.#inEndpoints.get(address) : undefined;
    const known = number === 0 || inEp !== undefined || (!isIn && this.#outOwner.has(number));
    if (!known) return STALL;
    switch (setup.bRequest) {
      case USB_REQ.GET_STATUS: {
        const halted = number !== 0 && (isIn ? inEp!.halted : this.#outHalted.has(number));
        return ok(Uint8Array.of(halted ? 1 : 0, 0));
      }
      case USB_REQ.CLEAR_FEATURE:
      case USB_REQ.SET_FEATURE: {
        if (setup.wValue !== USB_FEATURE.ENDPOINT_HALT) return STALL;
        if (number === 0) return ok();
        const set = setup.bRequest === USB_REQ.SET_FEATURE;
        if (isIn) {
          if (set) inEp!.halt();
          else inEp!.clearHalt();
        } else if (set) this.#outHalted.add(number);
        else this.#outHalted.delete(number);
        return ok();
      }
      default:
        return STALL;
    }
  }

  #setConfiguration(value: number): void {
    if (value === this.#configuration) {
      // SET_CONFIGURATION to the current value still resets halts and data toggles (§9.4.7).
      for (const ep of this.#inEndpoints.values()) ep.clearHalt();
      this.#outHalted.clear();
      return;
    }
    this.#configuration = value;
    this.#outHalted.clear();
    for (const f of this.functions) f.setConfigured(value !== 0);
  }

  /**
   * An IN transfer on endpoint `number` (1..15) of up to `length` bytes. `complete` runs once,
   * now or later; the returned function cancels it while it waits (true when it did).
   */
  submitIn(number: number, length: number, complete: (r: TransferResult) => void): () => boolean {
    const ep = this.#inEndpoints.get(USB_DIR_IN | number);
    if (ep === undefined || this.#configuration === 0) {
      complete({ status: -ERRNO.EPIPE, data: new Uint8Array(0) });
      return () => false;
    }
    return ep.submit(length, complete);
  }

  /** An OUT transfer on endpoint `number` (1..15); returns the status. */
  submitOut(number: number, data: Uint8Array): number {
    const owner = this.#outOwner.get(number);
    if (owner === undefined || this.#configuration === 0 || this.#outHalted.has(number)) return -ERRNO.EPIPE;
    return owner.out(number, data);
  }

  /** The host went away (detached, connection lost): back to the Default state, nothing pending. */
  disconnect(): void {
    this.#remoteWakeup = false;
    this.#setConfiguration(0);
    for (const ep of this.#inEndpoints.values()) ep.reset();
  }
}
