/**
 * `tokenrig fido bio`: the fingerprints of a key with a sensor (CTAP 2.1 §6.7), real or
 * simulated (`tokenrig sim fido --profile yubikey-bio`).
 *
 *   tokenrig fido bio enroll [--name NAME] | list | rename --template ID --name NAME | delete --template ID
 *
 * Managing fingerprints needs a pinUvAuthToken with the be permission: from the PIN, or from
 * an enrolled finger on keys that allow it (uvBioEnroll).
 */
import { Ctap2 } from '../../ctap/ctap2.js';
import { FingerprintEnrollment, type TemplateInfo } from '../../ctap/fingerprint-enrollment.js';
import { obtainPinUvAuthToken } from '../../ctap/user-verification.js';
import { badInput } from '../../errors.js';
import { KEEPALIVE_STATUS } from '../../protocol/ctaphid/index.js';
import { type ParsedArgs, flag, intOpt, requireOpt, stringOpt } from '../args.js';
import { type CliIo, printJson, printLine } from '../cli-io.js';
import type { CommandSpec, CommandTable, FlagTable } from '../command.js';
import type { KeySession } from './fido-device.js';
import type { FidoFamilyParts } from './fido-blobs.js';

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

/** A name the key will take: not empty, at most maxTemplateFriendlyName bytes of UTF-8 (a longer one is CTAP1_ERR_INVALID_LENGTH on the key). */
function checkName(name: string, max: number | undefined): void {
  if (name === '') throw badInput('--name must not be empty');
  const bytes = new TextEncoder().encode(name).length;
  if (max !== undefined && bytes > max) throw badInput(`--name is ${bytes} bytes; the key takes at most ${max}`);
}

type BioCommand = 'enroll' | 'list' | 'rename' | 'delete';

/** The key's fingerprints, under a token with the be permission (the PIN, or a finger where the key allows it). */
async function fingerprints(session: KeySession, pin: string | undefined, progress: (line: string) => void): Promise<FingerprintEnrollment> {
  const ctap2 = new Ctap2(session.device);
  const info = await ctap2.getInfo();
  new FingerprintEnrollment(ctap2, info); // a key without a sensor is refused before any PIN is asked for
  let asked = false;
  const { clientPin, token } = await obtainPinUvAuthToken(ctap2, info, {
    permissions: ['be'],
    ...(pin === undefined ? {} : { pin }),
    call: {
      signal: session.signal,
      onKeepalive: (status) => {
        if (status === KEEPALIVE_STATUS.UPNEEDED && !asked) {
          asked = true;
          progress('touch the fingerprint sensor to authorize');
        }
      },
    },
  });
  return new FingerprintEnrollment(ctap2, info, { protocol: clientPin.protocol, token });
}

async function run(name: BioCommand, parts: FidoFamilyParts, args: ParsedArgs, io: CliIo): Promise<number> {
  const json = flag(args, 'json');
  const pin = stringOpt(args, 'pin');
  const sampleTimeoutMs = intOpt(args, 'sample-timeout', 1, 600_000);
  // Everything the user typed is checked before the key is touched.
  const newName = name === 'rename' ? requireOpt(args, 'name') : stringOpt(args, 'name');
  const template = name === 'rename' || name === 'delete' ? requireOpt(args, 'template') : undefined;
  if (newName !== undefined) checkName(newName, undefined);
  // Progress for people: on stderr with --json, so stdout stays one document.
  const progress = (line: string): void => {
    if (json) io.stderr.write(`${line}\n`);
    else printLine(io, line);
  };
  return parts.withKey(args, io, `bio ${name}`, async (session) => {
    const bio = await fingerprints(session, pin, progress);
    const { spec } = session;
    if (newName !== undefined) checkName(newName, (await bio.sensorInfo()).maxTemplateFriendlyName);
    switch (name) {
      case 'enroll': {
        const samples: { status: string; remaining: number }[] = [];
        let asked = false;
        const templateId = await bio.enroll({
          ...(sampleTimeoutMs === undefined ? {} : { timeoutMs: sampleTimeoutMs }),
          call: {
            signal: session.signal,
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
        if (newName !== undefined) await bio.rename(templateId, newName);
        if (json) printJson(io, { device: spec, enrolled: { templateId: hex(templateId), name: newName ?? null }, samples });
        else printLine(io, `finger enrolled: ${hex(templateId)}${newName === undefined ? '' : ` (${newName})`}`);
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
        if (name === 'rename') await bio.rename(t.templateId, newName!);
        else await bio.remove(t.templateId);
        if (json) printJson(io, { device: spec, [name === 'rename' ? 'renamed' : 'deleted']: { ...describeTemplate(t), ...(name === 'rename' ? { name: newName } : {}) } });
        else printLine(io, name === 'rename' ? `finger ${hex(t.templateId)} renamed to ${newName}` : `finger ${hex(t.templateId)} deleted`);
        return 0;
      }
    }
  });
}

const TEMPLATE_FLAG: FlagTable = { template: { type: 'string', value: 'ID|NAME', help: 'the finger: its template ID (hex, as bio list prints it) or its friendly name' } };
const NOTE = 'Fingerprints are managed under a token with the be permission: from the PIN (--pin, --pin-file,\nTOKENRIG_FIDO_PIN), or from an enrolled finger on keys that allow it (uvBioEnroll). See docs/fido-host.md.';
const TIMEOUT_EXAMPLE = ['--device', 'udp:127.0.0.1:{silent-udp}', '--timeout', '300'];

/** The `fido bio ...` entries of the fido family's table (fido.ts hands over its device flags, PIN input and withKey). */
export function bioCommands(parts: FidoFamilyParts): CommandTable {
  // Which key and how long to wait: bio enrollment is CTAP2 only, so no --protocol.
  const { protocol: _protocol, ...keyFlags } = parts.deviceFlags;
  const bioCommand = (name: BioCommand, spec: Omit<CommandSpec, 'run' | 'flags' | 'secrets' | 'notes'> & { flags?: FlagTable }): CommandSpec => ({
    ...spec,
    flags: { ...keyFlags, ...spec.flags },
    secrets: [parts.pin],
    notes: [NOTE],
    run: (args, io) => run(name, parts, args, io),
  });
  return {
    'bio enroll': bioCommand('enroll', {
      summary: 'enroll a finger on a key with a fingerprint sensor: touch the sensor until no samples remain',
      flags: {
        name: { type: 'string', value: 'NAME', help: 'the friendly name to give the new finger' },
        'sample-timeout': { type: 'string', value: 'MS', help: "how long the key waits for each sample (default: the key's own, 30 s on the simulator)" },
      },
      examples: ['tokenrig fido bio enroll --name "right thumb" --pin-file pin.txt'],
      exits: { BAD_INPUT: ['--name', ''], UNSUPPORTED: ['--pin', '1234', '--device', '{fido-with-pin}'], TIMEOUT: TIMEOUT_EXAMPLE },
    }),
    'bio list': bioCommand('list', {
      summary: 'the fingers a key has enrolled (template IDs and names), and its sensor',
      examples: ['tokenrig fido bio list --json'],
      exits: { UNSUPPORTED: ['--pin', '1234', '--device', '{fido-with-pin}'], TIMEOUT: TIMEOUT_EXAMPLE },
    }),
    'bio rename': bioCommand('rename', {
      summary: 'give an enrolled finger a friendly name',
      flags: { ...TEMPLATE_FLAG, name: { type: 'string', value: 'NAME', help: 'the new friendly name' } },
      examples: ['tokenrig fido bio rename --template 3f1c0a9e --name "left index"'],
      exits: { BAD_INPUT: ['--template', 'thumb'], TIMEOUT: ['--template', 'thumb', '--name', 'index', ...TIMEOUT_EXAMPLE] },
    }),
    'bio delete': bioCommand('delete', {
      summary: 'remove an enrolled finger from the key',
      flags: TEMPLATE_FLAG,
      examples: ['tokenrig fido bio delete --template "left index"'],
      exits: { BAD_INPUT: [], TIMEOUT: ['--template', 'thumb', ...TIMEOUT_EXAMPLE] },
    }),
  };
}
