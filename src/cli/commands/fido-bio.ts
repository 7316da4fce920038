/**
 * `tokenrig fido bio`: the fingerprints of a key with a sensor (CTAP 2.1 §6.7), real or
 * simulated (`tokenrig sim fido --profile yubikey-bio`).
 *
 *   tokenrig fido bio enroll [--name NAME] | list | rename --template ID --name NAME | delete --template ID
 *
 * Managing fingerprints needs a pinUvAuthToken with the be permission: from the PIN, or from
 * an enrolled finger on keys that allow it (uvBioEnroll).
 */
import { FingerprintEnrollment, type TemplateInfo } from '../../ctap/fingerprint-enrollment.js';
import { Ctap2 } from '../../ctap/ctap2.js';
import { obtainPinUvAuthToken } from '../../ctap/user-verification.js';
import { CtapHidDevice } from '../../drivers/ctaphid-device.js';
import { badInput } from '../../errors.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { openHidTransport } from '../../transports/device-spec.js';
import { flag, intOpt, parseCommandArgs, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import { pickDevice } from './fido.js';

const USAGE = `usage: tokenrig fido bio COMMAND [--device SPEC] [--pin PIN] [--json]
  enroll [--name NAME]                    enroll a finger: touch the sensor until no samples remain
  list                                    the fingers enrolled, and the sensor
  rename --template ID|NAME --name NAME   give a finger a friendly name
  delete --template ID|NAME               remove a finger
options:
  --device SPEC          udp:127.0.0.1:8111, hid:/dev/hidrawN, ... (default: the one FIDO key found)
  --pin PIN              the key's PIN (or TOKENRIG_FIDO_PIN); a finger will do on keys that allow it (uvBioEnroll)
  --template ID|NAME     a finger by its template ID (hex, from list) or its friendly name
  --sample-timeout MS    how long the key waits for each enrollment sample (default: the key's own)
  --timeout MS           how long to wait for the key, touches included (default 35000)
  --json                 one JSON document on stdout (enroll's progress goes to stderr)`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function describeTemplate(t: TemplateInfo): { templateId: string; name: string | null } {
  return { templateId: hex(t.templateId), name: t.templateFriendlyName ?? null };
}

/** The template `ref` names: its ID in hex, or its friendly name (which must be unique). */
function findTemplate(templates: readonly TemplateInfo[], ref: string): TemplateInfo {
  const byId = templates.find((t) => hex(t.templateId) === ref.toLowerCase());
  if (byId !== undefined) return byId;
  const byName = templates.filter((t) => t.templateFriendlyName === ref);
  if (byName.length === 1) return byName[0]!;
  const known = templates.map((t) => (t.templateFriendlyName === undefined ? hex(t.templateId) : `${hex(t.templateId)} (${t.templateFriendlyName})`));
  if (byName.length > 1) throw badInput(`${byName.length} fingers are named ${JSON.stringify(ref)}: give the template ID (${known.join(', ')})`);
  throw badInput(`no finger ${JSON.stringify(ref)} on the key (${known.length === 0 ? 'none enrolled' : known.join(', ')})`);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { device: { type: 'string' }, pin: { type: 'string' }, name: { type: 'string' }, template: { type: 'string' }, 'sample-timeout': { type: 'string' }, timeout: { type: 'string' } },
    true,
  );
  const [command, ...extra] = args.positionals;
  if (flag(args, 'help') || command === undefined) {
    printLine(io, USAGE);
    return command === undefined && !flag(args, 'help') ? 2 : 0;
  }
  const known = ['enroll', 'list', 'rename', 'delete'];
  if (!known.includes(command)) throw badInput(`unknown fido bio command ${JSON.stringify(command)}: use ${known.join(', ')}`);
  if (extra.length > 0) throw badInput(`unexpected argument ${JSON.stringify(extra[0])}`);
  const json = flag(args, 'json');
  const pin = stringOpt(args, 'pin') ?? io.env.TOKENRIG_FIDO_PIN;
  const timeoutMs = intOpt(args, 'timeout', 1, 600_000) ?? 35_000;
  const sampleTimeoutMs = intOpt(args, 'sample-timeout', 1, 600_000);
  // Everything the user typed is checked before the key is touched.
  const name = command === 'rename' ? requireOpt(args, 'name') : stringOpt(args, 'name');
  const template = command === 'rename' || command === 'delete' ? requireOpt(args, 'template') : undefined;
  if (name !== undefined && name === '') throw badInput('--name must not be empty');

  const spec = await pickDevice(stringOpt(args, 'device'));
  const device = await CtapHidDevice.open(await openHidTransport(spec), { timeoutMs });
  // Progress for people: on stderr with --json, so stdout stays one document.
  const progress = (line: string): void => {
    if (json) io.stderr.write(`${line}\n`);
    else printLine(io, line);
  };
  let asked = false;
  const onKeepalive = (status: number): void => {
    if (status === KEEPALIVE_STATUS.UPNEEDED && !asked) {
      asked = true;
      progress('touch the fingerprint sensor');
    }
  };
  try {
    const ctap2 = new Ctap2(device);
    const info = await ctap2.getInfo();
    // Refuse a key without a sensor before asking for any PIN.
    new FingerprintEnrollment(ctap2, info);
    const { clientPin, token } = await obtainPinUvAuthToken(ctap2, info, { permissions: ['be'], ...(pin === undefined ? {} : { pin }), call: { onKeepalive } });
    const bio = new FingerprintEnrollment(ctap2, info, { protocol: clientPin.protocol, token });
    switch (command) {
      case 'enroll': {
        const samples: { status: string; remaining: number }[] = [];
        const templateId = await bio.enroll({
          ...(sampleTimeoutMs === undefined ? {} : { timeoutMs: sampleTimeoutMs }),
          call: {
            onKeepalive: (status) => {
              if (status === KEEPALIVE_STATUS.UPNEEDED && !asked) {
                asked = true;
                progress(`sample ${samples.length + 1}: touch the fingerprint sensor`);
              }
            },
          },
          onSample: (s) => {
            asked = false;
            samples.push({ status: s.statusName, remaining: s.remaining });
            const what = s.statusName === 'FP_GOOD' ? 'good' : s.statusName.toLowerCase().replace(/_/g, ' ');
            progress(`sample ${samples.length}: ${what}, ${s.remaining} more needed`);
          },
        });
        if (name !== undefined) await bio.rename(templateId, name);
        if (json) printJson(io, { device: spec, enrolled: { templateId: hex(templateId), name: name ?? null }, samples });
        else printLine(io, `finger enrolled: ${hex(templateId)}${name === undefined ? '' : ` (${name})`}`);
        return 0;
      }
      case 'list': {
        const [sensor, templates] = [await bio.sensorInfo(), await bio.list()];
        if (json) printJson(io, { device: spec, sensor, templates: templates.map(describeTemplate) });
        else {
          printLine(io, `${spec}: ${templates.length === 0 ? 'no fingers enrolled' : `${templates.length} finger${templates.length === 1 ? '' : 's'} enrolled`}`);
          for (const t of templates) printLine(io, `  ${hex(t.templateId)}  ${t.templateFriendlyName ?? '(no name)'}`);
        }
        return 0;
      }
      case 'rename':
      case 'delete': {
        const t = findTemplate(await bio.list(), template!);
        if (command === 'rename') await bio.rename(t.templateId, name!);
        else await bio.remove(t.templateId);
        if (json) printJson(io, { device: spec, [command === 'rename' ? 'renamed' : 'deleted']: { ...describeTemplate(t), ...(command === 'rename' ? { name } : {}) } });
        else printLine(io, command === 'rename' ? `finger ${hex(t.templateId)} renamed to ${name}` : `finger ${hex(t.templateId)} deleted`);
        return 0;
      }
    }
    return 2;
  } finally {
    await device.close();
  }
}
