/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7; 0x40 on CTAP 2.1-PRE keys): the request and
 * response shapes, their CBOR encoding, and the message a pinUvAuthParam authenticates.
 * `Ctap2.bioEnrollment` sends one request; enrolling a finger (begin, then capture samples
 * until none remain) builds on it.
 *
 * @example
 * ```ts
 * const info = await ctap2.bioEnrollment({ modality: BIO_MODALITY.fingerprint, subCommand: BIO_ENROLLMENT_SUBCOMMAND.getFingerprintSensorInfo });
 * ```
 */
import type { CborValue } from '../protocol/cbor.js';
import {
  BIO_ENROLLMENT as P,
  BIO_ENROLLMENT_PARAMS as SP,
  BIO_ENROLLMENT_RESPONSE as R,
  BIO_ENROLLMENT_SUBCOMMAND,
  BIO_MODALITY,
  ENROLL_SAMPLE_STATUS,
  TEMPLATE_INFO,
} from '../protocol/ctap2-parameters.js';
import { authMessage } from './auth-message.js';
import { bytes, list, map, members, text, uint } from './response-readers.js';

export { BIO_ENROLLMENT_SUBCOMMAND, BIO_MODALITY, ENROLL_SAMPLE_STATUS };

/** subCommandParams (§6.7). */
export interface BioEnrollmentParams {
  templateId?: Uint8Array;
  templateFriendlyName?: string;
  timeoutMilliseconds?: number;
}

export interface BioEnrollmentRequest {
  /** BIO_MODALITY.fingerprint (the only one CTAP 2.1 defines). */
  modality?: number;
  /** BIO_ENROLLMENT_SUBCOMMAND.*; absent with getModality. */
  subCommand?: number;
  subCommandParams?: BioEnrollmentParams;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
  /** Ask only which modality the key has. */
  getModality?: boolean;
}

export interface TemplateInfo {
  templateId: Uint8Array;
  templateFriendlyName?: string;
}

/** The response members (§6.7). */
export interface BioEnrollmentResponse {
  modality?: number;
  /** 1: touch sensor, 2: swipe sensor. */
  fingerprintKind?: number;
  maxCaptureSamplesRequiredForEnroll?: number;
  templateId?: Uint8Array;
  /** ENROLL_SAMPLE_STATUS.* */
  lastEnrollSampleStatus?: number;
  remainingSamples?: number;
  templateInfos?: TemplateInfo[];
  maxTemplateFriendlyName?: number;
}

export function bioEnrollmentParams(p: BioEnrollmentParams | undefined): Map<number, CborValue> | undefined {
  if (p === undefined) return undefined;
  const m = new Map<number, CborValue>();
  if (p.templateId !== undefined) m.set(SP.templateId, p.templateId);
  if (p.templateFriendlyName !== undefined) m.set(SP.templateFriendlyName, p.templateFriendlyName);
  if (p.timeoutMilliseconds !== undefined) m.set(SP.timeoutMilliseconds, p.timeoutMilliseconds);
  return m;
}

export function bioEnrollmentRequest(req: BioEnrollmentRequest): Map<number, unknown> {
  const m = new Map<number, unknown>();
  if (req.modality !== undefined) m.set(P.modality, req.modality);
  if (req.subCommand !== undefined) m.set(P.subCommand, req.subCommand);
  const params = bioEnrollmentParams(req.subCommandParams);
  if (params !== undefined) m.set(P.subCommandParams, params);
  if (req.pinUvAuthProtocol !== undefined) m.set(P.pinUvAuthProtocol, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam !== undefined) m.set(P.pinUvAuthParam, req.pinUvAuthParam);
  if (req.getModality === true) m.set(P.getModality, true);
  return m;
}

/** What pinUvAuthParam authenticates (§6.7.3 ff.): modality ‖ subCommand ‖ CBOR(subCommandParams) when present. */
export function bioEnrollmentAuthMessage(modality: number, subCommand: number, params?: BioEnrollmentParams): Uint8Array {
  return authMessage([modality, subCommand], bioEnrollmentParams(params));
}

const templateInfo = (v: CborValue, what: string): TemplateInfo => {
  const m = map(v, what);
  const id = m.get(TEMPLATE_INFO.templateId);
  const info: TemplateInfo = { templateId: bytes(id ?? null, `${what} templateId`) };
  const name = m.get(TEMPLATE_INFO.templateFriendlyName);
  if (name !== undefined) info.templateFriendlyName = text(name, `${what} templateFriendlyName`);
  return info;
};

export function parseBioEnrollmentResponse(m: Map<CborValue, CborValue>): BioEnrollmentResponse {
  return members<BioEnrollmentResponse>(m, 'bioEnrollment', {
    modality: [R.modality, uint],
    fingerprintKind: [R.fingerprintKind, uint],
    maxCaptureSamplesRequiredForEnroll: [R.maxCaptureSamplesRequiredForEnroll, uint],
    templateId: [R.templateId, bytes],
    lastEnrollSampleStatus: [R.lastEnrollSampleStatus, uint],
    remainingSamples: [R.remainingSamples, uint],
    templateInfos: [R.templateInfos, list(templateInfo)],
    maxTemplateFriendlyName: [R.maxTemplateFriendlyName, uint],
  });
}
