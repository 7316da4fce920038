/**
 * The packed package in projects of a user's own: what `npm pack` ships, the `tokenrig`
 * command run by plain node (no tsx installed), the library from plain Node ESM and from
 * CommonJS (require, and the import() recipe for Node versions without require(esm)), and the
 * rig with the Playwright bridge driving Chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type Packed, installedVersion, makeProject, ok, packRepository, parseNpmJson, run } from './consumer-project.js';
import { TSCONFIG_BUNDLER, TSCONFIG_NODENEXT, USE_TS, VITEST_TS } from './fixtures-ts.js';
import { CHROMIUM_PATH, chromiumPeer } from '../support/browser.js';

// RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890", T = 59 s, 8 digits.
const RFC6238_SECRET_B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC6238_CODE_AT_59 = '94287082';

const ESM = `import { Totp, base32Decode, TokenrigError } from 'tokenrig';
import { parseUriList, SEED_FORMATS } from 'tokenrig/seeds';
const code = new Totp(base32Decode('${RFC6238_SECRET_B32}'), { digits: 8 }).generate(59);
const [seed] = parseUriList('otpauth://totp/ACME:alice?secret=${RFC6238_SECRET_B32}&issuer=ACME');
console.log(JSON.stringify({ code, account: seed.account, formats: SEED_FORMATS.length > 3, error: typeof TokenrigError }));
`;

// A token started in-process with tokenrig/sim, read over UDP HID by the host driver of tokenrig.
const SIM_ESM = `import { ManualClock, openOtpTokenDriver, Totp, base32Decode } from 'tokenrig';
import { startOtpToken } from 'tokenrig/sim';
const clock = new ManualClock(59_000);
const token = await startOtpToken({ clock, secret: '${RFC6238_SECRET_B32}', hid: 'udp:0' });
const driver = await openOtpTokenDriver(token.endpoints.hid);
const code = await driver.press();
await driver.close();
await token.close();
console.log(JSON.stringify({ code, expected: new Totp(base32Decode('${RFC6238_SECRET_B32}')).generate(59), serial: token.serial }));
`;

// tokenrig/rig and tokenrig/playwright from the installed package: a rig key with a PIN attached
// to a page in Chromium (CHROMIUM names it), which registers and signs in with user verification.
const BRIDGE_ESM = `import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { startRig } from 'tokenrig/rig';
import { attachAuthenticator } from 'tokenrig/playwright';
const server = createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>rp</title>'); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = 'http://localhost:' + server.address().port;
const rig = await startRig({ devices: [{ kind: 'fido', name: 'key', pin: '123456' }] });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage();
  const attached = await attachAuthenticator(page, rig.device('key'), { pin: '123456' });
  await page.goto(origin);
  const seen = await page.evaluate(async () => {
    const created = await navigator.credentials.create({ publicKey: { rp: { name: 'rp' }, user: { id: new Uint8Array([1, 2, 3]), name: 'ada', displayName: 'Ada' }, challenge: crypto.getRandomValues(new Uint8Array(32)), pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { userVerification: 'required' } } });
    const got = await navigator.credentials.get({ publicKey: { challenge: crypto.getRandomValues(new Uint8Array(32)), allowCredentials: [{ type: 'public-key', id: created.rawId }], userVerification: 'required' } });
    return {
      isCredential: created instanceof PublicKeyCredential,
      sameId: got.id === created.id,
      createFlags: new Uint8Array(created.response.getAuthenticatorData())[32],
      getFlags: new Uint8Array(got.response.authenticatorData)[32],
      clientData: JSON.parse(new TextDecoder().decode(got.response.clientDataJSON)),
    };
  });
  console.log(JSON.stringify({ ...seen, origin, ceremonies: attached.ceremonies.map((c) => [c.op, c.channel, c.error ?? null]) }));
} finally {
  await browser.close();
  await rig.close();
  server.close();
}
`;

const CJS_REQUIRE = `'use strict';
// Node >= 20.19 and 22.12 load the ES module with require() (require(esm)).
const { Totp } = require('tokenrig');
const { parseUriList } = require('tokenrig/seeds');
const [seed] = parseUriList('otpauth://totp/ACME:alice?secret=${RFC6238_SECRET_B32}');
console.log(JSON.stringify({ code: new Totp(seed.secret, { digits: 8 }).generate(59) }));
`;

const CJS_IMPORT = `'use strict';
// The recipe for CommonJS on any Node 20: a dynamic import() of the ES module.
async function main() {
  const { Totp, base32Decode } = await import('tokenrig');
  console.log(JSON.stringify({ code: new Totp(base32Decode('${RFC6238_SECRET_B32}'), { digits: 8 }).generate(59) }));
}
main().catch((e) => { console.error(e); process.exitCode = 1; });
`;

let work: string;
let packed: Packed;
let project: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tokenrig-pack-'));
  packed = await packRepository(work);
  project = await makeProject(
    'tokenrig-consumer',
    { tokenrig: `file:${packed.tarball}`, typescript: installedVersion('typescript'), '@types/node': installedVersion('@types/node'), vitest: installedVersion('vitest'), 'playwright-core': installedVersion('playwright-core') },
    {
      'esm.mjs': ESM,
      'sim.mjs': SIM_ESM,
      'bridge.mjs': BRIDGE_ESM,
      'require.cjs': CJS_REQUIRE,
      'import.cjs': CJS_IMPORT,
      'src/use.ts': USE_TS,
      'tsconfig.bundler.json': TSCONFIG_BUNDLER,
      'tsconfig.nodenext.json': TSCONFIG_NODENEXT,
      'test/token.test.ts': VITEST_TS,
    },
  );
});

afterAll(() => {
  for (const dir of [work, project]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships dist/ (ESM, .d.ts, source maps, the built dashboard), the device profiles, docs, README and LICENSE, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    const allowed = (p: string): boolean =>
      ['package.json', 'README.md', 'LICENSE'].includes(p) || /^dist\/.+\.(js|d\.ts|js\.map)$/.test(p) || /^devices\/profiles\/[\w-]+\.json$/.test(p) || /^docs\/[\w-]+(\.example)?\.(md|json|py)$/.test(p) || /^dist\/ui\/(index\.html|assets\/[\w-]+\.(js|css|js\.map))$/.test(p) || /^docs\/images\/[\w-]+\.png$/.test(p);
    expect(paths.filter((p) => !allowed(p))).toEqual([]);
    for (const p of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/index.js.map', 'dist/src/seeds/index.js', 'dist/src/sim/index.js', 'dist/src/sim/index.d.ts', 'dist/src/cli/bin.js', 'dist/src/playwright/index.js', 'dist/src/rig/index.js', 'dist/ui/index.html', 'devices/profiles/aws-totp.json', 'docs/fido-host.md', 'LICENSE', 'README.md']) {
      expect(paths).toContain(p);
    }
    // The build holds no tests or benchmarks, and the maps carry their sources (the .ts files are not shipped).
    expect(paths.filter((p) => /^dist\/(test|bench)\//.test(p))).toEqual([]);
    const map = JSON.parse(readFileSync(join(project, 'node_modules/tokenrig/dist/src/index.js.map'), 'utf8')) as { sourcesContent?: string[] };
    expect(map.sourcesContent?.[0]).toMatch(/export \* from/);
  });

  it('npm pack --dry-run lists exactly what the tarball holds', async () => {
    const r = ok(await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT }), 'npm pack --dry-run');
    const [entry] = parseNpmJson<{ files: { path: string }[] }[]>(r.stdout);
    expect(entry!.files.map((f) => f.path).sort()).toEqual(packed.files.map((f) => f.path).sort());
  });

  it('runtime dependencies leave out tsx, @types and the test tools', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/tokenrig/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((d) => d === 'tsx' || d.startsWith('@types/') || d === 'vitest')).toEqual([]);
    // (vitest and typescript are the consumer project's own dependencies here, not tokenrig's.)
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
  });
});

describe('the tokenrig command from the installed package', () => {
  it('runs the built CLI with plain node', async () => {
    const bin = join(project, 'node_modules/.bin/tokenrig');
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const version = ok(await run(bin, ['--version'], { cwd: project }), 'tokenrig --version');
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const code = ok(await run('npx', ['--no-install', 'tokenrig', 'otp', 'code', '--secret', RFC6238_SECRET_B32, '--time', '59', '--digits', '8', '--json'], { cwd: project }), 'npx tokenrig otp code');
    expect(JSON.parse(code.stdout)).toMatchObject({ code: RFC6238_CODE_AT_59, step: 1 });
  });

  it('npx tokenrig in the repository runs the package bin, as the README says', async () => {
    const r = ok(await run('npx', ['--no-install', 'tokenrig', 'otp', 'code', '--secret', RFC6238_SECRET_B32, '--time', '59', '--digits', '8', '--json'], { cwd: REPO_ROOT }), 'npx tokenrig');
    expect(JSON.parse(r.stdout)).toMatchObject({ code: RFC6238_CODE_AT_59 });
  });
});

describe('the library from a project of ones own', () => {
  it('plain Node ESM imports tokenrig and tokenrig/seeds', async () => {
    const r = ok(await run(process.execPath, ['esm.mjs'], { cwd: project }), 'node esm.mjs');
    expect(JSON.parse(r.stdout)).toEqual({ code: RFC6238_CODE_AT_59, account: 'alice', formats: true, error: 'function' });
  });

  it('plain Node ESM starts a token with tokenrig/sim and reads its code through the driver', async () => {
    const r = ok(await run(process.execPath, ['sim.mjs'], { cwd: project }), 'node sim.mjs');
    const out = JSON.parse(r.stdout) as { code: string; expected: string; serial: string };
    expect(out.code).toBe(out.expected);
    expect(out.serial).toMatch(/^GAKT\d{8}$/);
  });

  it('tokenrig/rig and tokenrig/playwright: a rig key with a PIN registers and signs in from a page in Chromium, over the DevTools channel', async (ctx) => {
    chromiumPeer.require(ctx);
    const r = ok(await run(process.execPath, ['bridge.mjs'], { cwd: project, env: { ...process.env, CHROMIUM: CHROMIUM_PATH }, timeoutMs: 120_000 }), 'node bridge.mjs');
    const out = JSON.parse(r.stdout) as { isCredential: boolean; sameId: boolean; createFlags: number; getFlags: number; clientData: { type: string; origin: string }; origin: string; ceremonies: unknown[] };
    expect(out).toMatchObject({ isCredential: true, sameId: true, clientData: { type: 'webauthn.get', origin: out.origin } });
    // UP (0x01) and UV (0x04): the PIN verified the user; AT (0x40) at registration.
    expect(out.createFlags & 0x45).toBe(0x45);
    expect(out.getFlags & 0x05).toBe(0x05);
    expect(out.ceremonies).toEqual([
      ['create', 'devtools', null],
      ['get', 'devtools', null],
    ]);
  }, 150_000);

  it('CommonJS require()s it (require(esm), Node >= 20.19)', async () => {
    const r = ok(await run(process.execPath, ['require.cjs'], { cwd: project }), 'node require.cjs');
    expect(JSON.parse(r.stdout)).toEqual({ code: RFC6238_CODE_AT_59 });
  });

  it('CommonJS on any Node 20 uses the documented import() recipe', async () => {
    const r = ok(await run(process.execPath, ['import.cjs'], { cwd: project }), 'node import.cjs');
    expect(JSON.parse(r.stdout)).toEqual({ code: RFC6238_CODE_AT_59 });
  });
});

describe('TypeScript and vitest in a project of ones own', () => {
  for (const [name, config] of [['Bundler', 'tsconfig.bundler.json'], ['NodeNext', 'tsconfig.nodenext.json']] as const) {
    it(`the public API compiles under strict, exactOptionalPropertyTypes, lib ES2020, moduleResolution ${name} (tsc --noEmit, no skipLibCheck)`, async () => {
      const r = await run(join(project, 'node_modules/.bin/tsc'), ['-p', config], { cwd: project });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }

  it('tsc refuses a wrong call: the checks above can fail', async () => {
    const bad = join(project, 'bad');
    mkdirSync(join(bad, 'src'), { recursive: true });
    writeFileSync(join(bad, 'src/bad.ts'), "import { startOtpToken } from 'tokenrig/sim';\nexport const t = startOtpToken({ hid: 'tcp:0' });\n");
    writeFileSync(join(bad, 'tsconfig.json'), TSCONFIG_BUNDLER);
    const r = await run(join(project, 'node_modules/.bin/tsc'), ['-p', join(bad, 'tsconfig.json')], { cwd: project });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/bad\.ts.*error TS2322/);
  });

  it('a vitest test starts a token in-process and reads its codes through the driver', async () => {
    const r = await run(join(project, 'node_modules/.bin/vitest'), ['run', '--root', project], { cwd: project, env: { ...process.env, CI: 'true' } });
    expect(r.stdout + r.stderr).toMatch(/1 passed/);
    expect(r.code).toBe(0);
  });
});
