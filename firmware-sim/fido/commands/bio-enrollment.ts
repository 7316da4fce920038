/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7; 0x40 on CTAP 2.1-PRE keys): fingerprint
 * enrollment sample by sample, enumerating, renaming and removing templates, and the sensor's
 * description. Templates persist (`fido.bio` in ../state.ts); an enrollment in progress is
 * volatile. The samples come from the environment's fingerprint sensor.
 *
 * Where the spec names no status, this module answers as real keys do: a templateFriendlyName
 * longer than maxTemplateFriendlyName is CTAP1_ERR_INVALID_LENGTH (what a YubiKey Bio answers:
 * Yubico's yubikit-android Ctap2BioEnrollmentTests), and enumerating with no template enrolled
 * is CTAP2_ERR_INVALID_OPTION (§6.7.5; python-fido2 and yubikit read it as "none").
 */
import { encodeCbor } from '../../../src/protocol/cbor.js';
import { CTAP2_CMD } from '../../../src/protocol/ctap-status.js';
import {
  BIO_ENROLLMENT as P,
  BIO_ENROLLMENT_PARAMS as SP,
  BIO_ENROLLMENT_RESPONSE as R,
  BIO_ENROLLMENT_SUBCOMMAND as SUB,
  BIO_MODALITY,
  ENROLL_SAMPLE_STATUS as STATUS,
  PERMISSION,
  TEMPLATE_INFO,
} from '../../../src/protocol/ctap2-parameters.js';
import type { CtapHidContext } from '../../ctaphid/index.js';
import type { FingerprintSample, SampleQuality } from '../../env/index.js';
import { type CborParams, bool, bytes, map, optional, text, uint } from '../cbor-params.js';
import { type FidoDevice, USER_PRESENCE_TIMEOUT_MS, volatileSlot } from '../device.js';
import { S, fail } from '../errors.js';
import { captureFinger, sensorProfile, templateLabel } from '../fingerprint-verifier.js';
import { authorize } from '../pin-uv-auth-token.js';
import type { BioTemplate } from '../state.js';
import { type Ctap2Response, defineCommand, speaksCtap2 } from './command.js';

export interface BioEnrollmentRequest {
  modality?: number;
  subCommand?: number;
  /** subCommandParams as received (what pinUvAuthParam authenticates), and read. */
  rawParams?: CborParams;
  templateId?: Uint8Array;
  templateFriendlyName?: string;
  timeoutMilliseconds?: number;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
  getModality?: boolean;
}

/** The enrollment in progress (§6.7.4): its template, the finger sampled so far, good samples still needed. */
const ENROLLMENT = volatileSlot('bioEnrollment', () => ({ current: undefined as { templateId: Uint8Array; finger: string | undefined; remaining: number } | undefined }));

/** The sensor's reasons for a bad sample, as lastEnrollSampleStatus (§6.7.4). */
const QUALITY_STATUS: Readonly<Record<SampleQuality, number>> = {
  good: STATUS.CTAP2_ENROLL_FEEDBACK_FP_GOOD,
  tooHigh: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_HIGH,
  tooLow: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_LOW,
  tooLeft: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_LEFT,
  tooRight: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_RIGHT,
  tooFast: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_FAST,
  tooSlow: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_SLOW,
  poorQuality: STATUS.CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY,
  tooSkewed: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_SKEWED,
  tooShort: STATUS.CTAP2_ENROLL_FEEDBACK_FP_TOO_SHORT,
  noPresenceTransition: STATUS.CTAP2_ENROLL_FEEDBACK_NO_USER_PRESENCE_TRANSITION,
};

const STATUS_NAME = new Map<number, string>(Object.entries(STATUS).map(([name, v]) => [v, name.replace('CTAP2_ENROLL_FEEDBACK_', '')]));

function parse(p: CborParams): BioEnrollmentRequest {
  const req: BioEnrollmentRequest = {};
  const modality = optional(p.get(P.modality), (v) => uint(v, 'modality'));
  const subCommand = optional(p.get(P.subCommand), (v) => uint(v, 'subCommand'));
  const params = optional(p.get(P.subCommandParams), (v) => map(v, 'subCommandParams'));
  const protocol = optional(p.get(P.pinUvAuthProtocol), (v) => uint(v, 'pinUvAuthProtocol'));
  const param = optional(p.get(P.pinUvAuthParam), (v) => bytes(v, 'pinUvAuthParam'));
  const getModality = optional(p.get(P.getModality), (v) => bool(v, 'getModality'));
  if (modality !== undefined) req.modality = modality;
  if (subCommand !== undefined) req.subCommand = subCommand;
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  if (param !== undefined) req.pinUvAuthParam = param;
  if (getModality !== undefined) req.getModality = getModality;
  if (params !== undefined) {
    req.rawParams = params;
    const templateId = optional(params.get(SP.templateId), (v) => bytes(v, 'templateId'));
    const name = optional(params.get(SP.templateFriendlyName), (v) => text(v, 'templateFriendlyName'));
    const timeout = optional(params.get(SP.timeoutMilliseconds), (v) => uint(v, 'timeoutMilliseconds'));
    if (templateId !== undefined) req.templateId = templateId;
    if (name !== undefined) req.templateFriendlyName = name;
    if (timeout !== undefined) req.timeoutMilliseconds = timeout;
  }
  return req;
}

function mandatory<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw fail(S.CTAP2_ERR_MISSING_PARAMETER, what);
  return v;
}

/**
 * The pinUvAuthParam of the sub-commands that need one: present (else PUAT_REQUIRED), a
 * protocol the key has, and authenticate(pinUvAuthToken, modality ‖ subCommand ‖
 * subCommandParams) under a token with the be permission (else PIN_AUTH_INVALID).
 */
function checkAuth(device: FidoDevice, req: BioEnrollmentRequest, subCommand: number): void {
  if (req.pinUvAuthParam === undefined) throw fail(S.CTAP2_ERR_PUAT_REQUIRED);
  const protocol = device.pinUvAuthProtocol(mandatory(req.pinUvAuthProtocol, 'pinUvAuthProtocol'));
  if (protocol === undefined) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
  const tail = req.rawParams === undefined ? new Uint8Array(0) : encodeCbor(req.rawParams);
  const message = new Uint8Array(2 + tail.length);
  message.set([BIO_MODALITY.fingerprint, subCommand]);
  message.set(tail, 2);
  authorize(device, { protocol, pinUvAuthParam: req.pinUvAuthParam, message, permission: PERMISSION.be });
}

/** The capture timeout: the platform's, at most the key's own 30 s. */
function timeoutOf(req: BioEnrollmentRequest): number {
  return Math.min(req.timeoutMilliseconds ?? USER_PRESENCE_TIMEOUT_MS, USER_PRESENCE_TIMEOUT_MS);
}

/**
 * Take one sample for the enrollment in progress: lastEnrollSampleStatus and what is left. A
 * finger already enrolled is FP_EXISTS, another finger than the one being enrolled
 * MERGE_FAILURE, nobody touching NO_USER_ACTIVITY; only a good sample counts.
 */
async function sample(device: FidoDevice, ctx: CtapHidContext, req: BioEnrollmentRequest): Promise<number> {
  const enrollment = device.volatile(ENROLLMENT);
  const current = enrollment.current!;
  const s: FingerprintSample | undefined = await captureFinger(device, ctx, {
    purpose: 'enroll',
    reason: 'bioEnrollment',
    timeoutMs: timeoutOf(req),
    ...(current.finger === undefined ? {} : { enrolling: current.finger }),
  });
  let status: number;
  if (s === undefined) status = STATUS.CTAP2_ENROLL_FEEDBACK_NO_USER_ACTIVITY;
  else if (device.store.readTemplates().some((t) => t.finger === s.finger)) status = STATUS.CTAP2_ENROLL_FEEDBACK_FP_EXISTS;
  else if (current.finger !== undefined && current.finger !== s.finger) status = STATUS.CTAP2_ENROLL_FEEDBACK_FP_MERGE_FAILURE;
  else status = QUALITY_STATUS[s.quality ?? 'good'];
  if (status === STATUS.CTAP2_ENROLL_FEEDBACK_FP_GOOD) {
    current.finger = s!.finger;
    current.remaining--;
  }
  device.emit({ event: 'enroll_sample', status: STATUS_NAME.get(status), remaining: current.remaining });
  if (current.remaining === 0) {
    enrollment.current = undefined;
    const templates = device.store.readTemplates();
    // The database cannot have filled meanwhile (enrollBegin checked it; nothing else adds).
    device.store.writeTemplates([...templates, { id: current.templateId, finger: current.finger! }]);
    device.emit({ event: 'finger_enrolled', templateId: hex(current.templateId), fingers: templates.length + 1 });
  }
  return status;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The template `id` names; INVALID_OPTION when there is none (§6.7.6, §6.7.7). */
function templateIndex(templates: readonly BioTemplate[], id: Uint8Array): number {
  const i = templates.findIndex((t) => sameBytes(t.id, id));
  if (i < 0) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'no such template');
  return i;
}

type Subcommand = (device: FidoDevice, req: BioEnrollmentRequest, ctx: CtapHidContext) => Ctap2Response | Promise<Ctap2Response>;

/** §6.7.2 getFingerprintSensorInfo: no pinUvAuthParam needed. */
const getFingerprintSensorInfo: Subcommand = (device) => {
  const sensor = sensorProfile(device);
  return new Map([
    [R.modality, BIO_MODALITY.fingerprint],
    [R.fingerprintKind, sensor.fingerprintKind],
    [R.maxCaptureSamplesRequiredForEnroll, sensor.maxCaptureSamplesRequiredForEnroll],
    [R.maxTemplateFriendlyName, sensor.maxTemplateFriendlyName],
  ]);
};

/** §6.7.4 enrollBegin: a new template, and its first sample. */
const enrollBegin: Subcommand = async (device, req, ctx) => {
  const templates = device.store.readTemplates();
  if (templates.length >= sensorProfile(device).maxTemplates) throw fail(S.CTAP2_ERR_FP_DATABASE_FULL);
  // A new enrollment cancels one left unfinished; the template id is new among the enrolled.
  let templateId: Uint8Array;
  do templateId = device.env.random.bytes(4);
  while (templates.some((t) => sameBytes(t.id, templateId)));
  device.volatile(ENROLLMENT).current = { templateId, finger: undefined, remaining: sensorProfile(device).maxCaptureSamplesRequiredForEnroll };
  const status = await sample(device, ctx, req);
  return new Map<number, unknown>([
    [R.templateId, templateId],
    [R.lastEnrollSampleStatus, status],
    [R.remainingSamples, device.volatile(ENROLLMENT).current?.remaining ?? 0],
  ]);
};

/** §6.7.4 enrollCaptureNextSample: the next sample of the enrollment in progress. */
const enrollCaptureNextSample: Subcommand = async (device, req, ctx) => {
  const templateId = mandatory(req.templateId, 'templateId');
  const current = device.volatile(ENROLLMENT).current;
  if (current === undefined || !sameBytes(current.templateId, templateId)) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'not the enrollment in progress');
  const status = await sample(device, ctx, req);
  return new Map<number, unknown>([
    [R.lastEnrollSampleStatus, status],
    [R.remainingSamples, device.volatile(ENROLLMENT).current?.remaining ?? 0],
  ]);
};

/** §6.7.4 cancelCurrentEnrollment: no pinUvAuthParam needed; nothing in progress is fine too. */
const cancelCurrentEnrollment: Subcommand = (device) => {
  device.volatile(ENROLLMENT).current = undefined;
  return undefined;
};

/** §6.7.5 enumerateEnrollments: templateInfos, or INVALID_OPTION when none is enrolled. */
const enumerateEnrollments: Subcommand = (device) => {
  const templates = device.store.readTemplates();
  if (templates.length === 0) throw fail(S.CTAP2_ERR_INVALID_OPTION, 'no template enrolled');
  return new Map([
    [
      R.templateInfos,
      templates.map((t) => {
        const info = new Map<number, unknown>([[TEMPLATE_INFO.templateId, t.id]]);
        if (t.friendlyName !== undefined) info.set(TEMPLATE_INFO.templateFriendlyName, t.friendlyName);
        return info;
      }),
    ],
  ]);
};

/** §6.7.6 setFriendlyName. */
const setFriendlyName: Subcommand = (device, req) => {
  const templateId = mandatory(req.templateId, 'templateId');
  const name = mandatory(req.templateFriendlyName, 'templateFriendlyName');
  if (new TextEncoder().encode(name).length > sensorProfile(device).maxTemplateFriendlyName) throw fail(S.CTAP1_ERR_INVALID_LENGTH, 'templateFriendlyName');
  const templates = [...device.store.readTemplates()];
  const i = templateIndex(templates, templateId);
  templates[i] = { ...templates[i]!, friendlyName: name };
  device.store.writeTemplates(templates);
  device.emit({ event: 'finger_renamed', templateId: hex(templateId), name });
  return undefined;
};

/** §6.7.7 removeEnrollment. */
const removeEnrollment: Subcommand = (device, req) => {
  const templateId = mandatory(req.templateId, 'templateId');
  const templates = [...device.store.readTemplates()];
  const [removed] = templates.splice(templateIndex(templates, templateId), 1);
  device.store.writeTemplates(templates);
  device.emit({ event: 'finger_removed', finger: templateLabel(removed!), fingers: templates.length });
  return undefined;
};

/** The sub-commands by number; `auth`: needs a pinUvAuthParam with the be permission. */
const SUBCOMMANDS: ReadonlyMap<number, { handle: Subcommand; auth: boolean }> = new Map([
  [SUB.enrollBegin, { handle: enrollBegin, auth: true }],
  [SUB.enrollCaptureNextSample, { handle: enrollCaptureNextSample, auth: true }],
  [SUB.cancelCurrentEnrollment, { handle: cancelCurrentEnrollment, auth: false }],
  [SUB.enumerateEnrollments, { handle: enumerateEnrollments, auth: true }],
  [SUB.setFriendlyName, { handle: setFriendlyName, auth: true }],
  [SUB.removeEnrollment, { handle: removeEnrollment, auth: true }],
  [SUB.getFingerprintSensorInfo, { handle: getFingerprintSensorInfo, auth: false }],
]);

export const authenticatorBioEnrollment = defineCommand<BioEnrollmentRequest>({
  code: CTAP2_CMD.BIO_ENROLLMENT,
  name: 'authenticatorBioEnrollment',
  available: (profile) => speaksCtap2(profile) && profile.fingerprintSensor !== undefined && profile.options.bioEnroll !== undefined,
  parse,
  handle(device, req, ctx) {
    // §6.7.1: getModality alone asks which modality the key has (it must be true when present).
    if (req.getModality !== undefined) {
      if (!req.getModality) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'getModality must be true');
      return new Map([[R.modality, BIO_MODALITY.fingerprint]]);
    }
    const modality = mandatory(req.modality, 'modality');
    const subCommand = mandatory(req.subCommand, 'subCommand');
    if (modality !== BIO_MODALITY.fingerprint) throw fail(S.CTAP1_ERR_INVALID_PARAMETER, 'modality');
    const sub = SUBCOMMANDS.get(subCommand);
    if (sub === undefined) throw fail(S.CTAP2_ERR_INVALID_SUBCOMMAND);
    if (sub.auth) checkAuth(device, req, subCommand);
    return sub.handle(device, req, ctx);
  },
  info(device, info) {
    // uv: built-in UV is set up; bioEnroll (and its 2.1-PRE name): a finger is enrolled (§6.4).
    const enrolled = device.store.readTemplates().length > 0;
    info.option('uv', enrolled);
    info.option('bioEnroll', enrolled);
    info.option('userVerificationMgmtPreview', enrolled);
  },
});

/** The CTAP 2.1-PRE number (0x40), on keys that report userVerificationMgmtPreview. */
export const authenticatorBioEnrollmentPreview = defineCommand<BioEnrollmentRequest>({
  ...authenticatorBioEnrollment,
  code: 0x40,
  name: 'authenticatorBioEnrollment (2.1-PRE)',
  available: (profile) => speaksCtap2(profile) && profile.fingerprintSensor !== undefined && profile.options.userVerificationMgmtPreview !== undefined,
});
