/**
 * A relying party for the browser tests, on 127.0.0.1 (port 0): a sign-up / sign-in page that
 * uses @simplewebauthn/browser, and a server that makes options and verifies answers with
 * @simplewebauthn/server (an independent WebAuthn implementation). Every verification is kept
 * so a test can compare what the relying party saw on each route.
 *
 * The page is reached as http://localhost:PORT (a secure context; IP addresses cannot be RP IDs).
 */
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

// The package's own browser bundle (its exports map does not list it, so by path).
const BROWSER_BUNDLE = readFileSync(new URL('../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', import.meta.url), 'utf8');

export interface Verification {
  readonly kind: 'registration' | 'authentication';
  readonly user: string;
  readonly verified: boolean;
  readonly userVerified: boolean;
  readonly fmt?: string;
  readonly aaguid?: string;
  readonly counter: number;
  readonly credentialId: string;
  readonly error?: string;
}

interface StoredCredential {
  id: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports?: AuthenticatorTransport[];
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example RP</title><link rel="icon" href="data:,"></head>
<body>
<h1>Example RP</h1>
<label>user <input id="user" value="ada"></label>
<label>user verification <select id="uv"><option>discouraged</option><option>preferred</option><option>required</option></select></label>
<label>attestation <select id="attestation"><option>none</option><option>direct</option></select></label>
<button id="register">Register a security key</button>
<button id="login">Sign in</button>
<pre id="result"></pre>
<script src="/simplewebauthn-browser.js"></script>
<script>
const { startRegistration, startAuthentication } = SimpleWebAuthnBrowser;
const post = async (path, body) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
const settings = () => ({ user: document.getElementById('user').value, uv: document.getElementById('uv').value, attestation: document.getElementById('attestation').value });
const show = (value) => { document.getElementById('result').textContent = JSON.stringify(value); };
window.register = async () => {
  try {
    const s = settings();
    const optionsJSON = await post('/register/options', s);
    const response = await startRegistration({ optionsJSON });
    return show(await post('/register/verify', { ...s, response }));
  } catch (e) { show({ error: e.name, message: e.message }); }
};
window.login = async () => {
  try {
    const s = settings();
    const optionsJSON = await post('/login/options', s);
    const response = await startAuthentication({ optionsJSON });
    return show(await post('/login/verify', { ...s, response }));
  } catch (e) { show({ error: e.name, message: e.message }); }
};
document.getElementById('register').addEventListener('click', () => window.register());
document.getElementById('login').addEventListener('click', () => window.login());
</script>
</body></html>`;

export class RelyingParty implements AsyncDisposable {
  readonly verifications: Verification[] = [];
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #users = new Map<string, { credentials: StoredCredential[]; challenge?: string; userId?: string }>();
  #port = 0;

  static async start(): Promise<RelyingParty> {
    const rp = new RelyingParty();
    await new Promise<void>((resolve) => rp.#server.listen(0, '127.0.0.1', resolve));
    rp.#port = (rp.#server.address() as AddressInfo).port;
    return rp;
  }

  /** The page's origin (localhost, so the RP ID is `localhost`). */
  get origin(): string {
    return `http://localhost:${this.#port}`;
  }

  /** The same server by IP address: no valid RP ID, so a browser refuses WebAuthn there. */
  get ipOrigin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Forget every user and credential (between test cases). */
  reset(): void {
    this.#users.clear();
    this.verifications.length = 0;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #user(name: string) {
    let u = this.#users.get(name);
    if (u === undefined) this.#users.set(name, (u = { credentials: [] }));
    return u;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) return send(200, PAGE, 'text/html; charset=utf-8');
      if (req.method === 'GET' && req.url === '/simplewebauthn-browser.js') return send(200, BROWSER_BUNDLE, 'text/javascript');
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { user: string; uv: 'discouraged' | 'preferred' | 'required'; attestation: 'none' | 'direct'; response?: never };
      const user = this.#user(body.user);
      const origin = `http://${req.headers.host}`;
      switch (req.url) {
        case '/register/options': {
          const options = await generateRegistrationOptions({
            rpName: 'Example RP',
            rpID: 'localhost',
            userName: body.user,
            attestationType: body.attestation,
            excludeCredentials: user.credentials.map((c) => ({ id: c.id, ...(c.transports ? { transports: c.transports } : {}) })),
            authenticatorSelection: { residentKey: 'required', userVerification: body.uv },
            supportedAlgorithmIDs: [-7],
          });
          user.challenge = options.challenge;
          return send(200, JSON.stringify(options));
        }
        case '/register/verify': {
          try {
            const v = await verifyRegistrationResponse({ response: body.response!, expectedChallenge: user.challenge!, expectedOrigin: origin, expectedRPID: 'localhost', requireUserVerification: body.uv === 'required' });
            const info = v.registrationInfo!;
            user.credentials.push({ id: info.credential.id, publicKey: info.credential.publicKey, counter: info.credential.counter, ...(info.credential.transports ? { transports: info.credential.transports as AuthenticatorTransport[] } : {}) });
            return send(200, JSON.stringify(this.#record({ kind: 'registration', user: body.user, verified: v.verified, userVerified: info.userVerified, fmt: info.fmt, aaguid: info.aaguid, counter: info.credential.counter, credentialId: info.credential.id })));
          } catch (e) {
            return send(200, JSON.stringify(this.#record({ kind: 'registration', user: body.user, verified: false, userVerified: false, counter: 0, credentialId: '', error: (e as Error).message })));
          }
        }
        case '/login/options': {
          const options = await generateAuthenticationOptions({ rpID: 'localhost', userVerification: body.uv, allowCredentials: [] });
          user.challenge = options.challenge;
          return send(200, JSON.stringify(options));
        }
        case '/login/verify': {
          const response = body.response as unknown as { id: string };
          const credential = [...this.#users.values()].flatMap((u) => u.credentials).find((c) => c.id === response.id);
          try {
            if (credential === undefined) throw new Error(`unknown credential ${response.id}`);
            const v = await verifyAuthenticationResponse({ response: body.response!, expectedChallenge: user.challenge!, expectedOrigin: origin, expectedRPID: 'localhost', credential, requireUserVerification: body.uv === 'required' });
            credential.counter = v.authenticationInfo.newCounter;
            return send(200, JSON.stringify(this.#record({ kind: 'authentication', user: body.user, verified: v.verified, userVerified: v.authenticationInfo.userVerified, counter: v.authenticationInfo.newCounter, credentialId: credential.id })));
          } catch (e) {
            return send(200, JSON.stringify(this.#record({ kind: 'authentication', user: body.user, verified: false, userVerified: false, counter: 0, credentialId: response.id, error: (e as Error).message })));
          }
        }
        default:
          return send(404, JSON.stringify({ error: 'not found' }));
      }
    } catch (e) {
      send(500, JSON.stringify({ error: (e as Error).message }));
    }
  }

  #record(v: Verification): Verification {
    this.verifications.push(v);
    return v;
  }
}
