/**
 * The rig file: schema errors name the path of the bad field; the --init examples (JSON and
 * YAML) are valid and start; counts, serials, seed files (a PSKC file read back against
 * oathtool), clocks (offset, drift, manual) and endpoints do what the file says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientPin, Ctap2, ManualClock, PERMISSION, base32Encode, openOtpTokenDriver } from '../../src/index.js';
import { Rig, parseRigText, rigTemplate, startRig, validateRigFile } from '../../src/rig/index.js';
import { nextSerial } from '../../src/rig/rig.js';
import { builtinSeedProfile, formatPskc, generateSeeds } from '../../src/seeds/index.js';
import { peers } from '../support/peer.js';

const T0 = Date.UTC(2026, 0, 1);
const tmp = mkdtempSync(join(tmpdir(), 'tokenrig-rig-file-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function error(value: unknown): string {
  try {
    validateRigFile(value);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

describe('the rig file schema', () => {
  it('names the path of the bad field', () => {
    expect(error({ devices: [{ kind: 'otp' }, { kind: 'otp', clock: { drift: 2e6 } }] })).toBe('devices[1].clock.drift must be <= 999999');
    expect(error({ devices: [{ kind: 'otp', count: 0 }] })).toBe('devices[0].count must be >= 1');
    expect(error({ devices: [{ kind: 'otz' }] })).toBe('devices[0].kind must be one of "otp", "fido", "key"');
    expect(error({ devices: [{}] })).toBe('devices[0]: missing field "kind"');
    expect(error({ devices: [{ kind: 'fido', touch: 'sometimes' }] })).toBe('devices[0].touch must be one of "auto", "manual", "deny"');
    expect(error({ devices: [{ kind: 'fido', serial: 'X1' }] })).toBe('devices[0]: unknown field "serial"');
    expect(error({ devices: [{ kind: 'otp', endpoints: { hid: 8111 } }] })).toBe('devices[0].endpoints.hid must be string');
    expect(error({ clock: { manual: 'yes' }, devices: [] })).toBe('clock.manual must be boolean');
    expect(error({ version: 2, devices: [] })).toBe('version must be 1');
    expect(error({ device: [] })).toBe('missing field "devices"');
    expect(error({ $comment: 'fine', devices: [{ kind: 'key', $comment: 'fine too' }] })).toBe('accepted');
  });

  it('what a schema cannot say is checked when the rig starts, naming the same path', async () => {
    const start = async (devices: unknown[]) => Rig.start({ devices } as never).then(
      async (r) => (await r.close(), 'started'),
      (e: Error) => e.message,
    );
    expect(await start([{ kind: 'otp', profile: 'nope' }])).toMatch(/^devices\[0\]\.profile: no device profile "nope"/);
    expect(await start([{ kind: 'otp' }, { kind: 'otp', endpoints: { hid: 'tcp:1' } }])).toMatch(/^devices\[1\]\.endpoints\.hid: the HID endpoint must be udp/);
    expect(await start([{ kind: 'otp', endpoints: { bluetooth: 'x' } }])).toMatch(/^devices\[0\]\.endpoints: unknown endpoint "bluetooth" \(this build has serialPort, hid, usbip, uhid/);
    expect(await start([{ kind: 'otp', endpoints: { usbip: 'x' } }])).toMatch(/^devices\[0\]\.endpoints\.usbip: usbip takes a TCP port/);
    // A further kind takes the value its option takes (usbip: a port, uhid: true or false), checked by the build's own table.
    expect(await start([{ kind: 'otp', endpoints: { uhid: 'yes' } }])).toMatch(/^devices\[0\]\.endpoints\.uhid: uhid is true or false/);
    expect(await start([{ kind: 'fido', personality: 'nope' }])).toMatch(/^devices\[0\]\.personality: no FIDO personality "nope" \(this build has tokenrig/);
    expect(await start([{ kind: 'otp', count: 2, secret: 'JBSWY3DPEHPK3PXPJBSWY3DP' }])).toMatch(/^devices\[0\]\.secret: one secret cannot seed 2 tokens/);
    expect(await start([{ kind: 'otp', serial: 'GAKT1' }])).toMatch(/^devices\[0\]: serial "GAKT1" does not match profile aws-totp/);
    expect(await start([{ kind: 'otp', serial: 'GAKT00000001' }, { kind: 'otp', serial: 'GAKT00000001' }])).toMatch(/^devices\[1\]: a device "GAKT00000001" is already in the rig/);
    expect(await start([{ kind: 'otp', clock: { start: 0 } }])).toMatch(/^devices\[0\]\.clock\.start: only a manual clock/);
    expect(await start([{ kind: 'otp', seedFile: join(tmp, 'none.pskc') }])).toMatch(/^devices\[0\]\.seedFile: .*no such file/);
    expect(await start([{ kind: 'fido', endpoints: { usbip: 'rig' } }])).toMatch(/^devices\[0\]\.endpoints\.usbip: rig needs the rig's USB\/IP server/);
  });

  it('JSON and YAML parse errors are BAD_FILE; YAML with comments is read', () => {
    expect(() => parseRigText('{ nope', 'rig.json')).toThrow(/rig\.json is not JSON/);
    expect(() => parseRigText('a: [', 'rig.yaml')).toThrow(/rig\.yaml is not YAML/);
    expect(parseRigText('# a rig\ndevices:\n  - kind: otp # one token\n', 'rig.yml')).toEqual({ devices: [{ kind: 'otp' }] });
  });

  it('the --init examples, JSON and YAML, are valid rigs that start', async () => {
    for (const name of ['rig.json', 'rig.yaml']) {
      const file = validateRigFile(parseRigText(rigTemplate(name), name));
      expect(file.devices.map((d) => d.kind)).toEqual(['otp', 'otp', 'otp', 'otp', 'fido', 'key']);
      const rig = await Rig.start(file, { baseDir: tmp });
      expect(rig.list().map((d) => d.kind)).toEqual(['otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'otp', 'fido', 'key']);
      expect(rig.device('desk-key').state().fido).toMatchObject({ touch: { mode: 'manual' }, uv: { mode: 'auto' } });
      await rig.close();
    }
    expect(rigTemplate('rig.yaml')).toMatch(/^# A tokenrig rig/);
  });
});

describe('what the rig file makes', () => {
  it('counts number serials up; FIDO keys are named; endpoints are device specs that work', async () => {
    expect(nextSerial('GAKT00000009')).toBe('GAKT00000010');
    expect(() => nextSerial('GAKT99999999')).toThrow(/run out/);
    await using running = await startRig({ devices: [{ kind: 'otp', count: 3, serial: 'GAKT00000009', endpoints: { hid: 'udp:0' } }, { kind: 'fido', count: 2, name: 'lab' }, { kind: 'fido' }] });
    const states = running.rig.list();
    expect(states.map((d) => d.id)).toEqual(['GAKT00000009', 'GAKT00000010', 'GAKT00000011', 'lab-1', 'lab-2', 'fido-3']);
    const driver = await openOtpTokenDriver(states[1]!.endpoints.hid!);
    const code = await driver.press();
    await driver.close();
    expect(running.device('GAKT00000010').state().otp!.display).toBe(code);
  });

  it("every token of a seed file: oathtool computes each token's code from the file", async (ctx) => {
    peers.oathtool.require(ctx);
    const seeds = generateSeeds(4, builtinSeedProfile('aws-hardware'));
    writeFileSync(join(tmp, 'batch.pskc'), formatPskc(seeds, { password: 'pw', iterations: 1000 }));
    writeFileSync(join(tmp, 'pw.txt'), 'pw\n');
    await using running = await startRig({ clock: { start: T0 / 1000, manual: true }, devices: [{ kind: 'otp', seedFile: 'batch.pskc', passwordFile: 'pw.txt' }] }, { baseDir: tmp, baseClock: new ManualClock(T0) });
    expect(running.rig.list().map((d) => d.serial)).toEqual(seeds.map((s) => s.serial));
    for (const seed of seeds) {
      const expected = execFileSync('oathtool', ['--totp', '-b', '--now', '2026-01-01 00:00:00 UTC', base32Encode(seed.secret)], { encoding: 'utf8' }).trim();
      expect(running.device(seed.serial).press()).toBe(expected);
    }
    await expect(startRig({ devices: [{ kind: 'otp', seedFile: 'batch.pskc', password: 'wrong' }] }, { baseDir: tmp })).rejects.toThrow(/^devices\[0\]\.seedFile: /);
  });

  it('clocks: the rig clock, an offset and a drift over it, a manual clock of its own', async () => {
    const base = new ManualClock(T0);
    await using running = await startRig(
      {
        clock: { start: '2026-01-01T00:00:00Z' },
        devices: [
          { kind: 'otp', serial: 'GAKT00000001' },
          { kind: 'otp', serial: 'GAKT00000002', clock: { offset: 120, drift: 100 } },
          { kind: 'otp', serial: 'GAKT00000003', clock: { source: 'manual', start: '2030-01-01T00:00:00Z' } },
          { kind: 'fido', name: 'k', clock: { offset: -60 } },
        ],
      },
      { baseClock: base },
    );
    const time = (id: string) => running.device(id).state().clock.time_ms;
    expect([time('GAKT00000001'), time('GAKT00000002'), time('GAKT00000003'), time('k')]).toEqual([T0, T0 + 120_000, Date.UTC(2030, 0, 1), T0 - 60_000]);
    base.advance(1_000_000); // the rig clock runs on its base; a manual device clock does not
    expect([time('GAKT00000001'), time('GAKT00000002'), time('GAKT00000003'), time('k')]).toEqual([T0 + 1_000_000, T0 + 120_000 + 1_000_000 + 100, Date.UTC(2030, 0, 1), T0 - 60_000 + 1_000_000]);
    running.rig.advanceAll(30_000); // every clock, the manual one too
    expect([time('GAKT00000001'), time('GAKT00000003')]).toEqual([T0 + 1_030_000, Date.UTC(2030, 0, 1) + 30_000]);
  });

  it("uv on a personality with a fingerprint sensor: the rig's finger is enrolled, getInfo says uv and bioEnroll, the key's firmware matches it", async () => {
    await using running = await startRig({ devices: [{ kind: 'fido', name: 'bio', personality: 'yubikey-bio', uv: 'manual' }, { kind: 'fido', name: 'plain', uv: 'auto' }, { kind: 'fido', name: 'bare', personality: 'yubikey-bio' }] });
    const events: string[] = [];
    running.rig.subscribe((e) => events.push(`${e.device}:${e.event}`));
    const infoOf = async (id: string) => {
      const hid = await running.device(id).openCtapHid();
      const ctap2 = new Ctap2(hid);
      return { options: (await ctap2.getInfo()).options, ctap2, hid };
    };
    const bio = await infoOf('bio');
    expect(bio.options).toMatchObject({ uv: true, bioEnroll: true, clientPin: false, pinUvAuthToken: true });
    // A finger matched by the key's own firmware: getPinUvAuthTokenUsingUvWithPermissions waits for the rig.
    const client = await ClientPin.forAuthenticator(bio.ctap2);
    const token = client.getPinUvAuthTokenUsingUvWithPermissions(PERMISSION.mc, 'example.com');
    await expect.poll(() => running.device('bio').state().fido!.uv.pending).toBe(1);
    expect(running.device('bio').answerUv(true)).toBe(1);
    expect((await token).length).toBe(32);
    const denied = client.getPinUvAuthTokenUsingUvWithPermissions(PERMISSION.mc, 'example.com').then(
      () => 'token',
      (e: Error) => e.message,
    );
    await expect.poll(() => running.device('bio').state().fido!.uv.pending).toBe(1);
    running.device('bio').answerUv(false);
    expect(await denied).toMatch(/UV_INVALID/);
    expect(await client.getUvRetries()).toBe(2); // the key's own uvRetries (maxUvRetries 3)
    await bio.hid.close();
    expect(events).toEqual(expect.arrayContaining(['bio:uv_pending', 'bio:uv_verified', 'bio:uv_failed']));
    // A personality without a sensor does not report the rig's (only a raw uv: true reaches it);
    // a bio key without the rig's finger (uv: none) is as it leaves the factory: nothing enrolled.
    const plain = await infoOf('plain');
    await plain.hid.close();
    expect(plain.options.uv).toBeUndefined();
    const bare = await infoOf('bare');
    await bare.hid.close();
    expect(bare.options).toMatchObject({ uv: false, bioEnroll: false });
  });
});
