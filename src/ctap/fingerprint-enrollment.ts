/**
 * Managing the fingerprints of a key with a sensor (CTAP 2.1 §6.7 authenticatorBioEnrollment,
 * or 0x40 on CTAP 2.1-PRE keys): the sensor's description, enrollment sample by sample, the
 * templates enrolled, renaming and removing them. Every call but the sensor info and cancel
 * is signed with a pinUvAuthToken that has the be permission.
 *
 * @example
 * ```ts
 * const { clientPin, token } = await obtainPinUvAuthToken(ctap2, info, { permissions: ['be'], pin });
 * const fingers = new FingerprintEnrollment(ctap2, info, { protocol: clientPin.protocol, token });
 * const templateId = await fingers.enroll({ onSample: (s) => console.log(s.status, s.remaining) });
 * await fingers.rename(templateId, 'right thumb');
 * ```
 */
import { ErrorCode, TokenrigError } from '../errors.js';
import { CTAP2_STATUS } from '../protocol/ctap-status.js';
import type { PinUvAuthProtocol } from '../protocol/pin-uv-auth-protocol.js';
import type { CallOptions } from '../drivers/ctaphid-device.js';
import { BIO_ENROLLMENT_SUBCOMMAND as SUB, BIO_MODALITY, type BioEnrollmentParams, type BioEnrollmentResponse, ENROLL_SAMPLE_STATUS, type TemplateInfo, bioEnrollmentAuthMessage } from './bio-enrollment.js';
import type { Ctap2, Ctap2Info } from './ctap2.js';

export type { TemplateInfo } from './bio-enrollment.js';

/** The spec's name of a lastEnrollSampleStatus value without its prefix ("FP_GOOD", "FP_TOO_FAST"), or 0xNN. */
export function enrollSampleStatusName(status: number): string {
  for (const [name, v] of Object.entries(ENROLL_SAMPLE_STATUS)) if (v === status) return name.replace('CTAP2_ENROLL_FEEDBACK_', '');
  return `0x${status.toString(16).padStart(2, '0')}`;
}

export interface FingerprintSensorInfo {
  /** 1: touch sensor, 2: swipe sensor. */
  fingerprintKind: number | undefined;
  maxCaptureSamplesRequiredForEnroll: number | undefined;
  /** The longest friendly name, in bytes of UTF-8. */
  maxTemplateFriendlyName: number | undefined;
}

/** One enrollment sample: lastEnrollSampleStatus and the good samples still needed. */
export interface EnrollSample {
  status: number;
  /** enrollSampleStatusName(status). */
  statusName: string;
  remaining: number;
}

export interface EnrollOptions {
  /** How long the key waits for each sample (timeoutMilliseconds), default the key's own. */
  timeoutMs?: number;
  /** Called after every sample, good or not. */
  onSample?: (sample: EnrollSample, templateId: Uint8Array) => void;
  /** Give up (cancelCurrentEnrollment, then REJECTED) after this many samples in all (default 50). */
  maxSamples?: number;
  call?: CallOptions;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new TokenrigError(ErrorCode.PROTOCOL, `authenticator response: bioEnrollment ${what} missing`);
  return v;
}

export class FingerprintEnrollment {
  readonly ctap2: Ctap2;
  /** 0x40 instead of 0x09: a key that reports only userVerificationMgmtPreview. */
  readonly prototype: boolean;
  readonly #auth: { protocol: PinUvAuthProtocol; token: Uint8Array } | undefined;

  /** `auth` may be omitted for sensorInfo, modality and cancel, which need no token. UNSUPPORTED for a key without bio enrollment. */
  constructor(ctap2: Ctap2, info: Ctap2Info, auth?: { protocol: PinUvAuthProtocol; token: Uint8Array }) {
    this.ctap2 = ctap2;
    if (info.options.bioEnroll !== undefined) this.prototype = false;
    else if (info.options.userVerificationMgmtPreview !== undefined) this.prototype = true;
    else throw new TokenrigError(ErrorCode.UNSUPPORTED, 'the key has no fingerprint sensor (no bioEnroll in getInfo)');
    this.#auth = auth;
  }

  #send(subCommand: number | undefined, params: BioEnrollmentParams | undefined, signed: boolean, call: CallOptions = {}): Promise<BioEnrollmentResponse> {
    const req: Parameters<Ctap2['bioEnrollment']>[0] = subCommand === undefined ? { getModality: true } : { modality: BIO_MODALITY.fingerprint, subCommand };
    if (params !== undefined) req.subCommandParams = params;
    if (signed) {
      if (this.#auth === undefined) throw new TokenrigError(ErrorCode.BAD_INPUT, 'bio enrollment needs a pinUvAuthToken with the be permission');
      req.pinUvAuthProtocol = this.#auth.protocol.version;
      req.pinUvAuthParam = this.#auth.protocol.authenticate(this.#auth.token, bioEnrollmentAuthMessage(BIO_MODALITY.fingerprint, subCommand!, params));
    }
    return this.ctap2.bioEnrollment(req, { ...call, prototype: this.prototype });
  }

  /** The modality the key has (§6.7.1): 1, fingerprint. */
  async modality(): Promise<number> {
    return need((await this.#send(undefined, undefined, false)).modality, 'modality');
  }

  /** getFingerprintSensorInfo (§6.7.2). */
  async sensorInfo(): Promise<FingerprintSensorInfo> {
    const r = await this.#send(SUB.getFingerprintSensorInfo, undefined, false);
    return { fingerprintKind: r.fingerprintKind, maxCaptureSamplesRequiredForEnroll: r.maxCaptureSamplesRequiredForEnroll, maxTemplateFriendlyName: r.maxTemplateFriendlyName };
  }

  /** enrollBegin (§6.7.4): a new template and its first sample (the key waits for a finger). */
  async begin(timeoutMs?: number, call?: CallOptions): Promise<{ templateId: Uint8Array } & EnrollSample> {
    const r = await this.#send(SUB.enrollBegin, timeoutMs === undefined ? {} : { timeoutMilliseconds: timeoutMs }, true, call);
    const status = need(r.lastEnrollSampleStatus, 'lastEnrollSampleStatus');
    return { templateId: need(r.templateId, 'templateId'), status, statusName: enrollSampleStatusName(status), remaining: need(r.remainingSamples, 'remainingSamples') };
  }

  /** enrollCaptureNextSample (§6.7.4). */
  async captureNext(templateId: Uint8Array, timeoutMs?: number, call?: CallOptions): Promise<EnrollSample> {
    const r = await this.#send(SUB.enrollCaptureNextSample, { templateId, ...(timeoutMs === undefined ? {} : { timeoutMilliseconds: timeoutMs }) }, true, call);
    const status = need(r.lastEnrollSampleStatus, 'lastEnrollSampleStatus');
    return { status, statusName: enrollSampleStatusName(status), remaining: need(r.remainingSamples, 'remainingSamples') };
  }

  /** cancelCurrentEnrollment (§6.7.4). */
  async cancel(): Promise<void> {
    await this.#send(SUB.cancelCurrentEnrollment, undefined, false);
  }

  /**
   * Enroll one finger: enrollBegin, then samples until none remain; the new template's id. A
   * failure (or `maxSamples` reached) cancels the enrollment on the key before it is reported.
   */
  async enroll(options: EnrollOptions = {}): Promise<Uint8Array> {
    const max = options.maxSamples ?? 50;
    let templateId: Uint8Array | undefined;
    try {
      const first = await this.begin(options.timeoutMs, options.call);
      templateId = first.templateId;
      options.onSample?.(first, templateId);
      let remaining = first.remaining;
      for (let n = 1; remaining > 0; n++) {
        if (n >= max) throw new TokenrigError(ErrorCode.REJECTED, `no enrollment after ${max} samples (${remaining} good samples still needed)`);
        const s = await this.captureNext(templateId, options.timeoutMs, options.call);
        options.onSample?.(s, templateId);
        remaining = s.remaining;
      }
      return templateId;
    } catch (e) {
      if (templateId !== undefined) await this.cancel().catch(() => undefined);
      throw e;
    }
  }

  /** enumerateEnrollments (§6.7.5): the templates enrolled (none: an empty list, which keys answer with CTAP2_ERR_INVALID_OPTION). */
  async list(): Promise<TemplateInfo[]> {
    try {
      return need((await this.#send(SUB.enumerateEnrollments, undefined, true)).templateInfos, 'templateInfos');
    } catch (e) {
      if (e instanceof TokenrigError && e.wireCode === CTAP2_STATUS.CTAP2_ERR_INVALID_OPTION) return [];
      throw e;
    }
  }

  /** setFriendlyName (§6.7.6). */
  async rename(templateId: Uint8Array, name: string): Promise<void> {
    await this.#send(SUB.setFriendlyName, { templateId, templateFriendlyName: name }, true);
  }

  /** removeEnrollment (§6.7.7). */
  async remove(templateId: Uint8Array): Promise<void> {
    await this.#send(SUB.removeEnrollment, { templateId }, true);
  }
}
