/**
 * A HID interface of a simulated USB device (HID 1.11): an interface descriptor, the HID
 * class descriptor, an interrupt IN endpoint and, where the interface takes output reports
 * that way, an interrupt OUT endpoint. It carries a `SimulatedHidInterface` (the FIDO
 * authenticator's CTAPHID, the OTP token's vendor interface, the boot keyboard) and answers
 * the class requests of HID 1.11 §7.2: GET_REPORT, SET_REPORT, GET_IDLE, SET_IDLE and, on a
 * boot interface, GET_PROTOCOL and SET_PROTOCOL.
 *
 * @example
 * ```ts
 * const fido = new HidFunction(authenticator.hid, { name: 'FIDO CTAPHID', reportDescriptor: FIDO_REPORT_DESCRIPTOR });
 * ```
 */
import { USB_CLASS, USB_DIR_IN, USB_DT, USB_ENDPOINT_DESCRIPTOR, USB_ENDPOINT_XFER, USB_INTERFACE_DESCRIPTOR, type UsbSetupPacket } from '../../src/protocol/usb/ch9.js';
import { HID_DESCRIPTOR, HID_PROTOCOL, HID_PROTOCOL_MODE, HID_REPORT_TYPE, HID_REQ, HID_SUBCLASS_BOOT } from '../../src/protocol/usb/hid.js';
import { ERRNO } from '../../src/protocol/usbip/messages.js';
import type { SimulatedHidInterface } from '../hid-interface.js';
import { InEndpoint } from './in-endpoint.js';
import { type ControlResult, type FunctionPlacement, STALL, type UsbFunction, ok } from './usb-function.js';

export interface HidFunctionOptions {
  /** The interface's string descriptor, e.g. `FIDO CTAPHID`. */
  name: string;
  /** Default: the interface's own `reportDescriptor`. */
  reportDescriptor?: Uint8Array;
  /** Bytes of an input report (default 64); also the IN endpoint's wMaxPacketSize. */
  inputReportSize?: number;
  /** Bytes of an output report (default 64). */
  outputReportSize?: number;
  /** Output reports come on an interrupt OUT endpoint (default true); else only by SET_REPORT. */
  interruptOut?: boolean;
  /** A boot keyboard: subclass 1, protocol 1, GET/SET_PROTOCOL answered. */
  bootKeyboard?: boolean;
  /** bInterval of the interrupt endpoints in ms (full speed); default 2, as YubiKeys have. */
  interval?: number;
}

/** HID 1.11 §6.2.1: the class specification release this descriptor follows. */
const BCD_HID = 0x0111;

export class HidFunction implements UsbFunction {
  readonly name: string;
  readonly interfaceCount = 1;
  readonly reportDescriptor: Uint8Array;
  readonly inputReportSize: number;
  readonly outputReportSize: number;
  readonly #device: SimulatedHidInterface;
  readonly #interruptOut: boolean;
  readonly #boot: boolean;
  readonly #interval: number;
  #in: InEndpoint | undefined;
  #outNumber = 0;
  #configured = false;
  #lastInput: Uint8Array;
  /** HID 1.11 §7.2.4: idle rate in 4 ms units (0: report only on change). */
  #idle = 0;
  #protocol: number = HID_PROTOCOL_MODE.REPORT;

  constructor(device: SimulatedHidInterface, options: HidFunctionOptions) {
    this.#device = device;
    this.name = options.name;
    this.reportDescriptor = options.reportDescriptor ?? device.reportDescriptor;
    this.inputReportSize = options.inputReportSize ?? 64;
    this.outputReportSize = options.outputReportSize ?? 64;
    // Full speed: an interrupt endpoint's wMaxPacketSize is at most 64 (USB 2.0 §5.7.3).
    if (this.inputReportSize < 1 || this.inputReportSize > 64) throw new RangeError('inputReportSize must be 1..64 (one full-speed interrupt packet)');
    if (this.outputReportSize < 1 || this.outputReportSize > 64) throw new RangeError('outputReportSize must be 1..64');
    this.#interruptOut = options.interruptOut ?? true;
    this.#boot = options.bootKeyboard === true;
    this.#interval = options.interval ?? 2;
    this.#lastInput = new Uint8Array(this.inputReportSize);
    device.attach((report) => this.#send(report));
  }

  get inEndpoints(): readonly InEndpoint[] {
    return this.#in === undefined ? [] : [this.#in];
  }

  get outEndpoints(): readonly number[] {
    return this.#interruptOut && this.#outNumber !== 0 ? [this.#outNumber] : [];
  }

  /** The HID class descriptor (HID 1.11 §6.2.1). */
  hidDescriptor(): Uint8Array {
    return HID_DESCRIPTOR.encode({
      bLength: HID_DESCRIPTOR.size,
      bDescriptorType: USB_DT.HID,
      bcdHID: BCD_HID,
      bCountryCode: 0,
      bNumDescriptors: 1,
      'desc[0].bDescriptorType': USB_DT.REPORT,
      'desc[0].wDescriptorLength': this.reportDescriptor.length,
    });
  }

  place(at: FunctionPlacement): Uint8Array[] {
    const inNumber = at.endpointNumber();
    this.#in = new InEndpoint(USB_DIR_IN | inNumber, this.inputReportSize);
    if (this.#interruptOut) this.#outNumber = at.endpointNumber();
    const endpoint = (address: number, size: number): Uint8Array =>
      USB_ENDPOINT_DESCRIPTOR.encode({ bLength: USB_ENDPOINT_DESCRIPTOR.size, bDescriptorType: USB_DT.ENDPOINT, bEndpointAddress: address, bmAttributes: USB_ENDPOINT_XFER.INT, wMaxPacketSize: size, bInterval: this.#interval });
    const [cls] = this.interfaceClasses();
    return [
      USB_INTERFACE_DESCRIPTOR.encode({
        bLength: USB_INTERFACE_DESCRIPTOR.size,
        bDescriptorType: USB_DT.INTERFACE,
        bInterfaceNumber: at.firstInterface,
        bAlternateSetting: 0,
        bNumEndpoints: this.#interruptOut ? 2 : 1,
        ...cls!,
        iInterface: at.stringIndex(this.name),
      }),
      this.hidDescriptor(),
      endpoint(this.#in.address, this.inputReportSize),
      ...(this.#interruptOut ? [endpoint(this.#outNumber, this.outputReportSize)] : []),
    ];
  }

  interfaceClasses(): { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[] {
    return [{ bInterfaceClass: USB_CLASS.HID, bInterfaceSubClass: this.#boot ? HID_SUBCLASS_BOOT : 0, bInterfaceProtocol: this.#boot ? HID_PROTOCOL.KEYBOARD : HID_PROTOCOL.NONE }];
  }

  interfaceDescriptor(descriptorType: number): Uint8Array | undefined {
    if (descriptorType === USB_DT.HID) return this.hidDescriptor();
    if (descriptorType === USB_DT.REPORT) return this.reportDescriptor;
    return undefined;
  }

  classRequest(setup: UsbSetupPacket, data: Uint8Array): ControlResult | undefined {
    const reportType = setup.wValue >> 8;
    const reportId = setup.wValue & 0xff;
    switch (setup.bRequest) {
      case HID_REQ.GET_REPORT:
        // No report IDs are declared: only report 0, and only the input report (§7.2.1).
        if (reportType !== HID_REPORT_TYPE.INPUT || reportId !== 0) return STALL;
        return ok(this.#lastInput.subarray(0, Math.min(setup.wLength, this.#lastInput.length)));
      case HID_REQ.SET_REPORT: {
        if (reportType !== HID_REPORT_TYPE.OUTPUT || reportId !== 0 || data.length > this.outputReportSize) return STALL;
        this.#device.receive(padded(data, this.outputReportSize));
        return ok();
      }
      case HID_REQ.GET_IDLE:
        return ok(Uint8Array.of(this.#idle).subarray(0, Math.min(1, setup.wLength)));
      case HID_REQ.SET_IDLE:
        this.#idle = setup.wValue >> 8;
        return ok();
      case HID_REQ.GET_PROTOCOL:
        // §7.2.5/§7.2.6: required of boot devices only.
        return this.#boot ? ok(Uint8Array.of(this.#protocol).subarray(0, Math.min(1, setup.wLength))) : STALL;
      case HID_REQ.SET_PROTOCOL:
        if (!this.#boot || setup.wValue > HID_PROTOCOL_MODE.REPORT) return STALL;
        // The boot keyboard's report protocol is the boot format, so nothing else changes.
        this.#protocol = setup.wValue;
        return ok();
      default:
        return undefined;
    }
  }

  out(endpoint: number, data: Uint8Array): number {
    if (!this.#interruptOut || endpoint !== this.#outNumber) return -ERRNO.EPIPE;
    // Each packet of an interrupt OUT transfer is one output report.
    for (let at = 0; at < data.length; at += this.outputReportSize) this.#device.receive(padded(data.subarray(at, at + this.outputReportSize), this.outputReportSize));
    return 0;
  }

  setConfigured(on: boolean): void {
    this.#configured = on;
    if (!on) {
      this.#in?.reset();
      this.#idle = 0;
      this.#protocol = HID_PROTOCOL_MODE.REPORT;
    }
  }

  #send(report: Uint8Array): void {
    this.#lastInput = padded(report, this.inputReportSize);
    // Without a host the report goes nowhere, as on a device that is not plugged in.
    if (this.#configured) this.#in?.pushPacket(report);
  }
}

function padded(data: Uint8Array, size: number): Uint8Array {
  if (data.length === size) return data.slice();
  const out = new Uint8Array(size);
  out.set(data.subarray(0, size));
  return out;
}
