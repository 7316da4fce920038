/**
 * The rig's control API over real HTTP on 127.0.0.1: every route answers as its OpenAPI
 * entry says, every route refuses a request without the bearer token (or with a wrong one),
 * bad bodies are 400 naming the field, and the event stream carries device events with the
 * device's state. The checked-in OpenAPI document is the one the server serves.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers read field by field */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ctap2, ManualClock, Totp, base32Decode } from '../../src/index.js';
import { ROUTES } from '../../src/rig/api/routes.js';
import { type RunningRig, openApiDocument, startRig } from '../../src/rig/index.js';
import { packageVersion } from '../../src/rig/api/server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const T0 = Date.UTC(2026, 0, 1);
let running: RunningRig;
let api: string;
let auth: Record<string, string>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

beforeAll(async () => {
  running = await startRig(
    {
      clock: { start: T0 / 1000, manual: true },
      devices: [
        { kind: 'otp', profile: 'aws-totp', serial: 'GAKT00000001', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' },
        { kind: 'otp', profile: 'totp60', count: 3, serial: 'FT0000000001' },
        { kind: 'otp', profile: 'hotp', clock: { source: 'manual', start: '2030-01-01T00:00:00Z' } },
        { kind: 'fido', name: 'desk', touch: 'manual' },
        { kind: 'fido', name: 'bio', uv: 'manual' },
      ],
    },
    { api: true, baseClock: new ManualClock(T0) },
  );
  api = running.apiUrl!.replace(/\/api$/, '');
  auth = { authorization: `Bearer ${running.token}` };
});

afterAll(async () => {
  await running?.close();
});

describe('the control API', () => {
  it('GET /api/rig: the clock and the devices by kind', async () => {
    const r = await call('GET', '/api/rig');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ clock: { time_ms: T0, manual: true }, devices: 7, kinds: { otp: 5, fido: 2 } });
  });

  it('GET /api/devices: search, kind and paging', async () => {
    const all = await call('GET', '/api/devices');
    expect(all.json.total).toBe(7);
    expect(all.json.devices.map((d: { id: string }) => d.id)).toEqual(['GAKT00000001', 'FT0000000001', 'FT0000000002', 'FT0000000003', expect.stringMatching(/^EVT\d{9}$/), 'desk', 'bio']);
    const page = await call('GET', '/api/devices?q=ft%20totp60&offset=1&limit=1');
    expect(page.json).toMatchObject({ total: 3, offset: 1, limit: 1, devices: [{ id: 'FT0000000002', profile: 'totp60' }] });
    expect((await call('GET', '/api/devices?kind=fido')).json.devices.map((d: { id: string }) => d.id)).toEqual(['desk', 'bio']);
    const bad = await call('GET', '/api/devices?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/limit/);
  });

  it('GET /api/devices/{id}: one device, 404 for none', async () => {
    const r = await call('GET', '/api/devices/GAKT00000001');
    expect(r.json).toMatchObject({ id: 'GAKT00000001', kind: 'otp', otp: { type: 'totp', digits: 6, period: 30, display: null, battery: 'ok' }, clock: { source: 'rig', time_ms: T0 } });
    expect(JSON.stringify(r.json)).not.toContain('JBSWY3DP');
    const none = await call('GET', '/api/devices/NOPE');
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('NOT_FOUND');
  });

  it('POST press and GET display: the code of the seed at the rig time', async () => {
    const totp = new Totp(base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    const pressed = await call('POST', '/api/devices/GAKT00000001/press');
    expect(pressed.status).toBe(200);
    expect(pressed.json.code).toBe(totp.generate(T0 / 1000));
    const shown = await call('GET', '/api/devices/GAKT00000001/display');
    expect(shown.json).toEqual({ code: pressed.json.code, remaining_ms: 15_000, seconds_to_next_step: 30 });
    expect((await call('POST', '/api/devices/desk/press')).status).toBe(409);
  });

  it('POST /api/devices/{id}/clock: one device moves, set, advance and drift; bad bodies name the field', async () => {
    const totp = new Totp(base32Decode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    const r = await call('POST', '/api/devices/GAKT00000001/clock', { advance: 60 });
    expect(r.json).toMatchObject({ source: 'rig', time_ms: T0 + 60_000, offset_ms: 60_000 });
    expect((await call('POST', '/api/devices/GAKT00000001/press')).json.code).toBe(totp.generate(T0 / 1000 + 60));
    expect((await call('GET', '/api/devices/FT0000000001')).json.clock.time_ms).toBe(T0);
    expect((await call('POST', '/api/devices/GAKT00000001/clock', { set: '2026-01-01T00:00:00Z', drift: 20 })).json).toMatchObject({ time_ms: T0, drift_ppm: 20 });
    const bad = await call('POST', '/api/devices/GAKT00000001/clock', { drift: 'fast' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toBe('body.drift must be number');
    expect((await call('POST', '/api/devices/GAKT00000001/clock', {})).status).toBe(400);
    expect((await call('POST', '/api/devices/GAKT00000001/clock', '{not json')).status).toBe(400);
    expect((await call('POST', '/api/devices/GAKT00000001/clock', { set: 'yesterday' })).json.error.message).toMatch(/body\.set must be ISO 8601/);
  });

  it('POST /api/clock: every device moves, own manual clocks too', async () => {
    const before = (await call('GET', '/api/devices?q=evt')).json.devices[0].clock.time_ms;
    const r = await call('POST', '/api/clock', { advance: 30 });
    expect(r.json).toEqual({ time_ms: T0 + 30_000, manual: true });
    expect((await call('GET', '/api/devices/FT0000000002')).json.clock.time_ms).toBe(T0 + 30_000);
    expect((await call('GET', '/api/devices?q=evt')).json.devices[0].clock.time_ms).toBe(before + 30_000);
    expect((await call('POST', '/api/clock', { set: T0 / 1000 })).json.time_ms).toBe(T0);
    expect((await call('POST', '/api/clock', { bogus: 1 })).json.error.message).toBe('body: unknown field "bogus"');
  });

  it('POST /api/devices/{id}/fault: a dead battery refuses presses (409), none clears it', async () => {
    expect((await call('POST', '/api/devices/FT0000000003/fault', { fault: 'battery-dead' })).json.otp).toMatchObject({ battery: 'dead', fault: 'battery-dead' });
    const refused = await call('POST', '/api/devices/FT0000000003/press');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/battery is dead/);
    expect((await call('POST', '/api/devices/FT0000000003/fault', { fault: 'none' })).json.otp.battery).toBe('ok');
    expect((await call('POST', '/api/devices/FT0000000003/fault', { fault: 'flat' })).json.error.message).toMatch(/^body\.fault must be one of/);
  });

  it('touch and uv: a waiting request is approved or denied; modes switch; credentials listed', async () => {
    const desk = running.device('desk');
    const hid = await desk.openCtapHid();
    const ctap2 = new Ctap2(hid);
    const rp = { id: 'example.com' };
    const params = { clientDataHash: new Uint8Array(32), rp, user: { id: new Uint8Array([1, 2, 3]), name: 'alice', displayName: 'Alice' }, pubKeyCredParams: [{ type: 'public-key' as const, alg: -7 }], options: { rk: true } };
    const made = ctap2.makeCredential(params);
    await expect.poll(async () => (await call('GET', '/api/devices/desk')).json.fido.touch.pending).toBe(1);
    expect((await call('POST', '/api/devices/desk/touch', { action: 'approve' })).json).toEqual({ answered: 1 });
    await made;
    const creds = await call('GET', '/api/devices/desk/credentials');
    expect(creds.json.credentials).toEqual([expect.objectContaining({ rp_id: 'example.com', user_name: 'alice', display_name: 'Alice' })]);

    const denied = ctap2.makeCredential(params).then(
      () => 'made',
      (e: Error) => e.message,
    );
    await expect.poll(async () => (await call('GET', '/api/devices/desk')).json.fido.touch.pending).toBe(1);
    expect((await call('POST', '/api/devices/desk/touch', { action: 'deny' })).json).toEqual({ answered: 1 });
    expect(await denied).toMatch(/OPERATION_DENIED/);

    expect((await call('PUT', '/api/devices/desk/modes', { touch: 'auto' })).json.fido).toMatchObject({ touch: { mode: 'auto' }, uv: { mode: 'none' } });
    await hid.close();

    // The fingerprint sensor: uv=true waits for it; deny is a finger that does not match.
    const bio = new Ctap2(await running.device('bio').openCtapHid());
    const verified = bio.makeCredential({ ...params, options: { rk: true, uv: true } });
    await expect.poll(async () => (await call('GET', '/api/devices/bio')).json.fido.uv.pending).toBe(1);
    expect((await call('POST', '/api/devices/bio/uv', { action: 'approve' })).json).toEqual({ answered: 1 });
    expect(((await verified).authData[32]! & 0x04) !== 0).toBe(true); // the UV flag
    expect((await call('PUT', '/api/devices/bio/modes', { uv: 'deny' })).json.fido.uv.mode).toBe('deny');
    // A failed match in getAssertion on a key without a PIN is OPERATION_DENIED (CTAP 2.1 §6.2.2
    // step 6.2; UV_INVALID is getPinUvAuthTokenUsingUvWithPermissions' answer), and spends one of uvRetries.
    await expect(bio.getAssertion({ rpId: 'example.com', clientDataHash: new Uint8Array(32), options: { uv: true } })).rejects.toThrow(/OPERATION_DENIED/);
    expect((await call('POST', '/api/devices/desk/uv', { action: 'approve' })).status).toBe(409);
    await bio.device.close();
    expect((await call('PUT', '/api/devices/desk/modes', { uv: 'auto' })).status).toBe(409);
    expect((await call('POST', '/api/devices/bio/uv', { action: 'maybe' })).status).toBe(400);
    expect((await call('POST', '/api/devices/GAKT00000001/touch', { action: 'approve' })).status).toBe(409);
    expect((await call('GET', '/api/devices/GAKT00000001/credentials')).status).toBe(409);
  });

  it('POST /api/devices/{id}/seed: only with reveal: true; the URI and a QR code', async () => {
    const refused = await call('POST', '/api/devices/GAKT00000001/seed', {});
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toBe('body: missing field "reveal"');
    expect((await call('POST', '/api/devices/GAKT00000001/seed', { reveal: false })).status).toBe(400);
    const r = await call('POST', '/api/devices/GAKT00000001/seed', { reveal: true, qr: true });
    expect(r.json).toMatchObject({ serial: 'GAKT00000001', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', uri: expect.stringMatching(/^otpauth:\/\/totp\/tokenrig:GAKT00000001\?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP/) });
    expect(r.json.qr_png).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect((await call('POST', '/api/devices/desk/seed', { reveal: true })).status).toBe(409);
  });

  it('POST /api/devices and DELETE /api/devices/{id}: devices come and go at run time', async () => {
    const added = await call('POST', '/api/devices', { kind: 'otp', profile: 'hotp', count: 2, serial: 'EVT000000100' });
    expect(added.status).toBe(201);
    expect(added.json.devices.map((d: { id: string }) => d.id)).toEqual(['EVT000000100', 'EVT000000101']);
    expect((await call('GET', '/api/rig')).json.devices).toBe(9);
    const dup = await call('POST', '/api/devices', { kind: 'otp', profile: 'hotp', serial: 'EVT000000100' });
    expect(dup.status).toBe(400);
    expect(dup.json.error.message).toMatch(/already in the rig/);
    expect((await call('POST', '/api/devices', { kind: 'otp', clock: { drift: 'x' } })).json.error.message).toBe('body.clock.drift must be number');
    expect((await call('POST', '/api/devices', { kind: 'otp', endpoints: { usb: 'x' } })).json.error.message).toMatch(/^body\.endpoints: unknown endpoint "usb"/);
    expect((await call('DELETE', '/api/devices/EVT000000100')).json).toEqual({ removed: 'EVT000000100' });
    expect((await call('DELETE', '/api/devices/EVT000000100')).status).toBe(404);
    expect((await call('GET', '/api/rig')).json.devices).toBe(8);
  });

  it('GET /api/events: device events with the state after them, and the rig clock', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api}/api/events`, { headers: auth, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const next = async (re: RegExp): Promise<any> => {
      for (;;) {
        const m = text.match(new RegExp(`^data: (.*${re.source}.*)$`, 'm'));
        if (m) {
          text = text.slice(text.indexOf(m[0]) + m[0].length);
          return JSON.parse(m[1]!);
        }
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
    };
    await call('POST', '/api/devices/FT0000000001/press');
    const press = await next(/"event":"press"/);
    expect(press).toMatchObject({ event: 'press', device: 'FT0000000001', state: { id: 'FT0000000001', otp: { display: expect.stringMatching(/^\d{6}$/) } } });
    await call('POST', '/api/clock', { advance: 1 });
    expect(await next(/"event":"clock_set"/)).toMatchObject({ event: 'clock_set', time_ms: T0 + 1000 });
    controller.abort();
  });

  it('every route refuses a request without the bearer token, or with a wrong one (401)', async () => {
    const paths = [...ROUTES.map((r) => ({ method: r.method, path: r.path.replace('{id}', 'GAKT00000001') })), { method: 'GET', path: '/api/events' }];
    for (const { method, path } of paths) {
      for (const headers of [{}, { authorization: `Bearer ${running.token}x` }, { authorization: `Basic ${running.token}` }] as Record<string, string>[]) {
        const r = await call(method, path, method === 'GET' || method === 'DELETE' ? undefined : { reveal: true, action: 'approve', fault: 'battery-dead', advance: 1 }, headers);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.json.error.code).toBe('UNAUTHORIZED');
      }
    }
    // Nothing happened: the token was not pressed, the device not removed.
    expect((await call('GET', '/api/devices/GAKT00000001')).json.otp.fault).toBe('none');
    expect((await call('GET', '/api/rig')).json.clock.time_ms).toBe(T0 + 1000);
  });

  it('unknown paths are 404, wrong methods 405; the dashboard is not served without ui', async () => {
    expect((await call('GET', '/api/nothing')).status).toBe(404);
    expect((await call('PATCH', '/api/devices/GAKT00000001/press')).status).toBe(405);
    expect((await call('GET', '/')).status).toBe(404);
  });

  it('serves the OpenAPI document without a token, and it is the one checked in (docs/rig-openapi.json)', async () => {
    const served = await call('GET', '/api/openapi.json', undefined, {});
    expect(served.status).toBe(200);
    const generated = openApiDocument(packageVersion());
    expect(served.json).toEqual(JSON.parse(JSON.stringify(generated)));
    const file = join(ROOT, 'docs/rig-openapi.json');
    const text = `${JSON.stringify(generated, null, 2)}\n`;
    if (process.env.TOKENRIG_UPDATE_OPENAPI === '1') writeFileSync(file, text);
    expect(readFileSync(file, 'utf8'), 'docs/rig-openapi.json is stale: TOKENRIG_UPDATE_OPENAPI=1 npx vitest run test/rig/rig-api.test.ts').toBe(text);
    // Every route of the table is in the document.
    for (const r of ROUTES) expect(generated.paths).toHaveProperty([r.path, r.method.toLowerCase()]);
  });
});

