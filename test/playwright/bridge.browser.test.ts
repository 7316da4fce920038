/**
 * tokenrig/playwright in headless Chromium: a relying-party page using @simplewebauthn/browser
 * registers and signs in with simulated keys of a rig through the bridge, and
 * @simplewebauthn/server (an independent implementation) verifies every answer: without a
 * PIN and with one (user verified), for three kinds of key (a FIDO key, a composite key with
 * its own identity and the yubikey-5 personality), with attestation; a yubikey-bio key verifies
 * the user with the finger the rig approves. The objects the page gets are PublicKeyCredential-shaped,
 * the origin and RP ID are checked as a browser checks them, a touch waits for the rig, an
 * excluded credential is InvalidStateError, and a key in another process is reached over the
 * rig's API and its UDP HID endpoint.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attachAuthenticator, RigClient } from '../../src/playwright/index.js';
import { type RunningRig, startRig } from '../../src/rig/index.js';
import { chromiumPeer, launchChromium } from '../support/browser.js';
import { RelyingParty } from '../support/relying-party.js';

const PIN = '246810';
let running: RunningRig | undefined;
let rp: RelyingParty;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;

/** A browser on a loaded 2-core machine can take seconds to show a change: wait up to 10 s for it. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

beforeEach((ctx) => chromiumPeer.require(ctx));

beforeAll(async () => {
  if (!chromiumPeer.available) return;
  running = await startRig(
    {
      devices: [
        { kind: 'fido', name: 'plain' },
        { kind: 'key', name: 'composite', serial: '90000001', aaguid: '00112233445566778899aabbccddeeff' },
        { kind: 'fido', name: 'pinned', pin: PIN },
        { kind: 'key', name: 'composite-pinned', serial: '90000002', pin: PIN },
        { kind: 'fido', name: 'desk', touch: 'manual' },
        { kind: 'fido', name: 'remote', endpoints: { hid: 'udp:0' } },
        { kind: 'fido', name: 'yk5', personality: 'yubikey-5' },
        { kind: 'fido', name: 'yk5-pinned', personality: 'yubikey-5', pin: PIN },
        { kind: 'fido', name: 'bio', personality: 'yubikey-bio', uv: 'manual' },
      ],
    },
    { api: true },
  );
  rp = await RelyingParty.start();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rp?.close();
  await running?.close();
});

beforeEach(async () => {
  if (browser === undefined) return;
  rp.reset();
  context = await browser.newContext();
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

/** The page's globals the tests touch (the tests compile without the DOM library). */
interface PageWindow {
  navigator: { credentials: { create(options: unknown): Promise<PageCredential>; get(options: unknown): Promise<PageCredential> } };
  PublicKeyCredential: abstract new () => unknown;
  AuthenticatorAttestationResponse: abstract new () => unknown;
  TextDecoder: typeof TextDecoder;
  abortNow?: () => void;
}
interface PageCredential {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment: string | null;
  response: { clientDataJSON: ArrayBuffer; getTransports(): string[]; getPublicKeyAlgorithm(): number; getPublicKey(): ArrayBuffer | null; getAuthenticatorData(): ArrayBuffer };
  getClientExtensionResults(): unknown;
  toJSON(): { id: string; response: { transports: string[] } };
}

type Shown = { verified?: boolean; userVerified?: boolean; fmt?: string; aaguid?: string; counter?: number; error?: string; message?: string };

async function press(button: 'register' | 'login'): Promise<Shown> {
  await page.locator('#result').evaluate((e) => (e.textContent = ''));
  await page.locator(`#${button}`).click();
  await page.locator('#result:not(:empty)').waitFor();
  return JSON.parse((await page.locator('#result').textContent())!) as Shown;
}

async function settings(uv: string, attestation = 'none'): Promise<void> {
  await page.locator('#uv').selectOption(uv);
  await page.locator('#attestation').selectOption(attestation);
}

describe('registration and sign-in through the bridge, verified by @simplewebauthn/server', () => {
  for (const [name, pinned] of [
    ['plain', 'pinned'],
    ['composite', 'composite-pinned'],
    ['yk5', 'yk5-pinned'],
  ] as const) {
    it(`${name}: without a PIN, then a PIN key with user verification`, async () => {
      const aaguid = running!.rig.device(name).state().fido!.aaguid;
      await attachAuthenticator(page, running!.rig.device(name));
      await page.goto(rp.origin);
      await settings('discouraged', 'direct');
      const reg = await press('register');
      expect(reg).toMatchObject({ verified: true, userVerified: false, fmt: 'packed' });
      // The AAGUID the relying party read from the attested credential data is the key's own.
      expect(reg.aaguid!.replace(/-/g, '')).toBe(aaguid);
      const auth = await press('login');
      expect(auth).toMatchObject({ verified: true, userVerified: false });
      expect(auth.counter).toBeGreaterThan(0);

      const other = await context.newPage();
      page = other;
      await attachAuthenticator(page, running!.rig.device(pinned), { pin: PIN });
      await page.goto(rp.origin);
      await page.locator('#user').fill('grace');
      await settings('required');
      expect(await press('register')).toMatchObject({ verified: true, userVerified: true, fmt: 'none' });
      expect(await press('login')).toMatchObject({ verified: true, userVerified: true });
      expect(rp.verifications.map((v) => [v.kind, v.verified])).toEqual([
        ['registration', true],
        ['authentication', true],
        ['registration', true],
        ['authentication', true],
      ]);
    });
  }

  it("yubikey-bio: userVerification 'required' uses the finger the rig approves (no PIN); a denied finger is NotAllowedError", async () => {
    const key = running!.rig.device('bio');
    const remote = (await RigClient.connect(running!.apiUrl!, running!.token!)).device('bio');
    await attachAuthenticator(page, key);
    await page.goto(rp.origin);
    await settings('required', 'direct');
    // The page waits while the key waits for a finger; the rig (here its API, as the dashboard's
    // fingerprint control does) puts the enrolled finger on the sensor.
    const registered = press('register');
    await poll(() => key.state().fido!.uv.pending).toBe(1);
    expect(await remote.answerUv(true)).toBe(1);
    const reg = await registered;
    expect(reg).toMatchObject({ verified: true, userVerified: true, fmt: 'packed' });
    expect(reg.aaguid!.replace(/-/g, '')).toBe(key.state().fido!.aaguid);
    const login = press('login');
    await poll(() => key.state().fido!.uv.pending).toBe(1);
    key.answerUv(true);
    expect(await login).toMatchObject({ verified: true, userVerified: true });
    // A finger that does not match: the platform asks again (preferredPlatformUvAttempts 3), as
    // a browser does, until the key's uvRetries run out; with no PIN to fall back to the page
    // gets NotAllowedError and the relying party nothing.
    const refused = press('login');
    for (let i = 0; i < 3; i++) {
      await poll(() => key.state().fido!.uv.pending).toBe(1);
      expect(key.answerUv(false)).toBe(1);
    }
    expect(await refused).toMatchObject({ error: 'NotAllowedError' });
    expect(rp.verifications.map((v) => [v.kind, v.verified])).toEqual([
      ['registration', true],
      ['authentication', true],
    ]);
  });

  it('a wrong PIN: the page gets NotAllowedError and the relying party nothing', async () => {
    await attachAuthenticator(page, running!.rig.device('pinned'), { pin: '000000' });
    await page.goto(rp.origin);
    await settings('required');
    expect(await press('register')).toMatchObject({ error: 'NotAllowedError' });
    expect(rp.verifications).toEqual([]);
  });

  it('a second registration of the same key for the same user: InvalidStateError (excludeCredentials)', async () => {
    await attachAuthenticator(page, running!.rig.device('plain'));
    await page.goto(rp.origin);
    await page.locator('#user').fill('twice');
    expect(await press('register')).toMatchObject({ verified: true });
    expect(await press('register')).toMatchObject({ error: 'InvalidStateError' });
  });
});

describe('what the page gets', () => {
  it('PublicKeyCredential-shaped objects: instanceof, ArrayBuffers, getTransports, getClientExtensionResults, toJSON', async () => {
    await attachAuthenticator(page, running!.rig.device('plain'));
    await page.goto(rp.origin);
    const seen = await page.evaluate(async () => {
      const w = globalThis as unknown as PageWindow;
      const cred = await w.navigator.credentials.create({
        publicKey: {
          rp: { name: 'Example RP' },
          user: { id: new Uint8Array([1, 2, 3]), name: 'ada', displayName: 'Ada' },
          challenge: new Uint8Array(32).fill(7),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        },
      });
      const r = cred.response;
      const json = cred.toJSON();
      const client = JSON.parse(new w.TextDecoder().decode(r.clientDataJSON)) as { type: string; origin: string };
      return {
        isCredential: cred instanceof w.PublicKeyCredential,
        isAttestation: r instanceof w.AuthenticatorAttestationResponse,
        rawIdIsBuffer: cred.rawId instanceof ArrayBuffer,
        idMatches: json.id === cred.id,
        type: cred.type,
        attachment: cred.authenticatorAttachment,
        transports: r.getTransports(),
        alg: r.getPublicKeyAlgorithm(),
        publicKeyBytes: r.getPublicKey()!.byteLength,
        authDataBytes: r.getAuthenticatorData().byteLength,
        extensions: cred.getClientExtensionResults(),
        clientData: client,
        jsonTransports: json.response.transports,
      };
    });
    expect(seen).toEqual({
      isCredential: true,
      isAttestation: true,
      rawIdIsBuffer: true,
      idMatches: true,
      type: 'public-key',
      attachment: 'cross-platform',
      transports: ['usb'],
      alg: -7,
      publicKeyBytes: 91,
      authDataBytes: expect.any(Number),
      extensions: {},
      clientData: { type: 'webauthn.create', origin: rp.origin, challenge: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc', crossOrigin: false },
      jsonTransports: ['usb'],
    });
    expect(seen.authDataBytes).toBeGreaterThan(37);
  });

  it('extensions travel both ways: prf at registration and its secrets at sign-in, as ArrayBuffers', async () => {
    await attachAuthenticator(page, running!.rig.device('plain'));
    await page.goto(rp.origin);
    const seen = await page.evaluate(async () => {
      const w = globalThis as unknown as PageWindow & { crypto: { getRandomValues<T>(a: T): T } };
      const cred = await w.navigator.credentials.create({
        publicKey: { rp: { name: 'x' }, user: { id: new Uint8Array([9]), name: 'a', displayName: 'a' }, challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], extensions: { prf: {} } },
      });
      const sign = async (salt: number) => {
        const got = await w.navigator.credentials.get({ publicKey: { challenge: w.crypto.getRandomValues(new Uint8Array(16)), allowCredentials: [{ type: 'public-key', id: cred.rawId }], extensions: { prf: { eval: { first: new Uint8Array(32).fill(salt) } } } } });
        const first = (got.getClientExtensionResults() as { prf: { results: { first: ArrayBuffer } } }).prf.results.first;
        return { isBuffer: first instanceof ArrayBuffer, hex: Array.from(new Uint8Array(first), (b) => b.toString(16).padStart(2, '0')).join(''), json: (got.toJSON() as unknown as { clientExtensionResults: { prf: { results: { first: unknown } } } }).clientExtensionResults.prf.results.first };
      };
      return { created: cred.getClientExtensionResults(), one: await sign(1), again: await sign(1), two: await sign(2) };
    });
    expect(seen.created).toEqual({ prf: { enabled: true } });
    expect(seen.one.isBuffer).toBe(true);
    expect(seen.one.hex).toMatch(/^[0-9a-f]{64}$/);
    // The same salt gives the same secret; another salt another one (hmac-secret, CTAP 2.1 §12.5).
    expect(seen.again.hex).toBe(seen.one.hex);
    expect(seen.two.hex).not.toBe(seen.one.hex);
    expect(seen.one.json).toBe(Buffer.from(seen.one.hex, 'hex').toString('base64url'));
  });

  it('the origin and the RP ID are checked as a browser does: SecurityError', async () => {
    const attached = await attachAuthenticator(page, running!.rig.device('plain'));
    await page.goto(rp.origin);
    const wrongRp = await page.evaluate(() =>
      (globalThis as unknown as PageWindow).navigator.credentials
        .create({ publicKey: { rp: { id: 'example.com', name: 'x' }, user: { id: new Uint8Array([1]), name: 'a', displayName: 'a' }, challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } })
        .then(
          () => 'created',
          (e: Error) => e.name,
        ),
    );
    expect(wrongRp).toBe('SecurityError');
    // By IP address the page has no valid RP ID at all.
    await page.goto(rp.ipOrigin);
    await settings('discouraged');
    expect(await press('register')).toMatchObject({ error: 'SecurityError' });
    const missing = await page.evaluate(() =>
      (globalThis as unknown as PageWindow).navigator.credentials.get({ publicKey: {} }).then(
        () => 'got',
        (e: Error) => e.constructor.name,
      ),
    );
    expect(missing).toBe('TypeError');
    expect(attached.ceremonies.map((c) => [c.op, c.error])).toEqual([
      ['create', 'SecurityError'],
      ['create', 'SecurityError'],
    ]);
    expect(rp.verifications).toEqual([]);
  });

  it('a touch waits for the rig: approved it completes, denied it is NotAllowedError', async () => {
    await attachAuthenticator(page, running!.rig.device('desk'));
    await page.goto(rp.origin);
    const key = running!.rig.device('desk');
    const registered = press('register');
    await poll(() => key.state().fido!.touch.pending).toBe(1);
    expect(key.answerTouch(true)).toBe(1);
    expect(await registered).toMatchObject({ verified: true });
    const login = press('login');
    await poll(() => key.state().fido!.touch.pending).toBe(1);
    key.answerTouch(false);
    expect(await login).toMatchObject({ error: 'NotAllowedError' });
  });

  it('an AbortSignal cancels a waiting ceremony: the page gets AbortError and the key stops waiting', async () => {
    await attachAuthenticator(page, running!.rig.device('desk'));
    await page.goto(rp.origin);
    const key = running!.rig.device('desk');
    const outcome = page.evaluate(() => {
      const w = globalThis as unknown as PageWindow;
      const ac = new AbortController();
      w.abortNow = () => ac.abort();
      return w.navigator.credentials
        .create({ signal: ac.signal, publicKey: { rp: { name: 'x' }, user: { id: new Uint8Array([1]), name: 'a', displayName: 'a' }, challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } })
        .then(
          () => 'created',
          (e: Error) => e.name,
        );
    });
    await poll(() => key.state().fido!.touch.pending).toBe(1);
    await page.evaluate(() => (globalThis as unknown as PageWindow).abortNow!());
    expect(await outcome).toBe('AbortError');
    await poll(() => key.state().fido!.touch.pending).toBe(0);
  });
});

describe('the two channels from the page to the bridge', () => {
  it("on Chromium the bridge's own DevTools binding carries a ceremony; where a frame lacks it, Playwright's binding does, with answers the server verifies alike", async () => {
    const attached = await attachAuthenticator(page, running!.rig.device('plain'));
    await page.goto(rp.origin);
    await page.locator('#user').fill('channels');
    expect(await press('register')).toMatchObject({ verified: true });
    // A frame without the DevTools binding (another browser, an out-of-process iframe) falls back.
    await page.evaluate(() => delete (globalThis as Record<string, unknown>).__tokenrigWebAuthn_cdp);
    expect(await press('login')).toMatchObject({ verified: true });
    expect(attached.ceremonies.map((c) => [c.op, c.channel, c.origin, c.error])).toEqual([
      ['create', 'devtools', rp.origin, undefined],
      ['get', 'playwright', rp.origin, undefined],
    ]);
    expect(rp.verifications.map((v) => [v.kind, v.verified])).toEqual([
      ['registration', true],
      ['authentication', true],
    ]);
  });

  it('attached to a BrowserContext, a page opened afterwards gets the DevTools channel too', async () => {
    const attached = await attachAuthenticator(context, running!.rig.device('composite'), { bindingName: 'contextKey' });
    const later = await context.newPage();
    page = later;
    await page.goto(rp.origin);
    await page.locator('#user').fill('context');
    // The page's first scripts may run before the channel reaches it; the binding answers then.
    await poll(() => page.evaluate(() => typeof (globalThis as Record<string, unknown>).contextKey_cdp)).toBe('function');
    expect(await press('register')).toMatchObject({ verified: true });
    expect(await press('login')).toMatchObject({ verified: true });
    expect(attached.ceremonies.map((c) => [c.op, c.channel])).toEqual([
      ['create', 'devtools'],
      ['get', 'devtools'],
    ]);
  });

  it('each channel takes the origin from the browser, never from the page: an IP-address page and an opaque sandboxed frame are SecurityError', async () => {
    const attached = await attachAuthenticator(page, running!.rig.device('plain'));
    const attempt = (frame: Pick<Page, 'evaluate'>) =>
      frame.evaluate(() => {
        const w = globalThis as unknown as PageWindow & Record<string, unknown>;
        return w.navigator.credentials
          .create({ publicKey: { rp: { id: 'localhost', name: 'x' }, user: { id: new Uint8Array([1]), name: 'a', displayName: 'a' }, challenge: new Uint8Array(16), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } })
          .then(
            () => 'created',
            (e: Error) => e.name,
          );
      });
    // The page's own frame, on the DevTools channel: the origin is the one Chromium gives the
    // frame's execution context (an IP address is no valid RP ID's host).
    await page.goto(rp.ipOrigin);
    expect(await attempt(page)).toBe('SecurityError');
    // A sandboxed frame (Chromium gives it a process of its own, so the Playwright binding carries it).
    await page.goto(rp.origin);
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const doc = (globalThis as unknown as { document: { createElement(t: string): { sandbox: string; srcdoc: string; onload: () => void }; body: { append(e: unknown): void } } }).document;
          const frame = doc.createElement('iframe');
          frame.sandbox = 'allow-scripts';
          frame.srcdoc = '<title>sandboxed</title>';
          frame.onload = () => resolve();
          doc.body.append(frame);
        }),
    );
    expect(await attempt(page.frames().find((f) => f !== page.mainFrame())!)).toBe('SecurityError');
    expect(attached.ceremonies.map((c) => [c.channel, c.origin, c.error])).toEqual([
      ['devtools', rp.ipOrigin, 'SecurityError'],
      ['playwright', 'null', 'SecurityError'],
    ]);
    expect(rp.verifications).toEqual([]);
  });
});

describe('a rig reached over its API and its UDP endpoint, as from another process', () => {
  it("RigClient: a key over the rig's API and its UDP HID endpoint; token.code() for a form", async () => {
    const client = await RigClient.connect(running!.apiUrl!, running!.token!);
    await attachAuthenticator(page, client.device('remote'));
    await page.goto(rp.origin);
    expect(await press('register')).toMatchObject({ verified: true });
    expect(await press('login')).toMatchObject({ verified: true });
    // A composite key's OTP side: the code the page would type, equal to the LCD's.
    const code = await client.device('composite').code();
    expect(code).toMatch(/^\d{6}$/);
    expect((await client.device('composite').state()).otp!.display).toBe(code);
    await expect(RigClient.connect(running!.apiUrl!, 'wrong')).rejects.toMatchObject({ code: 'REJECTED', wireCode: 401 });
  });
  it('a key named by a device spec (as a real key on a lab machine is): the remote key by its udp: spec', async () => {
    const spec = running!.rig.device('remote').endpoints.hid!;
    expect(spec).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    const attached = await attachAuthenticator(page, spec);
    await page.goto(rp.origin);
    expect(await press('register')).toMatchObject({ verified: true });
    expect(await press('login')).toMatchObject({ verified: true });
    await attached.detach();
    // Detached, the page's next ceremony is refused as a browser refuses one with no key.
    expect(await press('login')).toMatchObject({ error: 'NotAllowedError' });
  });
});

describe('a real FIDO key (TOKENRIG_FIDO_DEVICE=hid:/dev/hidrawN and TOKENRIG_FIDO_TOUCH=1)', () => {
  it('registers and signs in on the relying-party page (touch twice)', async (ctx) => {
    const device = process.env.TOKENRIG_FIDO_DEVICE ?? '';
    if (device === '' || process.env.TOKENRIG_FIDO_TOUCH !== '1') {
      const why = 'set TOKENRIG_FIDO_DEVICE=hid:/dev/hidrawN (or hid:VID:PID) and TOKENRIG_FIDO_TOUCH=1 when someone is there to touch the key';
      console.warn(`skipped: ${why}`);
      ctx.skip(why);
    }
    const pin = process.env.TOKENRIG_FIDO_PIN;
    await attachAuthenticator(page, device, pin === undefined || pin === '' ? {} : { pin });
    await page.goto(rp.origin);
    console.log(`touch the key on ${device} when it blinks: once to register, once to sign in`);
    expect(await press('register')).toMatchObject({ verified: true });
    expect(await press('login')).toMatchObject({ verified: true });
  }, 90_000);
});
