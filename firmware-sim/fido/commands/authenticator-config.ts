/**
 * authenticatorConfig (CTAP 2.1 §6.11): enableEnterpriseAttestation, toggleAlwaysUv and
 * setMinPINLength (newMinPINLength, minPinLengthRPIDs, forceChangePin), authorized by a
 * pinUvAuthToken with the acfg permission once the key is protected by a PIN (or alwaysUv is
 * on), and what getInfo then reports live: the alwaysUv, ep and makeCredUvNotRqd options,
 * minPINLength, forcePINChange, and versions without U2F_V2 while alwaysUv is on. The settings
 * themselves live in settings.ts and `fido.config` (state.ts).
 */
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import { CONFIG as P, CONFIG_SUBCOMMAND as SUB, GET_INFO, PERMISSION, SET_MIN_PIN_LENGTH_PARAMS as SP } from '../../../src/protocol/ctap2-parameters.js';
import { type CborParams, type PinUvAuthParams, array, bool, map, optional, pinUvAuthParams, text, uint } from '../cbor-params.js';
import type { FidoDevice } from '../device.js';
import { S, fail } from '../errors.js';
import { authorize } from '../pin-uv-auth-token.js';
import { alwaysUv, enterpriseAttestationEnabled, forcePinChange, makeCredUvNotRequired } from '../settings.js';
import { authMessage } from '../../../src/protocol/auth-message.js';
import { type Ctap2Response, defineCommand, speaksCtap2 } from './command.js';

export interface ConfigRequest extends PinUvAuthParams {
  subCommand: number;
  /** subCommandParams as sent, for the message the pinUvAuthParam authenticates. */
  params: CborParams | undefined;
  newMinPINLength?: number;
  minPinLengthRPIDs?: string[];
  forceChangePin?: boolean;
}

function parse(p: CborParams): ConfigRequest {
  const req: ConfigRequest = {
    subCommand: uint(p.get(P.subCommand), 'subCommand'),
    params: optional(p.get(P.subCommandParams), (v) => map(v, 'subCommandParams')),
    ...pinUvAuthParams(p, P.pinUvAuthParam, P.pinUvAuthProtocol),
  };
  // setMinPINLength's members (§6.11.4); other sub-commands take none of their own.
  if (req.params !== undefined && req.subCommand === SUB.setMinPINLength) {
    const n = optional(req.params.get(SP.newMinPINLength), (v) => uint(v, 'newMinPINLength'));
    const rpIds = optional(req.params.get(SP.minPinLengthRPIDs), (v) => array(v, 'minPinLengthRPIDs').map((x) => text(x, 'minPinLengthRPIDs')));
    const force = optional(req.params.get(SP.forceChangePin), (v) => bool(v, 'forceChangePin'));
    if (n !== undefined) req.newMinPINLength = n;
    if (rpIds !== undefined) req.minPinLengthRPIDs = rpIds;
    if (force !== undefined) req.forceChangePin = force;
  }
  return req;
}

/**
 * §6.11 steps 3–4: a key protected by user verification (or with alwaysUv on, for anything but
 * turning it off) needs a pinUvAuthParam over 32×0xff ‖ 0x0d ‖ uint8(subCommand) ‖
 * subCommandParams from a token with the acfg permission; an unprotected key configures
 * without one, as OpenSK does.
 */
function authorizeConfig(device: FidoDevice, req: ConfigRequest): void {
  if (!device.protectedByUv && !(alwaysUv(device) && req.subCommand !== SUB.toggleAlwaysUv)) return;
  if (req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
  if (req.pinUvAuthProtocol === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  const protocol = device.pinUvAuthProtocol(req.pinUvAuthProtocol);
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
  const message = authMessage([...new Array<number>(32).fill(0xff), CTAP2_CMD.CONFIG, req.subCommand], req.params);
  authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam, message, permission: PERMISSION.acfg });
}

type SubCommand = (device: FidoDevice, req: ConfigRequest) => Ctap2Response;

/** §6.11.1 enableEnterpriseAttestation: INVALID_PARAMETER on a key not capable of it. */
const enableEnterpriseAttestation: SubCommand = (device) => {
  if (device.profile.options.ep === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'not capable of enterprise attestation');
  device.store.updateSettings({ ep: true });
  device.emit({ event: 'enterprise_attestation_enabled' });
  return undefined;
};

/** §6.11.2 toggleAlwaysUv. */
const toggleAlwaysUv: SubCommand = (device) => {
  const on = !alwaysUv(device);
  device.store.updateSettings({ alwaysUv: on });
  device.emit({ event: 'always_uv', on });
  return undefined;
};

/** §6.11.4 setMinPINLength. */
const setMinPINLength: SubCommand = (device, req) => {
  const current = device.minPinLength;
  const next = req.newMinPINLength ?? current;
  // Step 2: the minimum only grows (a reset brings back the factory value); no PIN is longer than 63 bytes.
  if (next < current || next > (device.profile.limits.maxPINLength ?? 63)) throw fail(S.CTAP2_ERR_PIN_POLICY_VIOLATION, 'newMinPINLength');
  const max = device.profile.limits.maxRPIDsForSetMinPINLength ?? 0;
  if (req.minPinLengthRPIDs !== undefined && req.minPinLengthRPIDs.length > max) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, `minPinLengthRPIDs: at most ${max}`);
  const pin = device.store.readPin();
  if (req.forceChangePin === true && pin.hash === undefined) throw fail(S.CTAP2_ERR_PIN_NOT_SET);
  // Step 5: a PIN shorter than the new minimum (or of unknown length) must be changed.
  const tooShort = pin.hash !== undefined && (pin.codePoints === undefined || pin.codePoints < next);
  device.store.updateSettings({
    minPINLength: next,
    ...(req.minPinLengthRPIDs === undefined ? {} : { minPinLengthRPIDs: req.minPinLengthRPIDs }),
    ...(req.forceChangePin === true || tooShort ? { forcePINChange: true } : {}),
  });
  device.emit({ event: 'min_pin_length', minPinLength: next, forcePinChange: forcePinChange(device) });
  return undefined;
};

/** The sub-commands by number, each with the option a key must have for it (vendorPrototype: none here). */
export const CONFIG_SUBCOMMANDS: ReadonlyMap<number, { handle: SubCommand; available?: (device: FidoDevice) => boolean }> = new Map([
  [SUB.enableEnterpriseAttestation, { handle: enableEnterpriseAttestation }],
  [SUB.toggleAlwaysUv, { handle: toggleAlwaysUv, available: (d: FidoDevice) => d.profile.options.alwaysUv !== undefined }],
  [SUB.setMinPINLength, { handle: setMinPINLength, available: (d: FidoDevice) => d.profile.options.setMinPINLength !== undefined }],
]);

export const authenticatorConfig = defineCommand<ConfigRequest>({
  code: CTAP2_CMD.CONFIG,
  name: 'authenticatorConfig',
  available: (profile) => speaksCtap2(profile) && profile.options.authnrCfg !== undefined,
  parse,
  handle(device, req) {
    const sub = CONFIG_SUBCOMMANDS.get(req.subCommand);
    if (sub === undefined || sub.available?.(device) === false) throw fail(S.CTAP2_ERR_INVALID_SUBCOMMAND); // step 2
    authorizeConfig(device, req);
    return sub.handle(device, req);
  },
  info(device, info) {
    const on = alwaysUv(device);
    info.option('alwaysUv', on);
    info.option('ep', enterpriseAttestationEnabled(device));
    info.option('makeCredUvNotRqd', makeCredUvNotRequired(device));
    // U2F has no user verification: while alwaysUv is on the key speaks no U2F (u2f.ts).
    if (on) info.member(GET_INFO.versions, device.profile.versions.filter((v) => v !== 'U2F_V2'));
    if (device.profile.options.setMinPINLength !== undefined) {
      info.member(GET_INFO.minPINLength, device.minPinLength);
      info.member(GET_INFO.forcePINChange, forcePinChange(device));
    }
  },
});
