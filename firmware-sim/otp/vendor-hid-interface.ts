/**
 * The OTP token's vendor HID interface (docs/hid-otp-protocol.md): the generic CTAPHID layer
 * of firmware-sim/ctaphid carries vendor commands 0x40..0x42 to this handler. Each response
 * is a status byte and ASCII text; token errors become status bytes here, in one place.
 *
 * @example
 * ```ts
 * const hid = createOtpVendorHid(env, token);
 * await UdpEndpoint.listen(hid, { port: 0 });
 * ```
 */
import type { DeviceProfile } from '../../devices/profile.js';
import { CTAPHID_ERR } from '../../src/protocol/ctaphid/index.js';
import { OTP_HID_CMD, OTP_HID_STATUS, formatIdentity } from '../../src/protocol/otp/index.js';
import { CtapHidCommandError, CtapHidFirmware } from '../ctaphid/index.js';
import type { DeviceEnvironment } from '../env/index.js';
import { vendorReportDescriptor } from '../usb/hid-report-descriptors.js';
import { OtpTokenError, type OtpTokenFirmware } from './otp-token-firmware.js';

/** Vendor-defined usage page 0xFF00, usage 0x01, 64-byte input and output reports. */
export const OTP_VENDOR_REPORT_DESCRIPTOR = vendorReportDescriptor(0xff00, 0x01);

function reply(status: number, text = ''): Uint8Array {
  const out = new Uint8Array(1 + text.length);
  out[0] = status;
  for (let i = 0; i < text.length; i++) out[i + 1] = text.charCodeAt(i);
  return out;
}

/** Answer one vendor command. Exported for tests and for composite devices. */
export function handleOtpVendorCommand(token: OtpTokenFirmware, cmd: number, data: Uint8Array): Uint8Array {
  if (data.length !== 0) throw new CtapHidCommandError(CTAPHID_ERR.ERR_INVALID_LEN, 'OTP vendor commands take no data');
  try {
    switch (cmd) {
      case OTP_HID_CMD.IDENTIFY:
        return reply(OTP_HID_STATUS.OK, formatIdentity(token.identity));
      case OTP_HID_CMD.PRESS:
        return reply(OTP_HID_STATUS.OK, token.press().code);
      case OTP_HID_CMD.READ_DISPLAY: {
        const shown = token.display();
        return shown === undefined ? reply(OTP_HID_STATUS.BLANK) : reply(OTP_HID_STATUS.OK, shown.code);
      }
      default:
        throw new CtapHidCommandError(CTAPHID_ERR.ERR_INVALID_CMD, `unknown vendor command 0x${cmd.toString(16)}`);
    }
  } catch (e) {
    if (!(e instanceof OtpTokenError)) throw e;
    return reply(e.reason === 'battery-dead' ? OTP_HID_STATUS.BATTERY_DEAD : e.reason === 'end-of-life' ? OTP_HID_STATUS.END_OF_LIFE : OTP_HID_STATUS.STORAGE);
  }
}

/** The report descriptor of the profile's vendor interface (its usage page and usage). */
export function otpVendorReportDescriptor(profile: DeviceProfile): Uint8Array {
  const vendor = profile.interfaces.find((i) => i.kind === 'otp-vendor');
  return vendor === undefined ? OTP_VENDOR_REPORT_DESCRIPTOR : vendorReportDescriptor(vendor.usagePage, vendor.usage);
}

/** The token's vendor interface as a SimulatedHidInterface any HID endpoint can carry. */
export function createOtpVendorHid(env: DeviceEnvironment, token: OtpTokenFirmware): CtapHidFirmware {
  const [major, minor, build] = token.profile.firmwareVersion.split('.').map((x) => Number(x) & 0xff);
  return new CtapHidFirmware(
    env,
    { vendor: (cmd, data) => handleOtpVendorCommand(token, cmd, data), powerCycle: () => token.powerCycle() },
    { reportDescriptor: otpVendorReportDescriptor(token.profile), version: [major ?? 0, minor ?? 0, build ?? 0] },
  );
}
