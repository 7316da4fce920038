/**
 * Configuring a key (CTAP 2.1 §6.11), the flows on top of `Ctap2.config`: a pinUvAuthToken
 * with the acfg permission when the key is protected by a PIN (an unprotected key takes the
 * command without one), then alwaysUv on or off, the minimum PIN length (with the RP IDs that
 * may read it, and forcing a PIN change), enterprise attestation. Each reads getInfo afterwards
 * and returns what the key now reports.
 *
 * @example
 * ```ts
 * const config = await ConfigManager.open(ctap2, '1234');
 * await config.setAlwaysUv(true);
 * await config.setMinPinLength({ minPinLength: 6, rpIds: ['login.example'] });
 * ```
 */
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import { CONFIG_SUBCOMMAND as SUB, type SetMinPinLengthParams, configAuthMessage } from './authenticator-config.js';
import { ClientPin } from './client-pin.js';
import type { Ctap2, Ctap2Info } from './ctap2.js';

export interface ConfigManagerOptions {
  protocol?: 1 | 2;
  randomBytes?: (n: number) => Uint8Array;
}

export class ConfigManager {
  readonly ctap2: Ctap2;
  readonly #auth: { pin: ClientPin; token: Uint8Array } | undefined;
  #info: Ctap2Info;

  private constructor(ctap2: Ctap2, info: Ctap2Info, auth: { pin: ClientPin; token: Uint8Array } | undefined) {
    this.ctap2 = ctap2;
    this.#info = info;
    this.#auth = auth;
  }

  /** What the key reported last (getInfo after the last change). */
  get info(): Ctap2Info {
    return this.#info;
  }

  /**
   * Ready to configure the key. UNSUPPORTED without authenticatorConfig (no authnrCfg option),
   * and on a key protected by an enrolled finger but no PIN (a finger gives no acfg token without
   * uvAcfg); a key with a PIN needs `pin` (BAD_INPUT without it).
   */
  static async open(ctap2: Ctap2, pin: string | undefined, options: ConfigManagerOptions = {}): Promise<ConfigManager> {
    const info = await ctap2.getInfo();
    if (info.options.authnrCfg !== true) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no authenticatorConfig (getInfo options lack authnrCfg)');
    if (info.options.clientPin !== true) {
      if (info.options.uv !== true || info.options.uvAcfg === true) return new ConfigManager(ctap2, info, undefined);
      // §6.11 step 3: a key protected by built-in UV alone still wants a token with acfg, and
      // from a finger only with uvAcfg (§6.5.5.7.3 step 4), which a YubiKey Bio does not have.
      throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key is protected by its fingerprint alone and takes no finger for configuration (no uvAcfg): set a PIN first (tokenrig fido pin set), then give it with --pin');
    }
    if (pin === undefined) throw badInput('the key has a PIN: give it (--pin) to change its configuration');
    // A PIN that must be changed gets no token (CTAP 2.1 §6.5.5.7.2 step 11): say what to do.
    if (info.forcePINChange === true) throw new TokenrigError(ErrorCode.REJECTED, 'the key wants its PIN changed before it is used again (tokenrig fido pin change)');
    const cp = new ClientPin(ctap2, { protocol: options.protocol ?? (info.pinUvAuthProtocols.includes(2) ? 2 : 1), ...(options.randomBytes === undefined ? {} : { randomBytes: options.randomBytes }) });
    return new ConfigManager(ctap2, info, { pin: cp, token: await cp.getPinUvAuthTokenUsingPinWithPermissions(pin, ['acfg']) });
  }

  async #call(subCommand: number, subCommandParams?: SetMinPinLengthParams): Promise<Ctap2Info> {
    const auth = this.#auth === undefined ? {} : { pinUvAuthProtocol: this.#auth.pin.protocol.version, pinUvAuthParam: this.#auth.pin.protocol.authenticate(this.#auth.token, configAuthMessage(subCommand, subCommandParams)) };
    await this.ctap2.config({ subCommand, ...(subCommandParams === undefined ? {} : { subCommandParams }), ...auth });
    this.#info = await this.ctap2.getInfo();
    return this.#info;
  }

  /** Turn alwaysUv on or off (toggleAlwaysUv, §6.11.2, sent only when it differs); returns the new state. */
  async setAlwaysUv(on: boolean): Promise<boolean> {
    if (this.#info.options.alwaysUv === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no alwaysUv option');
    if (this.#info.options.alwaysUv !== on) await this.#call(SUB.toggleAlwaysUv);
    return this.#info.options.alwaysUv === true;
  }

  /** setMinPINLength (§6.11.4): the minimum only grows; returns getInfo's minPINLength and forcePINChange afterwards. */
  async setMinPinLength(p: { minPinLength?: number; rpIds?: string[]; forceChangePin?: boolean }): Promise<{ minPINLength: number | undefined; forcePINChange: boolean }> {
    if (this.#info.options.setMinPINLength !== true) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no setMinPINLength option');
    if (p.minPinLength !== undefined && (!Number.isInteger(p.minPinLength) || p.minPinLength < 4 || p.minPinLength > 63)) throw badInput('the minimum PIN length must be 4..63');
    const current = this.#info.minPINLength;
    if (p.minPinLength !== undefined && current !== undefined && p.minPinLength < current) throw badInput(`the minimum PIN length only grows (it is ${current}; a reset brings back the factory value)`);
    const max = this.#info.maxRPIDsForSetMinPINLength ?? 0;
    if (p.rpIds !== undefined && p.rpIds.length > max) throw badInput(`the key takes at most ${max} RP IDs for the minimum PIN length`);
    const params: SetMinPinLengthParams = {};
    if (p.minPinLength !== undefined) params.newMinPINLength = p.minPinLength;
    if (p.rpIds !== undefined) params.minPinLengthRPIDs = p.rpIds;
    if (p.forceChangePin === true) params.forceChangePin = true;
    const info = await this.#call(SUB.setMinPINLength, Object.keys(params).length === 0 ? undefined : params);
    return { minPINLength: info.minPINLength, forcePINChange: info.forcePINChange === true };
  }

  /** enableEnterpriseAttestation (§6.11.1); returns the ep option afterwards. */
  async enableEnterpriseAttestation(): Promise<boolean> {
    if (this.#info.options.ep === undefined) throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key is not capable of enterprise attestation (no ep option)');
    if (this.#info.options.ep !== true) await this.#call(SUB.enableEnterpriseAttestation);
    return this.#info.options.ep === true;
  }
}
