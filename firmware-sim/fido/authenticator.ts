/**
 * A simulated FIDO2/U2F authenticator: a pure message machine over a DeviceEnvironment.
 * A CTAP2 message's command byte picks a command family from the dispatch table
 * (commands/index.ts); the family parses its parameters and serves the request; every
 * failure becomes a CTAP2 status byte in `#handleCbor`, the one place where errors are
 * mapped. U2F APDUs (CTAPHID_MSG) are served by commands/u2f.ts with the same keys.
 *
 * The profile (devices/fido-profile.ts) is the key's personality: which versions, commands,
 * options, extensions and algorithms it has, and its limits; getInfo is built from it.
 *
 * @example
 * ```ts
 * const authenticator = await FidoAuthenticator.create(createNodeEnvironment({ stateDir }));
 * const endpoint = await UdpEndpoint.listen(authenticator.hid, { port: 8111 });
 * ```
 */
import { type CborValue, CborError, decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import type { CtapHidContext } from '../ctaphid/index.js';
import { CtapHidFirmware } from '../ctaphid/index.js';
import type { DeviceEnvironment } from '../env/index.js';
import type { CredentialAlgorithm } from './algorithms/index.js';
import { type Es256Key, generateEs256, importEs256 } from './algorithms/es256.js';
import { buildAttestationCertificate } from './attestation-cert.js';
import type { CborParams } from './cbor-params.js';
import { CTAP2_COMMANDS, type Ctap2Command } from './commands/index.js';
import { handleU2fApdu, speaksU2f } from './commands/u2f.js';
import { FidoDevice, type FidoEvent } from './device.js';
import { CtapStatusError, S, fail } from './errors.js';
import type { Extension } from './extensions/index.js';
import { BUILT_IN, type FidoProfile, type FidoProfileOverrides, type Implemented, fidoProfile } from './profile.js';
import { type Identity, FidoStateStore, type ResidentCredential } from './state.js';
import { fingerprintVerifier } from './fingerprint-verifier.js';
import type { UserVerifierSource } from './user-verification.js';

export { USER_PRESENCE_TIMEOUT_MS, type FidoEvent } from './device.js';
export { RESET_WINDOW_MS } from './commands/reset.js';

const NO_PARAMS: CborParams = new Map();

/** What FidoAuthenticator.create takes besides the environment. */
export interface FidoAuthenticatorOptions {
  /**
   * Built-in user verification; by default a key whose profile has a fingerprintSensor uses it
   * (with the environment's finger), and a key without one refuses uv=true.
   */
  userVerifier?: UserVerifierSource;
  /** Extension modules beside the built-in registry (a test's or an experiment's). */
  extensions?: readonly Extension[];
  /** Algorithm modules beside the built-in registry. */
  algorithms?: readonly CredentialAlgorithm[];
}

function implemented(options: FidoAuthenticatorOptions): Implemented {
  return {
    algorithms: new Map([...BUILT_IN.algorithms, ...(options.algorithms ?? []).map((a) => [a.alg, a] as const)]),
    extensions: new Map([...BUILT_IN.extensions, ...(options.extensions ?? []).map((e) => [e.id, e] as const)]),
  };
}

export class FidoAuthenticator {
  readonly profile: FidoProfile;
  readonly hid: CtapHidFirmware;
  readonly #device: FidoDevice;
  /** The command family of each command byte this key answers. */
  readonly #commands: (Ctap2Command | undefined)[] = new Array(256);

  private constructor(device: FidoDevice) {
    this.#device = device;
    this.profile = device.profile;
    for (const c of device.commands) this.#commands[c.code] = c;
    this.hid = new CtapHidFirmware(
      device.env,
      {
        // A U2F-only key has no CBOR handler, so INIT reports no CBOR capability (CTAP 2.1 §11.2.9.1.3).
        ...(device.commands.length > 0 ? { cbor: (data: Uint8Array, ctx: CtapHidContext) => this.#handleCbor(data, ctx) } : {}),
        ...(speaksU2f(device.profile) ? { msg: (data: Uint8Array, ctx: CtapHidContext) => handleU2fApdu(device, data, ctx) } : {}),
        wink: () => device.emit({ event: 'wink' }),
        powerCycle: () => device.powerUp(),
      },
      { version: device.profile.firmwareVersion, adoptUnknownChannels: device.hasQuirk('anyChannelWhenIdle') },
    );
  }

  /** Load or create the persistent identity (master key, attestation key and certificate). */
  static async create(env: DeviceEnvironment, profile: FidoProfileOverrides = {}, options: FidoAuthenticatorOptions = {}): Promise<FidoAuthenticator> {
    const modules = implemented(options);
    const p = fidoProfile(profile, undefined, modules);
    const store = new FidoStateStore(env.storage);
    let identity = store.readIdentity();
    let attestationKey: Es256Key;
    if (identity === undefined) {
      attestationKey = await generateEs256(env.random);
      const now = new Date(env.clock.now());
      const cert = await buildAttestationCertificate({
        key: attestationKey,
        subject: { country: 'US', organization: p.manufacturer, commonName: `${p.product} batch` },
        aaguid: new Uint8Array(Buffer.from(p.aaguid, 'hex')),
        serial: env.random.bytes(16),
        notBefore: new Date(Date.UTC(now.getUTCFullYear() - 1, 0, 1)),
        notAfter: new Date(Date.UTC(now.getUTCFullYear() + 30, 0, 1)),
      });
      identity = { masterKey: env.random.bytes(32), attestationKey: attestationKey.d, attestationCert: cert } satisfies Identity;
      store.writeIdentity(identity);
    } else {
      attestationKey = await importEs256(identity.attestationKey);
    }
    const userVerifier = options.userVerifier ?? fingerprintVerifier(p);
    const device = new FidoDevice({
      env,
      profile: p,
      store,
      identity,
      attestationKey,
      commands: CTAP2_COMMANDS.filter((c) => c.available(p)),
      extensions: p.extensions.map((id) => modules.extensions.get(id)!),
      algorithms: p.algorithms.map((alg) => modules.algorithms.get(alg)!),
      ...(userVerifier === undefined ? {} : { userVerifier }),
    });
    return new FidoAuthenticator(device);
  }

  /** Listeners for events (credential made, assertion, PIN changes, reset, waiting for touch). */
  get onEvent(): ((e: FidoEvent) => void) | undefined {
    return this.#device.onEvent;
  }

  set onEvent(listener: ((e: FidoEvent) => void) | undefined) {
    this.#device.onEvent = listener;
  }

  /** The DER attestation certificate (batch attestation). */
  get attestationCertificate(): Uint8Array {
    return this.#device.identity.attestationCert.slice();
  }

  /** Number of resident credentials stored. */
  get residentCount(): number {
    return this.#device.store.residentCredentials().length;
  }

  /** The resident (discoverable) credentials stored: ids, relying parties and users, no keys. */
  residentCredentials(): readonly ResidentCredential[] {
    return this.#device.store.residentCredentials();
  }

  /** How many fingers the fingerprint sensor has enrolled (0 on a key without one). */
  get enrolledFingers(): number {
    return this.profile.fingerprintSensor === undefined ? 0 : this.#device.store.readTemplates().length;
  }

  /**
   * Enroll `finger` (the simulation's name for it) as a key is set up before it is handed over
   * (a rig's key, a key a lab prepared): the template bio enrollment (CTAP 2.1 §6.7) would
   * store, without the PIN and the samples it asks for. RangeError on a key without a
   * fingerprint sensor or with every template slot (maxTemplates) taken.
   */
  enrollFinger(finger: string, friendlyName?: string): void {
    const sensor = this.profile.fingerprintSensor;
    if (sensor === undefined) throw new RangeError(`${this.profile.product} has no fingerprint sensor`);
    const templates = this.#device.store.readTemplates();
    if (templates.length >= sensor.maxTemplates) throw new RangeError(`${this.profile.product} has no free template slot (maxTemplates ${sensor.maxTemplates})`);
    let id: Uint8Array;
    do id = this.#device.env.random.bytes(4);
    while (templates.some((t) => Buffer.from(t.id).equals(id)));
    this.#device.store.writeTemplates([...templates, { id, finger, ...(friendlyName === undefined ? {} : { friendlyName }) }]);
    this.#device.emit({ event: 'finger_enrolled', templateId: Buffer.from(id).toString('hex'), fingers: templates.length + 1 });
  }

  /** Power cycle the device (same as the endpoint's power cycle). */
  powerCycle(): void {
    this.hid.powerCycle();
  }

  async #handleCbor(data: Uint8Array, ctx: CtapHidContext): Promise<Uint8Array> {
    try {
      const response = await this.#dispatch(data, ctx);
      if (response === undefined) return Uint8Array.of(S.CTAP2_OK);
      const body = encodeCbor(response);
      const out = new Uint8Array(1 + body.length);
      out.set(body, 1);
      return out;
    } catch (e) {
      // The one place errors become status codes.
      if (e instanceof CtapStatusError) {
        this.#device.env.log.log('debug', 'ctap2.status', { status: e.message });
        return Uint8Array.of(e.status);
      }
      if (ctx.signal.aborted) return Uint8Array.of(S.CTAP2_ERR_KEEPALIVE_CANCEL);
      this.#device.env.log.log('error', 'ctap2.internal', { error: e instanceof Error ? e.message : String(e) });
      return Uint8Array.of(S.CTAP1_ERR_OTHER);
    }
  }

  /** Command byte → family; CBOR parameters → the family's request; then the handler. */
  #dispatch(message: Uint8Array, ctx: CtapHidContext): ReturnType<Ctap2Command['handle']> {
    if (message.length === 0) throw fail(S.CTAP1_ERR_INVALID_LENGTH);
    const command = this.#commands[message[0]!];
    if (command === undefined) throw fail(S.CTAP1_ERR_INVALID_COMMAND, `command 0x${message[0]!.toString(16)}`);
    const body = message.subarray(1);
    if (command.parse === undefined) {
      if (body.length !== 0) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'command takes no parameters');
      return command.handle(this.#device, undefined, ctx);
    }
    return command.handle(this.#device, command.parse(body.length === 0 ? NO_PARAMS : decodeParams(body), this.#device), ctx);
  }
}

function decodeParams(body: Uint8Array): CborParams {
  let v: CborValue;
  try {
    v = decodeCbor(body);
  } catch (e) {
    if (e instanceof CborError) throw fail(S.CTAP2_ERR_INVALID_CBOR, e.message);
    throw e;
  }
  if (!(v instanceof Map)) throw fail(S.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'parameters must be a map');
  return v;
}
