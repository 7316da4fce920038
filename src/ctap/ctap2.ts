/**
 * CTAP2 over a CTAPHID device (CTAP 2.1 §6, CTAP 2.2): one typed method per authenticator
 * command, including credentialManagement, bioEnrollment, largeBlobs and authenticatorConfig
 * (their request and response shapes are in their own modules beside this one).
 * Strict about what comes back: the response must be CTAP2 canonical CBOR, or the call fails
 * with PROTOCOL. A non-zero status becomes `TokenrigError` DEVICE whose `wireCode` is the
 * status byte and whose message carries the spec's name (`CTAP2_ERR_PIN_INVALID`).
 *
 * @example
 * ```ts
 * const ctap2 = new Ctap2(await CtapHidDevice.open(transport));
 * const info = await ctap2.getInfo();
 * const made = await ctap2.makeCredential({ clientDataHash, rp: { id: 'example.com' }, user: { id }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }] });
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { type CborValue, decodeCbor, encodeCbor } from '../protocol/cbor.js';
import { CTAP2_CMD, ctap2StatusName } from '../protocol/ctap-status.js';
import { GET_ASSERTION as GA, GET_ASSERTION_RESPONSE as GAR, MAKE_CREDENTIAL as MC, MAKE_CREDENTIAL_RESPONSE as MCR } from '../protocol/ctap2-parameters.js';
import { CTAPHID } from '../protocol/ctaphid/index.js';
import type { CallOptions, CtapHidDevice } from '../drivers/ctaphid-device.js';
import { type ConfigRequest, configRequest } from './authenticator-config.js';
import { type BioEnrollmentRequest, type BioEnrollmentResponse, bioEnrollmentRequest, parseBioEnrollmentResponse } from './bio-enrollment.js';
import { type CredentialManagementRequest, type CredentialManagementResponse, credentialManagementRequest, parseCredentialManagementResponse } from './credential-management.js';
import { type Ctap2Info, parseGetInfo } from './get-info.js';
import { type LargeBlobsRequest, type LargeBlobsResponse, largeBlobsRequest, parseLargeBlobsResponse } from './large-blobs.js';
import { type CredentialDescriptor, type UserEntity, bool, bytes, credentialDescriptor, descriptorMap, entityMap, map, uint, userEntity } from './response-readers.js';

export type { Ctap2Info } from './get-info.js';
export type { CredentialDescriptor, UserEntity } from './response-readers.js';

/** The CTAP 2.1-PRE command numbers of credentialManagement and bioEnrollment (libfido2, older keys). */
export const PROTOTYPE_CMD = { BIO_ENROLLMENT: 0x40, CREDENTIAL_MANAGEMENT: 0x41 } as const;

export interface MakeCredentialParams {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: UserEntity;
  pubKeyCredParams: { type: string; alg: number }[];
  excludeList?: CredentialDescriptor[];
  /** Authenticator extension inputs by extension identifier (CTAP 2.1 §12). */
  extensions?: Map<string, CborValue>;
  options?: { rk?: boolean; up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  /** 1: vendor-facilitated, 2: platform-managed enterprise attestation (§6.1.2 step 9). */
  enterpriseAttestation?: number;
  /** CTAP 2.2: attestation formats the platform prefers, most preferred first. */
  attestationFormatsPreference?: string[];
}

export interface MakeCredentialResult {
  fmt: string;
  authData: Uint8Array;
  attStmt: Map<CborValue, CborValue>;
  /** Whether enterprise attestation was returned. */
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
  /** CTAP 2.2 unsigned extension outputs by extension identifier. */
  unsignedExtensionOutputs?: Map<CborValue, CborValue>;
}

export interface GetAssertionParams {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  /** Authenticator extension inputs by extension identifier. */
  extensions?: Map<string, CborValue>;
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface AssertionResult {
  credential: CredentialDescriptor | undefined;
  authData: Uint8Array;
  signature: Uint8Array;
  user: UserEntity | undefined;
  numberOfCredentials: number | undefined;
  /** The user chose the credential on the key's own display. */
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
  unsignedExtensionOutputs?: Map<CborValue, CborValue>;
}

/** The error of a non-zero CTAP2 status; `wireCode` is the status byte. */
export function ctap2Error(status: number, command: string): TokenrigError {
  return new TokenrigError(ErrorCode.DEVICE, `${command}: ${ctap2StatusName(status)}`, { wireCode: status });
}

function protocolError(what: string, cause?: unknown): TokenrigError {
  return new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: ${what}`, { cause });
}

function bytesField(m: Map<CborValue, CborValue>, key: number, what: string): Uint8Array {
  const v = m.get(key);
  if (!(v instanceof Uint8Array)) throw protocolError(`${what} missing or not bytes`);
  return v;
}

export class Ctap2 {
  readonly device: CtapHidDevice;

  constructor(device: CtapHidDevice) {
    this.device = device;
  }

  /**
   * Send command `cmd` with the CBOR map `params`; return the decoded response map (empty when
   * the authenticator sent only a status byte).
   */
  async send(cmd: number, params: Map<number, unknown> | undefined, name: string, options: CallOptions = {}): Promise<Map<CborValue, CborValue>> {
    const body = params === undefined ? new Uint8Array(0) : encodeCbor(params);
    const request = new Uint8Array(1 + body.length);
    request[0] = cmd;
    request.set(body, 1);
    const reply = await this.device.call(CTAPHID.CBOR, request, options);
    if (reply.length === 0) throw protocolError(`empty reply to ${name}`);
    if (reply[0] !== 0) throw ctap2Error(reply[0]!, name);
    if (reply.length === 1) return new Map();
    let decoded: CborValue;
    try {
      decoded = decodeCbor(reply.subarray(1));
    } catch (e) {
      throw protocolError(`${name}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (!(decoded instanceof Map)) throw protocolError(`${name} is not a CBOR map`);
    return decoded;
  }

  /** authenticatorGetInfo (§6.4): every member of CTAP 2.1 and 2.2, strictly typed. */
  async getInfo(): Promise<Ctap2Info> {
    return parseGetInfo(await this.send(CTAP2_CMD.GET_INFO, undefined, 'authenticatorGetInfo'));
  }

  /** authenticatorMakeCredential (§6.1). */
  async makeCredential(p: MakeCredentialParams, call: CallOptions = {}): Promise<MakeCredentialResult> {
    const params = new Map<number, unknown>([
      [MC.clientDataHash, p.clientDataHash],
      [MC.rp, entityMap(p.rp)],
      [MC.user, entityMap(p.user)],
      [MC.pubKeyCredParams, p.pubKeyCredParams.map((c) => new Map<string, CborValue>([['alg', c.alg], ['type', c.type]]))],
    ]);
    if (p.excludeList !== undefined && p.excludeList.length > 0) params.set(MC.excludeList, p.excludeList.map(descriptorMap));
    if (p.extensions !== undefined && p.extensions.size > 0) params.set(MC.extensions, p.extensions);
    if (p.options !== undefined && Object.keys(p.options).length > 0) params.set(MC.options, entityMap(p.options));
    if (p.pinUvAuthParam !== undefined) params.set(MC.pinUvAuthParam, p.pinUvAuthParam);
    if (p.pinUvAuthProtocol !== undefined) params.set(MC.pinUvAuthProtocol, p.pinUvAuthProtocol);
    if (p.enterpriseAttestation !== undefined) params.set(MC.enterpriseAttestation, p.enterpriseAttestation);
    if (p.attestationFormatsPreference !== undefined) params.set(MC.attestationFormatsPreference, p.attestationFormatsPreference);
    const m = await this.send(CTAP2_CMD.MAKE_CREDENTIAL, params, 'authenticatorMakeCredential', call);
    const fmt = m.get(MCR.fmt);
    const attStmt = m.get(MCR.attStmt);
    if (typeof fmt !== 'string') throw protocolError('makeCredential fmt missing');
    if (!(attStmt instanceof Map)) throw protocolError('makeCredential attStmt missing');
    const result: MakeCredentialResult = { fmt, authData: bytesField(m, MCR.authData, 'makeCredential authData'), attStmt };
    const epAtt = opt(m, MCR.epAtt, bool, 'makeCredential epAtt');
    const largeBlobKey = opt(m, MCR.largeBlobKey, bytes, 'makeCredential largeBlobKey');
    const unsigned = opt(m, MCR.unsignedExtensionOutputs, map, 'makeCredential unsignedExtensionOutputs');
    if (epAtt !== undefined) result.epAtt = epAtt;
    if (largeBlobKey !== undefined) result.largeBlobKey = largeBlobKey;
    if (unsigned !== undefined) result.unsignedExtensionOutputs = unsigned;
    return result;
  }

  /** authenticatorGetAssertion (§6.2). */
  async getAssertion(p: GetAssertionParams, call: CallOptions = {}): Promise<AssertionResult> {
    const params = new Map<number, unknown>([
      [GA.rpId, p.rpId],
      [GA.clientDataHash, p.clientDataHash],
    ]);
    if (p.allowList !== undefined && p.allowList.length > 0) params.set(GA.allowList, p.allowList.map(descriptorMap));
    if (p.extensions !== undefined && p.extensions.size > 0) params.set(GA.extensions, p.extensions);
    if (p.options !== undefined && Object.keys(p.options).length > 0) params.set(GA.options, entityMap(p.options));
    if (p.pinUvAuthParam !== undefined) params.set(GA.pinUvAuthParam, p.pinUvAuthParam);
    if (p.pinUvAuthProtocol !== undefined) params.set(GA.pinUvAuthProtocol, p.pinUvAuthProtocol);
    return parseAssertion(await this.send(CTAP2_CMD.GET_ASSERTION, params, 'authenticatorGetAssertion', call));
  }

  /** authenticatorGetNextAssertion (§6.3). */
  async getNextAssertion(): Promise<AssertionResult> {
    return parseAssertion(await this.send(CTAP2_CMD.GET_NEXT_ASSERTION, undefined, 'authenticatorGetNextAssertion'));
  }

  /** authenticatorClientPIN (§6.5) with raw parameters; see ClientPin for the typed flows. `call` matters for built-in UV, which waits for a finger. */
  clientPin(params: Map<number, unknown>, call: CallOptions = {}): Promise<Map<CborValue, CborValue>> {
    return this.send(CTAP2_CMD.CLIENT_PIN, params, 'authenticatorClientPIN', call);
  }

  /** authenticatorReset (§6.6): needs a touch within 10 s of power-up on most keys. */
  async reset(call: CallOptions = {}): Promise<void> {
    await this.send(CTAP2_CMD.RESET, undefined, 'authenticatorReset', call);
  }

  /** authenticatorSelection (§6.9): waits for a touch. */
  async selection(call: CallOptions = {}): Promise<void> {
    await this.send(CTAP2_CMD.SELECTION, undefined, 'authenticatorSelection', call);
  }

  /** authenticatorBioEnrollment (§6.7); `prototype` sends 0x40 as CTAP 2.1-PRE keys expect. */
  async bioEnrollment(req: BioEnrollmentRequest, options: CallOptions & { prototype?: boolean } = {}): Promise<BioEnrollmentResponse> {
    const cmd = options.prototype === true ? PROTOTYPE_CMD.BIO_ENROLLMENT : CTAP2_CMD.BIO_ENROLLMENT;
    return parseBioEnrollmentResponse(await this.send(cmd, bioEnrollmentRequest(req), 'authenticatorBioEnrollment', options));
  }

  /** authenticatorCredentialManagement (§6.8); `prototype` sends 0x41 as CTAP 2.1-PRE keys expect. */
  async credentialManagement(req: CredentialManagementRequest, options: CallOptions & { prototype?: boolean } = {}): Promise<CredentialManagementResponse> {
    const cmd = options.prototype === true ? PROTOTYPE_CMD.CREDENTIAL_MANAGEMENT : CTAP2_CMD.CREDENTIAL_MANAGEMENT;
    return parseCredentialManagementResponse(await this.send(cmd, credentialManagementRequest(req), 'authenticatorCredentialManagement', options));
  }

  /** authenticatorLargeBlobs (§6.10): one get or set fragment. */
  async largeBlobs(req: LargeBlobsRequest, call: CallOptions = {}): Promise<LargeBlobsResponse> {
    return parseLargeBlobsResponse(await this.send(CTAP2_CMD.LARGE_BLOBS, largeBlobsRequest(req), 'authenticatorLargeBlobs', call));
  }

  /** authenticatorConfig (§6.11): status only. */
  async config(req: ConfigRequest, call: CallOptions = {}): Promise<void> {
    await this.send(CTAP2_CMD.CONFIG, configRequest(req), 'authenticatorConfig', call);
  }
}

/** `read(m.get(key))` when the member is present (every assertion is parsed: no generic table here). */
function opt<T>(m: Map<CborValue, CborValue>, key: number, read: (v: CborValue, what: string) => T, what: string): T | undefined {
  const v = m.get(key);
  return v === undefined ? undefined : read(v, what);
}

function parseAssertion(m: Map<CborValue, CborValue>): AssertionResult {
  const result: AssertionResult = {
    credential: opt(m, GAR.credential, credentialDescriptor, 'getAssertion credential'),
    authData: bytesField(m, GAR.authData, 'getAssertion authData'),
    signature: bytesField(m, GAR.signature, 'getAssertion signature'),
    user: opt(m, GAR.user, userEntity, 'getAssertion user'),
    numberOfCredentials: opt(m, GAR.numberOfCredentials, uint, 'getAssertion numberOfCredentials'),
  };
  if (m.size > 3) {
    const userSelected = opt(m, GAR.userSelected, bool, 'getAssertion userSelected');
    const largeBlobKey = opt(m, GAR.largeBlobKey, bytes, 'getAssertion largeBlobKey');
    const unsigned = opt(m, GAR.unsignedExtensionOutputs, map, 'getAssertion unsignedExtensionOutputs');
    if (userSelected !== undefined) result.userSelected = userSelected;
    if (largeBlobKey !== undefined) result.largeBlobKey = largeBlobKey;
    if (unsigned !== undefined) result.unsignedExtensionOutputs = unsigned;
  }
  return result;
}
