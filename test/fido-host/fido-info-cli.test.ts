/**
 * `tokenrig fido info` against every key personality, as child processes: `sim fido --profile
 * NAME` in one, `fido info` (text and --json) in another, and python-fido2's own reading of the
 * same getInfo (Debian's python3-fido2 0.9) as the independent view each member is checked
 * against. A member the key sends is never left out of either output.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GET_INFO } from '../../src/protocol/ctap2-parameters.js';
import { peers, runPython } from '../support/peer.js';
import { type SimulatorProcess, startSimulator, tokenrig } from '../support/tokenrig-cli.js';

const INFO_PEER = join(import.meta.dirname, '../peers/fido2_info_peer.py');
const running: SimulatorProcess[] = [];
afterAll(() => {
  for (const s of running) s.stop();
});

async function simulator(profile: string): Promise<SimulatorProcess> {
  const sim = await startSimulator(['--profile', profile]);
  running.push(sim);
  return sim;
}

interface PeerView {
  members: Record<string, unknown>;
  pinRetries: number | null;
  uvRetries: number | string | null;
}

/** getInfo as python-fido2 decodes it, members by number. */
async function peerView(spec: string): Promise<PeerView> {
  const r = await runPython(INFO_PEER, [spec.split(':').at(-1)!]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as PeerView;
}

const NAME_OF = new Map<number, string>(Object.entries(GET_INFO).map(([name, n]) => [n, name]));

/** Our --json member for python-fido2's, in python-fido2's shape (AAGUID in hex, algorithms without names). */
function ours(doc: Record<string, unknown>, name: string): unknown {
  const value = doc[name];
  if (name === 'algorithms') return (value as { type: string; alg: number }[]).map(({ type, alg }) => ({ alg, type }));
  return value;
}

/** The value column of the text row labelled `label`. */
function row(text: string, label: string): string | undefined {
  return new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}: +(.*)$`, 'm').exec(text)?.[1];
}

describe.each(['tokenrig', 'yubikey-5', 'yubikey-bio', 'ctap20', 'solo1'])('tokenrig fido info, sim fido --profile %s', (profile) => {
  it('shows every getInfo member python-fido2 reads, in --json by its spec name and in text', { timeout: 60_000 }, async (ctx) => {
    peers.pythonFido2.require(ctx);
    const sim = await simulator(profile);
    const [json, text, peer] = await Promise.all([tokenrig(['fido', 'info', '--device', sim.device, '--json']), tokenrig(['fido', 'info', '--device', sim.device]), peerView(sim.device)]);
    expect(json.code, json.stderr).toBe(0);
    expect(text.code, text.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(peer.members).length).toBeGreaterThan(5);
    for (const [number, value] of Object.entries(peer.members)) {
      const name = NAME_OF.get(Number(number));
      expect(name, `member ${number} has a spec name`).toBeDefined();
      expect(ours(doc, name!), name).toEqual(value);
    }
    // Each numeric member has its row in the text, with its value (bytes where the spec counts them).
    const numeric = Object.entries(doc).filter(([k, v]) => typeof v === 'number' && k !== 'firmwareVersion' && k !== 'maxMsgSize' && k !== 'uvModality');
    const rows = text.stdout.split('\n').slice(1);
    for (const [name, value] of numeric) expect(rows.some((l) => new RegExp(`: +${String(value)}( bytes)?$`).test(l)), `${name} ${String(value)} in\n${text.stdout}`).toBe(true);
    expect(doc.pin).toEqual({ set: false, retries: peer.pinRetries });
    if (peer.uvRetries === null) expect(doc.uv).toBeUndefined();
    else expect(doc.uv).toMatchObject({ enrolled: false, retries: peer.uvRetries });
  });
});

describe('tokenrig fido info: what each personality adds', () => {
  it('a fingerprint key: its UV retries (getUVRetries), modality by name, platform UV attempts, transports', { timeout: 60_000 }, async () => {
    const sim = await simulator('yubikey-bio');
    const text = (await tokenrig(['fido', 'info', '--device', sim.device])).stdout;
    expect(row(text, 'built-in UV')).toBe('not enrolled, 3 attempts remaining');
    expect(row(text, 'UV modality')).toBe('fingerprint (0x2)');
    expect(row(text, 'platform UV attempts')).toBe('3');
    expect(row(text, 'transports')).toBe('usb');
    expect(row(text, 'max large blob array')).toBe('1024 bytes');
    const doc = JSON.parse((await tokenrig(['fido', 'info', '--device', sim.device, '--json'])).stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ uv: { enrolled: false, retries: 3, modality: ['fingerprint'] }, uvModality: 2, preferredPlatformUvAttempts: 3 });
  });

  it('the default key: credBlob and large-blob limits, the PIN with its retries once set (python-fido2 agrees)', { timeout: 60_000 }, async (ctx) => {
    peers.pythonFido2.require(ctx);
    const sim = await simulator('tokenrig');
    expect((await tokenrig(['fido', 'pin', 'set', '--pin', '2468', '--device', sim.device])).code).toBe(0);
    const text = (await tokenrig(['fido', 'info', '--device', sim.device])).stdout;
    expect(row(text, 'max credBlob length')).toBe('32 bytes');
    expect(row(text, 'max large blob array')).toBe('4096 bytes');
    expect(row(text, 'PIN change required')).toBe('no');
    expect(row(text, 'built-in UV')).toBeUndefined();
    const peer = await peerView(sim.device);
    expect(row(text, 'PIN')).toBe(`set, ${peer.pinRetries} attempts remaining`);
    const doc = JSON.parse((await tokenrig(['fido', 'info', '--device', sim.device, '--json'])).stdout) as Record<string, unknown>;
    expect(doc.pin).toEqual({ set: true, retries: peer.pinRetries });
  });

  it('a U2F-only key: its U2F version, no CTAP2 members', { timeout: 60_000 }, async () => {
    const sim = await simulator('u2f-only');
    expect((await tokenrig(['fido', 'info', '--device', sim.device])).stdout).toBe(`${sim.device}: U2F key (U2F_V2), firmware ${String((JSON.parse((await tokenrig(['fido', 'info', '--device', sim.device, '--json'])).stdout) as { ctaphid: { deviceVersion: string } }).ctaphid.deviceVersion)}\n`);
    const doc = JSON.parse((await tokenrig(['fido', 'info', '--device', sim.device, '--json'])).stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ u2fVersion: 'U2F_V2', ctaphid: { cbor: false } });
    expect(doc.versions).toBeUndefined();
  });
});
