/**
 * The uhid devices of a simulated token or key: one uhid device per HID interface of its
 * profile (uhid makes HID devices, not USB ones, so a composite key becomes several hidraw
 * nodes with the same identity, and a CDC serial port has no uhid form), with the report
 * descriptors and identity the USB descriptors use.
 *
 * @example
 * ```ts
 * const devices = await openProfileUhid(token.profile, createOtpParts(env, token), token.serial);
 * devices.map((d) => d.hidraw); // ['/dev/hidraw0', '/dev/hidraw1']
 * ```
 */
import type { DeviceProfile } from '../../devices/profile.js';
import type { FidoAuthenticator } from '../fido/index.js';
import type { SimulatedHidInterface } from '../hid-interface.js';
import { type HidInterfaceSpec, type UsbDeviceParts, fidoIdentity, hidInterfaceSpec, usbIdentity } from '../usb/profile-devices.js';
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

/** The HID parts of a profile that `parts` provides, in the profile's order. */
export function uhidPartsFromProfile(profile: DeviceProfile, parts: UsbDeviceParts): UhidPart[] {
  return profile.interfaces.flatMap((i) => {
    const spec = hidInterfaceSpec(i);
    const device = i.kind === 'serial' ? undefined : parts[i.kind];
    return spec === undefined || device === undefined ? [] : [{ spec, device }];
  });
}

/** uhid devices for the HID interfaces of `profile` in `parts`, named by the profile's identity. */
export function openProfileUhid(profile: DeviceProfile, parts: UsbDeviceParts, serial?: string, options: Pick<UhidEndpointOptions, 'path' | 'onEvent'> = {}): Promise<UhidEndpoint[]> {
  return openUhidDevices(usbIdentity(profile, serial), uhidPartsFromProfile(profile, parts), options);
}

/** The FIDO authenticator as a uhid device: its device profile's identity when it has one. */
export function openFidoUhid(authenticator: FidoAuthenticator, device?: DeviceProfile, options: Pick<UhidEndpointOptions, 'path' | 'onEvent'> = {}): Promise<UhidEndpoint[]> {
  if (device !== undefined) return openProfileUhid(device, { fido: authenticator.hid }, undefined, options);
  return openUhidDevices(fidoIdentity(authenticator.profile), [{ spec: hidInterfaceSpec({ kind: 'fido', usagePage: 0xf1d0, usage: 0x01 })!, device: authenticator.hid }], options);
}
