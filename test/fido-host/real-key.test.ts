/**
 * A real FIDO key, driven through `tokenrig fido` as child processes, and the very same checks
 * against `tokenrig sim fido --hid udp:0 --json` so they are known to work before a key is
 * plugged in.
 *
 * Real key: TOKENRIG_FIDO_DEVICE=SPEC runs info and wink; TOKENRIG_FIDO_TOUCH=1 also registers a
 * non-discoverable credential and authenticates with it (a person touches the key twice);
 * then an EdDSA credential with prf (hmac-secret) and two authentications (three touches);
 * TOKENRIG_FIDO_PIN is the key's PIN when it has one. Nothing here sets or changes a PIN, resets
 * a key or leaves a credential on it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { type TestContext, afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/tokenrig.js');
const ORIGIN = 'https://tokenrig.test';
const RP_ID = 'tokenrig.test';
// Per ceremony: the CLI waits this long for a touch; the test allows two of them and startup.
const TOUCH_MS = 45_000;
const TOUCH_TEST_MS = 2 * TOUCH_MS + 20_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tokenrig ARGS` as a child process. The PIN goes in its environment (not `ps`) and only when given. */
function tokenrig(args: string[], opts: { pin?: string; timeoutMs?: number } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TOKENRIG_FIDO_PIN;
  if (opts.pin !== undefined) env.TOKENRIG_FIDO_PIN = opts.pin;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: opts.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

interface InfoJson {
  device: string;
  ctaphid: { wink: boolean; cbor: boolean };
  versions?: string[];
  u2fVersion?: string;
  options?: Record<string, boolean>;
  algorithms?: { alg: number }[];
  extensions?: string[];
}

async function readInfo(device: string): Promise<InfoJson> {
  const r = await tokenrig(['fido', 'info', '--device', device, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as InfoJson;
}

function skipWith(ctx: TestContext, reason: string): never {
  console.log(`skipped: ${reason}`);
  return ctx.skip();
}

// The checks: each takes the device spec, so the real key and the simulator share them.

async function checkInfo(device: string): Promise<InfoJson> {
  const info = await readInfo(device);
  expect(info.device).toBe(device);
  expect(info.versions ?? [info.u2fVersion]).toEqual(expect.arrayContaining([expect.stringMatching(/U2F_V2|FIDO_2/)]));
  return info;
}

/** Keys without the WINK capability must refuse in one line (UNSUPPORTED, exit 10), not hang. */
async function checkWink(device: string): Promise<void> {
  const info = await readInfo(device);
  const r = await tokenrig(['fido', 'wink', '--device', device, '--json']);
  if (info.ctaphid.wink) {
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ device, wink: true });
  } else {
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/does not support WINK/);
  }
}

/**
 * Why a register/authenticate round cannot run on this key without a PIN, or undefined.
 * CTAP 2.1 §6.1.2 step 11: a key protected by a PIN or built-in UV wants a pinUvAuthParam for
 * makeCredential unless it reports makeCredUvNotRqd (and never with alwaysUv).
 */
function pinNeeded(info: InfoJson, pin: string | undefined): string | undefined {
  if (pin !== undefined) return undefined;
  const o = info.options ?? {};
  if (o.alwaysUv === true || ((o.clientPin === true || o.uv === true) && o.makeCredUvNotRqd !== true)) {
    return 'the key needs user verification to register: set TOKENRIG_FIDO_PIN to its PIN';
  }
  return undefined;
}

type Credential = NonNullable<Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']>['credential'];

/**
 * One WebAuthn ceremony at a time through `tokenrig fido register|authenticate`, each response
 * verified by @simplewebauthn/server. Non-discoverable credentials only (residentKey
 * 'discouraged': nothing stays on the key). With a PIN, user verification is required and
 * checked; without, only presence.
 */
class Ceremonies {
  readonly #dir = mkdtempSync(join(tmpdir(), 'tokenrig-real-key-'));
  readonly #args: string[];
  readonly #run: { pin?: string; timeoutMs: number };
  readonly #uv: 'required' | 'discouraged';

  constructor(
    device: string,
    readonly pin: string | undefined,
  ) {
    this.#args = ['--device', device, '--origin', ORIGIN, '--timeout', String(TOUCH_MS)];
    this.#run = { ...(pin !== undefined ? { pin } : {}), timeoutMs: TOUCH_MS + 10_000 };
    this.#uv = pin !== undefined ? 'required' : 'discouraged';
  }

  async register(algs: number[], extensions?: Record<string, unknown>): Promise<{ credential: Credential; fmt: string; clientExtensionResults: Record<string, unknown> }> {
    const challenge = randomBytes(32).toString('base64url');
    const options = {
      rp: { id: RP_ID, name: 'tokenrig real-key test' },
      user: { id: randomBytes(16).toString('base64url'), name: 'tokenrig-test', displayName: 'tokenrig test' },
      challenge,
      pubKeyCredParams: algs.map((alg) => ({ type: 'public-key', alg })),
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'discouraged', requireResidentKey: false, userVerification: this.#uv },
      ...(extensions !== undefined ? { extensions } : {}),
    };
    const response = await this.#ceremony('register', options);
    const registration = await verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: this.pin !== undefined,
      supportedAlgorithmIDs: algs,
    });
    expect(registration.verified).toBe(true);
    const { credential, fmt } = registration.registrationInfo!;
    return { credential, fmt, clientExtensionResults: response.clientExtensionResults as Record<string, unknown> };
  }

  async authenticate(credential: Credential, extensions?: Record<string, unknown>): Promise<{ counter: number; clientExtensionResults: Record<string, unknown> }> {
    const challenge = randomBytes(32).toString('base64url');
    const options = { challenge, rpId: RP_ID, allowCredentials: [{ id: credential.id, type: 'public-key' }], userVerification: this.#uv, ...(extensions !== undefined ? { extensions } : {}) };
    const response = await this.#ceremony('authenticate', options);
    expect(response.id).toBe(credential.id);
    const authentication = await verifyAuthenticationResponse({
      response: response as never,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
      requireUserVerification: this.pin !== undefined,
    });
    expect(authentication.verified).toBe(true);
    return { counter: authentication.authenticationInfo.newCounter, clientExtensionResults: response.clientExtensionResults as Record<string, unknown> };
  }

  dispose(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #ceremony(command: 'register' | 'authenticate', options: object): Promise<{ id: string; clientExtensionResults: unknown }> {
    const file = join(this.#dir, `${command}.json`);
    writeFileSync(file, JSON.stringify(options));
    const r = await tokenrig(['fido', command, '--options', file, ...this.#args], this.#run);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { id: string; clientExtensionResults: unknown };
  }
}

/** Register an ES256 credential, authenticate with it: both verified, the counter rising. */
async function checkRegisterAuthenticate(device: string, pin: string | undefined): Promise<{ fmt: string; registered: number; asserted: number }> {
  const c = new Ceremonies(device, pin);
  try {
    const { credential, fmt } = await c.register([-7]);
    const { counter: asserted } = await c.authenticate(credential);
    // WebAuthn §6.1.1: a signature counter rises with every assertion; keys without one send 0.
    if (!(credential.counter === 0 && asserted === 0)) expect(asserted).toBeGreaterThan(credential.counter);
    return { fmt, registered: credential.counter, asserted };
  } finally {
    c.dispose();
  }
}

/** Why the key cannot run {@link checkEdDsaPrf}, or undefined: it needs EdDSA and hmac-secret. */
function edDsaPrfMissing(info: InfoJson): string | undefined {
  if (!(info.algorithms ?? []).some((a) => a.alg === -8)) return 'the key does not list EdDSA (-8) in getInfo algorithms';
  if (!(info.extensions ?? []).includes('hmac-secret')) return 'the key does not list the hmac-secret extension';
  return undefined;
}

/**
 * An EdDSA credential (as OpenSSH's ed25519-sk keys make) with prf (hmac-secret underneath):
 * registered with prf enabled, then two authentications with the same PRF input give the same
 * 32-byte output and a different second input a different one (WebAuthn L3 §10.1.4).
 */
async function checkEdDsaPrf(device: string, pin: string | undefined): Promise<void> {
  const c = new Ceremonies(device, pin);
  try {
    const { credential, clientExtensionResults } = await c.register([-8], { prf: {} });
    expect(clientExtensionResults).toMatchObject({ prf: { enabled: true } });
    const first = randomBytes(32).toString('base64url');
    const second = randomBytes(16).toString('base64url');
    const results = async (): Promise<{ first: string; second: string }> => {
      const { clientExtensionResults: out } = await c.authenticate(credential, { prf: { eval: { first, second } } });
      const r = (out as { prf?: { results?: { first: string; second: string } } }).prf?.results;
      expect(r, JSON.stringify(out)).toBeDefined();
      return r!;
    };
    const once = await results();
    expect(Buffer.from(once.first, 'base64url')).toHaveLength(32);
    expect(once.second).not.toBe(once.first);
    expect(await results()).toEqual(once);
  } finally {
    c.dispose();
  }
}

describe('real FIDO key', () => {
  const device = process.env.TOKENRIG_FIDO_DEVICE ?? '';
  const touch = process.env.TOKENRIG_FIDO_TOUCH === '1';
  const pin = process.env.TOKENRIG_FIDO_PIN === '' ? undefined : process.env.TOKENRIG_FIDO_PIN;
  const needDevice = 'set TOKENRIG_FIDO_DEVICE=hid:/dev/hidrawN (or hid:VID:PID) to run against a real key';

  it('info --json from the key named by TOKENRIG_FIDO_DEVICE', async (ctx) => {
    if (device === '') skipWith(ctx, needDevice);
    await checkInfo(device);
  });

  it('wink', async (ctx) => {
    if (device === '') skipWith(ctx, needDevice);
    await checkWink(device);
  });

  it(
    'register a non-discoverable credential and authenticate with it (touch twice)',
    async (ctx) => {
      if (device === '') skipWith(ctx, needDevice);
      if (!touch) skipWith(ctx, 'also set TOKENRIG_FIDO_TOUCH=1 when someone is there to touch the key (register, then authenticate)');
      const reason = pinNeeded(await readInfo(device), pin);
      if (reason !== undefined) skipWith(ctx, reason);
      console.log(`waiting for touches on ${device}: touch the key when it blinks, once to register, once to authenticate (${TOUCH_MS / 1000} s each)`);
      await checkRegisterAuthenticate(device, pin);
    },
    TOUCH_TEST_MS,
  );

  it(
    'an EdDSA credential with prf: the same input gives the same output (touch three times)',
    async (ctx) => {
      if (device === '') skipWith(ctx, needDevice);
      if (!touch) skipWith(ctx, 'also set TOKENRIG_FIDO_TOUCH=1 when someone is there to touch the key (register, then authenticate twice)');
      const info = await readInfo(device);
      const reason = pinNeeded(info, pin) ?? edDsaPrfMissing(info);
      if (reason !== undefined) skipWith(ctx, reason);
      console.log(`waiting for touches on ${device}: once to register an EdDSA credential, twice to authenticate with prf (${TOUCH_MS / 1000} s each)`);
      await checkEdDsaPrf(device, pin);
    },
    TOUCH_TEST_MS + TOUCH_MS,
  );
});

describe('the same checks against the simulator (tokenrig sim fido, child process)', () => {
  let sim: ChildProcess;
  let device = '';

  beforeAll(async () => {
    sim = spawn(process.execPath, [BIN, 'sim', 'fido', '--hid', 'udp:0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: sim.stdout! });
    const ready = await new Promise<{ event: string; endpoints: { hid: string } }>((resolve, reject) => {
      lines.once('line', (l) => resolve(JSON.parse(l) as { event: string; endpoints: { hid: string } }));
      sim.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
    });
    expect(ready.event).toBe('ready');
    expect(ready.endpoints.hid).toMatch(/^udp:127\.0\.0\.1:\d+$/);
    device = ready.endpoints.hid;
  }, 30_000);

  afterAll(() => {
    sim.kill('SIGTERM');
  });

  it('info --json', async () => {
    const info = await checkInfo(device);
    expect(info.versions).toContain('FIDO_2_1');
  });

  it('wink', async () => {
    expect((await readInfo(device)).ctaphid.wink).toBe(true);
    await checkWink(device);
  });

  it('register a non-discoverable credential and authenticate with it', async () => {
    expect(pinNeeded(await readInfo(device), undefined)).toBeUndefined();
    const r = await checkRegisterAuthenticate(device, undefined);
    expect(r.fmt).toBe('packed');
    expect(r.asserted).toBeGreaterThan(r.registered);
  }, 30_000);

  it('an EdDSA credential with prf: the same input gives the same output', async () => {
    expect(edDsaPrfMissing(await readInfo(device))).toBeUndefined();
    await checkEdDsaPrf(device, undefined);
  }, 40_000);
});
