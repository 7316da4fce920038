/**
 * The platform's half of hmac-secret (CTAP 2.1 §12.5, CTAP 2.2 §12.7) and hmac-secret-mc
 * (§12.8): agree a shared secret with the authenticator (clientPIN getKeyAgreement), send one
 * or two 32-byte salts encrypted under it with their authentication tag, and decrypt the
 * outputs HMAC-SHA-256(CredRandom, salt) the authenticator returns. WebAuthn's prf and
 * hmacGetSecret, and `tokenrig fido`, build on it.
 *
 * @example
 * ```ts
 * const hmac = await HmacSecretSalts.prepare(await ClientPin.forAuthenticator(ctap2), salt1);
 * const got = await ctap2.getAssertion({ ..., extensions: new Map([['hmac-secret', hmac.input]]) });
 * const { output1 } = hmac.decrypt(parseAuthenticatorData(got.authData).extensions!.get('hmac-secret'));
 * ```
 */
import { ErrorCode, TokenrigError, badInput } from '../errors.js';
import type { CborValue } from '../protocol/cbor.js';
import type { PinUvAuthProtocol } from '../protocol/pin-uv-auth-protocol.js';
import type { ClientPin } from './client-pin.js';

/** The members of the salt input map (§12.5). */
export const HMAC_SECRET_INPUT = { keyAgreement: 0x01, saltEnc: 0x02, saltAuth: 0x03, pinUvAuthProtocol: 0x04 } as const;

export interface HmacSecretOutputs {
  output1: Uint8Array;
  output2?: Uint8Array;
}

function checkSalt(salt: unknown, name: string): Uint8Array {
  if (!(salt instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (salt.length !== 32) throw badInput(`${name} must be 32 bytes, got ${salt.length}`);
  return salt;
}

/** One request's salts, encrypted under a fresh shared secret, and the key to read the answer. */
export class HmacSecretSalts {
  /** The authenticator extension input (`{1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: protocol}`). */
  readonly input: Map<number, CborValue>;
  readonly #protocol: PinUvAuthProtocol;
  readonly #shared: Uint8Array;
  readonly #count: 1 | 2;

  private constructor(input: Map<number, CborValue>, protocol: PinUvAuthProtocol, shared: Uint8Array, count: 1 | 2) {
    this.input = input;
    this.#protocol = protocol;
    this.#shared = shared;
    this.#count = count;
  }

  /** Agree a shared secret through `clientPin` and encrypt `salt1` (and `salt2`), 32 bytes each. */
  static async prepare(clientPin: ClientPin, salt1: Uint8Array, salt2?: Uint8Array): Promise<HmacSecretSalts> {
    // A copy: it is zeroed below, the caller's salts are not.
    const salts = salt2 === undefined ? checkSalt(salt1, 'salt1').slice() : new Uint8Array([...checkSalt(salt1, 'salt1'), ...checkSalt(salt2, 'salt2')]);
    const { keyAgreement, sharedSecret } = await clientPin.keyAgreement();
    const protocol = clientPin.protocol;
    const saltEnc = protocol.encrypt(sharedSecret, salts, clientPin.iv());
    salts.fill(0);
    const input = new Map<number, CborValue>([
      [HMAC_SECRET_INPUT.keyAgreement, keyAgreement],
      [HMAC_SECRET_INPUT.saltEnc, saltEnc],
      [HMAC_SECRET_INPUT.saltAuth, protocol.authenticate(sharedSecret, saltEnc)],
      [HMAC_SECRET_INPUT.pinUvAuthProtocol, protocol.version],
    ]);
    return new HmacSecretSalts(input, protocol, sharedSecret, salt2 === undefined ? 1 : 2);
  }

  /** The outputs in the authenticator's answer; PROTOCOL error when it is not what was asked for. */
  decrypt(output: CborValue | undefined): HmacSecretOutputs {
    if (!(output instanceof Uint8Array)) throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: hmac-secret output must be a byte string');
    let plain: Uint8Array;
    try {
      plain = this.#protocol.decrypt(this.#shared, output);
    } catch (e) {
      throw new TokenrigError(ErrorCode.PROTOCOL, 'authenticator response: hmac-secret output does not decrypt', { cause: e });
    }
    if (plain.length !== 32 * this.#count) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: hmac-secret output is ${plain.length} bytes, ${32 * this.#count} expected`);
    return this.#count === 1 ? { output1: plain } : { output1: plain.slice(0, 32), output2: plain.slice(32) };
  }

  /** Forget the shared secret. */
  dispose(): void {
    this.#shared.fill(0);
  }
}
