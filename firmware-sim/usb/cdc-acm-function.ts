/**
 * A CDC-ACM serial port (CDC 1.2, PSTN 1.2 Abstract Control Model) of a simulated USB device:
 * an interface association around a communications (control) interface with its functional
 * descriptors and a notification endpoint, and a data interface with bulk IN and OUT
 * endpoints. It carries a `SimulatedSerialInterface` (the OTP token's line protocol of
 * docs/serial-protocol.md), so Linux binds cdc_acm and a /dev/ttyACMn appears.
 *
 * Line coding is kept and read back but changes nothing (there is no UART). When the host
 * drops DTR (a program closed the port) the device discards any half line, as it does when a
 * TCP or pty client goes away.
 *
 * @example
 * ```ts
 * const serial = new CdcAcmFunction(new OtpSerialInterface(token), { name: 'OTP serial port' });
 * ```
 */
import {
  CDC_ACM_CAP_LINE,
  CDC_ACM_DESCRIPTOR,
  CDC_CALL_MANAGEMENT_DESCRIPTOR,
  CDC_CONTROL_LINE,
  CDC_DESCRIPTOR_SUBTYPE,
  CDC_HEADER_DESCRIPTOR,
  CDC_LINE_CODING,
  CDC_PROTOCOL_NONE,
  CDC_REQ,
  CDC_SUBCLASS_ACM,
  CDC_UNION_DESCRIPTOR,
  type CdcLineCoding,
  DEFAULT_LINE_CODING,
} from '../../src/protocol/usb/cdc.js';
import { USB_CLASS, USB_DIR_IN, USB_DT, USB_ENDPOINT_DESCRIPTOR, USB_ENDPOINT_XFER, USB_INTERFACE_ASSOC_DESCRIPTOR, USB_INTERFACE_DESCRIPTOR, type UsbSetupPacket } from '../../src/protocol/usb/ch9.js';
import { ERRNO } from '../../src/protocol/usbip/messages.js';
import type { SimulatedSerialInterface } from '../hid-interface.js';
import { InEndpoint } from './in-endpoint.js';
import { type ControlResult, type FunctionPlacement, STALL, type UsbFunction, ok } from './usb-function.js';

/** CDC 1.2 §5.2.3.1: the release of the CDC specification the descriptors follow (1.10, as most ACM devices say). */
const BCD_CDC = 0x0110;
/** Full-speed bulk endpoints move 64-byte packets (USB 2.0 §5.8.3). */
const BULK_PACKET_SIZE = 64;
/** SERIAL_STATE notifications are 10 bytes (PSTN 1.2 §6.5.4); one 16-byte packet holds one. */
const NOTIFICATION_PACKET_SIZE = 16;

export interface CdcAcmFunctionOptions {
  /** The function's and interfaces' string, e.g. `OTP serial port`. */
  name: string;
}

export class CdcAcmFunction implements UsbFunction {
  readonly name: string;
  readonly interfaceCount = 2;
  readonly #serial: SimulatedSerialInterface;
  #notify: InEndpoint | undefined;
  #bulkIn: InEndpoint | undefined;
  #bulkOut = 0;
  #controlNumber = 0;
  #configured = false;
  #lineCoding: CdcLineCoding = { ...DEFAULT_LINE_CODING };
  #controlLines = 0;

  constructor(serial: SimulatedSerialInterface, options: CdcAcmFunctionOptions) {
    this.#serial = serial;
    this.name = options.name;
    serial.attach((bytes) => {
      if (this.#configured) this.#bulkIn?.pushStream(bytes);
    });
  }

  /** What the host last set with SET_LINE_CODING (115200 8N1 until then). */
  get lineCoding(): CdcLineCoding {
    return { ...this.#lineCoding };
  }

  /** SET_CONTROL_LINE_STATE bits: DTR (1) and RTS (2). */
  get controlLines(): number {
    return this.#controlLines;
  }

  get inEndpoints(): readonly InEndpoint[] {
    return [this.#notify, this.#bulkIn].filter((e) => e !== undefined);
  }

  get outEndpoints(): readonly number[] {
    return this.#bulkOut === 0 ? [] : [this.#bulkOut];
  }

  interfaceClasses(): { bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number }[] {
    return [
      { bInterfaceClass: USB_CLASS.COMM, bInterfaceSubClass: CDC_SUBCLASS_ACM, bInterfaceProtocol: CDC_PROTOCOL_NONE },
      { bInterfaceClass: USB_CLASS.CDC_DATA, bInterfaceSubClass: 0, bInterfaceProtocol: 0 },
    ];
  }

  place(at: FunctionPlacement): Uint8Array[] {
    const control = at.firstInterface;
    this.#controlNumber = control;
    const data = control + 1;
    const name = at.stringIndex(this.name);
    this.#notify = new InEndpoint(USB_DIR_IN | at.endpointNumber(), NOTIFICATION_PACKET_SIZE);
    const bulk = at.endpointNumber();
    this.#bulkIn = new InEndpoint(USB_DIR_IN | bulk, BULK_PACKET_SIZE);
    this.#bulkOut = bulk;
    const [controlClass, dataClass] = this.interfaceClasses();
    const endpoint = (address: number, attributes: number, size: number, interval: number): Uint8Array =>
      USB_ENDPOINT_DESCRIPTOR.encode({ bLength: USB_ENDPOINT_DESCRIPTOR.size, bDescriptorType: USB_DT.ENDPOINT, bEndpointAddress: address, bmAttributes: attributes, wMaxPacketSize: size, bInterval: interval });
    const iface = (number: number, endpoints: number, cls: typeof controlClass): Uint8Array =>
      USB_INTERFACE_DESCRIPTOR.encode({ bLength: USB_INTERFACE_DESCRIPTOR.size, bDescriptorType: USB_DT.INTERFACE, bInterfaceNumber: number, bAlternateSetting: 0, bNumEndpoints: endpoints, ...cls!, iInterface: name });
    return [
      // The association tells the host the two interfaces are one function (IAD ECN; CDC 1.2 §3.3).
      USB_INTERFACE_ASSOC_DESCRIPTOR.encode({
        bLength: USB_INTERFACE_ASSOC_DESCRIPTOR.size,
        bDescriptorType: USB_DT.INTERFACE_ASSOCIATION,
        bFirstInterface: control,
        bInterfaceCount: 2,
        bFunctionClass: controlClass!.bInterfaceClass,
        bFunctionSubClass: controlClass!.bInterfaceSubClass,
        bFunctionProtocol: controlClass!.bInterfaceProtocol,
        iFunction: name,
      }),
      iface(control, 1, controlClass),
      CDC_HEADER_DESCRIPTOR.encode({ bFunctionLength: CDC_HEADER_DESCRIPTOR.size, bDescriptorType: USB_DT.CS_INTERFACE, bDescriptorSubtype: CDC_DESCRIPTOR_SUBTYPE.HEADER, bcdCDC: BCD_CDC }),
      // bmCapabilities 0: the device does no call management itself (PSTN 1.2 Table 3).
      CDC_CALL_MANAGEMENT_DESCRIPTOR.encode({
        bFunctionLength: CDC_CALL_MANAGEMENT_DESCRIPTOR.size,
        bDescriptorType: USB_DT.CS_INTERFACE,
        bDescriptorSubtype: CDC_DESCRIPTOR_SUBTYPE.CALL_MANAGEMENT,
        bmCapabilities: 0,
        bDataInterface: data,
      }),
      CDC_ACM_DESCRIPTOR.encode({ bFunctionLength: CDC_ACM_DESCRIPTOR.size, bDescriptorType: USB_DT.CS_INTERFACE, bDescriptorSubtype: CDC_DESCRIPTOR_SUBTYPE.ACM, bmCapabilities: CDC_ACM_CAP_LINE }),
      CDC_UNION_DESCRIPTOR.encode({
        bFunctionLength: CDC_UNION_DESCRIPTOR.size,
        bDescriptorType: USB_DT.CS_INTERFACE,
        bDescriptorSubtype: CDC_DESCRIPTOR_SUBTYPE.UNION,
        bControlInterface: control,
        bSubordinateInterface0: data,
      }),
      endpoint(this.#notify.address, USB_ENDPOINT_XFER.INT, NOTIFICATION_PACKET_SIZE, 16),
      iface(data, 2, dataClass),
      endpoint(this.#bulkOut, USB_ENDPOINT_XFER.BULK, BULK_PACKET_SIZE, 0),
      endpoint(this.#bulkIn.address, USB_ENDPOINT_XFER.BULK, BULK_PACKET_SIZE, 0),
    ];
  }

  classRequest(setup: UsbSetupPacket, data: Uint8Array, interfaceNumber: number): ControlResult | undefined {
    // Class requests go to the communications interface, the first of the two.
    if (interfaceNumber !== this.#controlNumber) return STALL;
    switch (setup.bRequest) {
      case CDC_REQ.SET_LINE_CODING:
        if (data.length < CDC_LINE_CODING.size) return STALL;
        this.#lineCoding = CDC_LINE_CODING.decode(data);
        return ok();
      case CDC_REQ.GET_LINE_CODING:
        return ok(CDC_LINE_CODING.encode(this.#lineCoding).subarray(0, Math.min(setup.wLength, CDC_LINE_CODING.size)));
      case CDC_REQ.SET_CONTROL_LINE_STATE: {
        const before = this.#controlLines;
        this.#controlLines = setup.wValue & (CDC_CONTROL_LINE.DTR | CDC_CONTROL_LINE.RTS);
        // DTR dropped: the terminal program closed the port.
        if ((before & CDC_CONTROL_LINE.DTR) !== 0 && (this.#controlLines & CDC_CONTROL_LINE.DTR) === 0) this.#serial.disconnect?.();
        return ok();
      }
      case CDC_REQ.SEND_BREAK:
        return ok();
      default:
        return undefined;
    }
  }

  out(endpoint: number, data: Uint8Array): number {
    if (endpoint !== this.#bulkOut) return -ERRNO.EPIPE;
    if (data.length > 0) this.#serial.receive(data.slice());
    return 0;
  }

  setConfigured(on: boolean): void {
    this.#configured = on;
    if (!on) {
      this.#notify?.reset();
      this.#bulkIn?.reset();
      this.#lineCoding = { ...DEFAULT_LINE_CODING };
      if (this.#controlLines !== 0) this.#serial.disconnect?.();
      this.#controlLines = 0;
    }
  }
}
