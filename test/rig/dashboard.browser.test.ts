/**
 * The dashboard in headless Chromium against a real rig server on 127.0.0.1: a press on the
 * drawn button shows the token's code on its LCD (the TOTP of its seed at the rig time), the
 * rig-wide clock control moves the code on, a FIDO key's touch pad lights while a
 * registration waits and a click on it completes the registration, search and paging, and the
 * seed export shows nothing until the reveal is confirmed. Screenshots for docs/rig.md are taken
 * on the way (TOKENRIG_UPDATE_SCREENSHOTS=1 writes them to docs/images).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, Totp, base32Decode } from '../../src/index.js';
import { type RunningRig, startRig } from '../../src/rig/index.js';
import { WebAuthnClient } from '../../src/webauthn/index.js';
import { buildDashboard, chromiumPeer, launchChromium, screenshotDir } from '../support/browser.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
let running: RunningRig | undefined;
let browser: Browser | undefined;
let page: Page;
let shots: string;

/** A browser on a loaded 2-core machine can take seconds to show a change: wait up to 10 s for it. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

beforeEach((ctx) => chromiumPeer.require(ctx));

beforeAll(async () => {
  if (!chromiumPeer.available) return;
  const uiDir = await buildDashboard();
  running = await startRig(
    {
      clock: { start: T0 / 1000, manual: true },
      devices: [
        { kind: 'otp', profile: 'aws-totp', serial: 'GAKT00000001', secret: SECRET },
        { kind: 'otp', profile: 'totp60', count: 2, serial: 'FT0000000001' },
        { kind: 'otp', profile: 'hotp', serial: 'EVT000000001', battery: 'low' },
        { kind: 'fido', name: 'desk-key', touch: 'manual' },
        { kind: 'fido', name: 'bio-key', uv: 'manual' },
        { kind: 'otp', count: 120 },
      ],
    },
    { ui: true, uiDir, baseClock: new ManualClock(T0) },
  );
  shots = await screenshotDir();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(running.uiUrl!);
  await page.locator('body[data-live="true"]').waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

const lcd = (serial: string) => page.locator(`[data-device="${serial}"] .lcd`);
const expectedCode = (ms: number) => new Totp(base32Decode(SECRET)).generate(ms / 1000);

describe('the dashboard', () => {
  it('draws the first page of devices and keeps the token out of the address bar', async () => {
    await poll(() => page.locator('article.device').count()).toBe(100);
    expect(await page.locator('#range').textContent()).toBe('1–100 of 126');
    expect(page.url()).not.toContain('token=');
    expect(await page.locator('[data-device="desk-key"] .touch-pad').count()).toBe(1);
    expect(await page.locator('[data-device="bio-key"] .finger').count()).toBe(1);
    expect(await page.locator('[data-device="EVT000000001"] .battery').getAttribute('class')).toContain('battery-low');
  });

  it('a press on the button shows the code on the LCD; the rig clock control moves it on', async () => {
    expect(await lcd('GAKT00000001').textContent()).toBe('');
    await page.getByRole('button', { name: 'press GAKT00000001' }).click();
    await poll(() => lcd('GAKT00000001').textContent()).toBe(expectedCode(T0));
    await page.locator('[data-device="GAKT00000001"]').screenshot({ path: join(shots, 'rig-token.png') });

    await page.locator('button[data-advance="30"]').click();
    await poll(() => running!.rig.clock.now()).toBe(T0 + 30_000);
    // The LCD blanks when its display time runs out on the device's clock; a new press shows the next step's code.
    await page.getByRole('button', { name: 'press GAKT00000001' }).click();
    await poll(() => lcd('GAKT00000001').textContent()).toBe(expectedCode(T0 + 30_000));
    expect(expectedCode(T0 + 30_000)).not.toBe(expectedCode(T0));
    expect(await page.locator('#rig-time').textContent()).toBe('2026-01-01 09:00:30 UTC');
  });

  it("one device's clock moves alone", async () => {
    await page.getByRole('button', { name: 'FT0000000001: its clock 30 s on' }).click();
    await poll(() => running!.rig.device('FT0000000001').state().clock.offset_ms).toBe(30_000);
    expect(running!.rig.device('FT0000000002').state().clock.offset_ms).toBe(0);
    await poll(() => page.locator('[data-device="FT0000000001"] .device-clock').textContent()).toContain('+30s');
  });

  it('the touch pad lights while a registration waits, and a click on it completes it', async () => {
    const key = running!.rig.device('desk-key');
    const client = new WebAuthnClient(await key.openCtapHid());
    const registration = client.create(
      { rp: { id: 'localhost', name: 'Example' }, user: { id: 'dXNlcg', name: 'ada', displayName: 'Ada' }, challenge: 'Y2hhbGxlbmdlLWNoYWxsZW5nZQ', pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { residentKey: 'required' } },
      'http://localhost:8080',
    );
    const pad = page.locator('[data-device="desk-key"] .touch-pad');
    await poll(() => pad.getAttribute('class')).toContain('waiting');
    await page.locator('[data-device="desk-key"]').screenshot({ path: join(shots, 'rig-fido-waiting.png') });
    await pad.click();
    const made = await registration;
    expect(made.type).toBe('public-key');
    await poll(() => pad.getAttribute('class')).not.toContain('waiting');
    await poll(() => page.locator('[data-device="desk-key"] .creds').textContent()).toBe('1 credential');
    await client.device.close();
  });

  it('search and paging', async () => {
    await page.locator('#search').fill('ft0000');
    await poll(() => page.locator('#range').textContent()).toBe('1–2 of 2');
    expect(await page.locator('article.device').count()).toBe(2);
    await page.locator('#search').fill('');
    await poll(() => page.locator('#range').textContent()).toBe('1–100 of 126');
    await page.locator('#next').click();
    await poll(() => page.locator('#range').textContent()).toBe('101–126 of 126');
    expect(await page.locator('article.device').count()).toBe(26);
    await page.locator('#kind').selectOption('fido');
    await poll(() => page.locator('#range').textContent()).toBe('1–2 of 2');
    await page.screenshot({ path: join(shots, 'rig-dashboard-fido.png') });
    await page.locator('#kind').selectOption('');
    await poll(() => page.locator('#range').textContent()).toBe('1–100 of 126');
    await page.screenshot({ path: join(shots, 'rig-dashboard.png') });
  });

  it('the seed shows only after the reveal is confirmed', async () => {
    await page.getByRole('button', { name: 'GAKT00000001: reveal its seed' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.textContent()).not.toContain(SECRET);
    await dialog.getByRole('button', { name: 'reveal the seed of GAKT00000001' }).click();
    await poll(() => dialog.locator('code.secret').textContent()).toBe(SECRET);
    expect(await dialog.locator('code.uri').textContent()).toMatch(/^otpauth:\/\/totp\/tokenrig:GAKT00000001\?secret=JBSWY3DP/);
    expect(await dialog.locator('img.qr').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    await dialog.getByRole('button', { name: 'close' }).click();
  });
});
