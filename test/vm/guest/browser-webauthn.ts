/**
 * A real browser against the simulated key, inside the guest: headless Chromium (Debian) loads
 * a page served on the guest's loopback (http://localhost is a secure context), whose
 * navigator.credentials.create() and get() reach the key through hidraw; the relying party
 * (@simplewebauthn/server) verifies both responses. Chromium runs as the project's end-to-end
 * tests run it: --headless --no-sandbox --disable-gpu --disable-background-networking.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { type Page, chromium } from 'playwright-core';
import { decode as decodeCbor } from 'cborg';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>tokenrig WebAuthn check</title></head>
<body><p>WebAuthn with the simulated key</p><script>
const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const unb64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
window.register = async (o) => {
  const c = await navigator.credentials.create({ publicKey: { ...o, challenge: unb64u(o.challenge), user: { ...o.user, id: unb64u(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((x) => ({ ...x, id: unb64u(x.id) })) } });
  return { id: c.id, rawId: b64u(c.rawId), type: c.type, clientExtensionResults: c.getClientExtensionResults(), authenticatorAttachment: c.authenticatorAttachment,
    response: { clientDataJSON: b64u(c.response.clientDataJSON), attestationObject: b64u(c.response.attestationObject), transports: c.response.getTransports() } };
};
window.authenticate = async (o) => {
  const a = await navigator.credentials.get({ publicKey: { ...o, challenge: unb64u(o.challenge), allowCredentials: (o.allowCredentials || []).map((x) => ({ ...x, id: unb64u(x.id) })) } });
  return { id: a.id, rawId: b64u(a.rawId), type: a.type, clientExtensionResults: a.getClientExtensionResults(), authenticatorAttachment: a.authenticatorAttachment,
    response: { clientDataJSON: b64u(a.response.clientDataJSON), authenticatorData: b64u(a.response.authenticatorData), signature: b64u(a.response.signature),
      userHandle: a.response.userHandle ? b64u(a.response.userHandle) : undefined } };
};
</script></body></html>`;

/** `p`, or a rejection naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export interface BrowserResult {
  registered: boolean;
  authenticated: boolean;
  credentialId: string;
  counter: number;
  ms: { launch: number; create: number; get: number };
}

/** What the relying party (@simplewebauthn/server) saw of one registration and one sign-in. */
export interface RpResult {
  credentialId: string;
  fmt: string;
  aaguid: string;
  /** The credential public key's COSE algorithm (its `3` member). */
  alg: number;
  transports: string[];
  /** Authenticator data flags of the registration and of the sign-in (UP 0x01, UV 0x04, BE 0x08, BS 0x10, AT 0x40, ED 0x80). */
  flags: { create: number; get: number };
  userVerified: { create: boolean; get: boolean };
  deviceType: string;
  backedUp: boolean;
  /** The sign count at registration and after the sign-in. */
  counter: { create: number; get: number };
  ms: { create: number; get: number };
}

/**
 * Register and sign in on `page` (already at `origin`, a page served by `servePage`), with
 * `userVerification` 'discouraged' and direct attestation, the relying party verifying both.
 */
export async function rpCeremonies(page: Page, origin: string, timeoutMs = 300_000, log: (line: string) => void = () => {}): Promise<RpResult> {
  const regOptions = await generateRegistrationOptions({ rpName: 'tokenrig VM check', rpID: 'localhost', userName: 'alice', attestationType: 'direct', authenticatorSelection: { userVerification: 'discouraged', residentKey: 'discouraged' } });
  log('navigator.credentials.create()');
  const t0 = Date.now();
  const registration = (await within(page.evaluate((o) => (globalThis as unknown as { register(o: unknown): Promise<unknown> }).register(o), regOptions as unknown), timeoutMs, 'navigator.credentials.create()')) as { response: { transports: string[] } };
  const tCreate = Date.now();
  const reg = await verifyRegistrationResponse({ response: registration as never, expectedChallenge: regOptions.challenge, expectedOrigin: origin, expectedRPID: 'localhost', requireUserVerification: false });
  if (!reg.verified || reg.registrationInfo === undefined) throw new Error('the relying party did not verify the registration');
  const info = reg.registrationInfo;
  const cred = info.credential;
  const authOptions = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: cred.id }], userVerification: 'discouraged' });
  log('navigator.credentials.get()');
  const assertion = (await within(page.evaluate((o) => (globalThis as unknown as { authenticate(o: unknown): Promise<unknown> }).authenticate(o), authOptions as unknown), timeoutMs, 'navigator.credentials.get()')) as { response: { authenticatorData: string } };
  const tGet = Date.now();
  const auth = await verifyAuthenticationResponse({ response: assertion as never, expectedChallenge: authOptions.challenge, expectedOrigin: origin, expectedRPID: 'localhost', credential: cred, requireUserVerification: false });
  if (!auth.verified) throw new Error('the relying party did not verify the assertion');
  const publicKey = decodeCbor(cred.publicKey, { useMaps: true }) as Map<number, unknown>;
  return {
    credentialId: cred.id,
    fmt: info.fmt,
    aaguid: info.aaguid,
    alg: Number(publicKey.get(3)),
    transports: registration.response.transports,
    flags: { create: authDataFlags(info.attestationObject), get: Buffer.from(assertion.response.authenticatorData, 'base64url')[32]! },
    userVerified: { create: info.userVerified, get: auth.authenticationInfo.userVerified },
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    counter: { create: cred.counter, get: auth.authenticationInfo.newCounter },
    ms: { create: tCreate - t0, get: tGet - tCreate },
  };
}

/** The flags byte of the authenticator data inside an attestation object. */
function authDataFlags(attestationObject: Uint8Array): number {
  const authData = (decodeCbor(attestationObject, { useMaps: true }) as Map<string, unknown>).get('authData') as Uint8Array;
  return authData[32]!;
}

/** Serve the RP page on the loopback; `origin` is http://localhost:PORT (a secure context). */
export async function servePage(): Promise<{ origin: string; close(): void }> {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Register and authenticate in headless Chromium; throws with the browser's error when it fails. */
export async function browserWebAuthn(executablePath = '/usr/bin/chromium', timeoutMs = 300_000, log: (line: string) => void = () => {}): Promise<BrowserResult> {
  const served = await servePage();
  const t0 = Date.now();
  log('launching chromium');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: timeoutMs });
  const tLaunch = Date.now();
  log(`chromium up in ${tLaunch - t0} ms`);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    await page.goto(served.origin);
    const r = await rpCeremonies(page, served.origin, timeoutMs, log);
    return { registered: true, authenticated: true, credentialId: r.credentialId, counter: r.counter.get, ms: { launch: tLaunch - t0, create: r.ms.create, get: r.ms.get } };
  } finally {
    await browser.close();
    served.close();
  }
}
