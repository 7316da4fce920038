/**
 * The uhid devices of a simulated token or key: one uhid device per HID interface (uhid makes
 * HID devices, not USB ones, so a composite key becomes several hidraw nodes with the same
 * identity, and a CDC serial port has no uhid form), with the report descriptors and identity
 * the USB descriptors use.
 *
 * @example
 * ```ts
 * const fido = hidInterfaceSpec({ kind: 'fido', usagePage: 0xf1d0, usage: 0x01 })!;
 * const devices = await openUhidDevices(fidoIdentity(authenticator.profile), [{ spec: fido, device: authenticator.hid }]);
 * devices.map((d) => d.hidraw); // ['/dev/hidraw0']
 * ```
 */
import type { SimulatedHidInterface } from '../hid-interface.js';
import type { HidInterfaceSpec } from '../usb/profile-devices.js';
import type { UsbDeviceIdentity } from '../usb/usb-device.js';
import { UhidEndpoint, type UhidEndpointOptions } from './uhid-endpoint.js';

/** One HID interface to present through uhid. */
export interface UhidPart {
  spec: HidInterfaceSpec;
  device: SimulatedHidInterface;
}

/** Open a uhid device for each part, all with `identity`; closes what opened if one fails. */
export async function openUhidDevices(identity: UsbDeviceIdentity, parts: readonly UhidPart[], options: Pick<UhidEndpointOptions, 'path' | 'onEvent'> = {}): Promise<UhidEndpoint[]> {
  const opened: UhidEndpoint[] = [];
  try {
    for (const { spec, device } of parts) {
      opened.push(
        await UhidEndpoint.open(
          device,
          {
            // HID_NAME as usbhid builds it from the USB strings: "Manufacturer Product".
            name: `${identity.manufacturer} ${identity.product}`,
            vendor: identity.vendorId,
            product: identity.productId,
            version: identity.bcdDevice,
            ...(identity.serial === undefined ? {} : { uniq: identity.serial }),
          },
          { ...options, reportDescriptor: spec.reportDescriptor, inputReportSize: spec.inputReportSize, outputReportSize: spec.outputReportSize },
        ),
      );
    }
  } catch (e) {
    await Promise.all(opened.map((u) => u.close()));
    throw e;
  }
  return opened;
}
