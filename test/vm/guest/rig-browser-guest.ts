/**
 * Runs inside the VM (test/vm/rig-browser.vm.test.ts starts it): a rig started from a rig file
 * (`tokenrig rig rig.json --json`, a child process) whose FIDO key is attached to the kernel
 * through uhid, so it is a hidraw device like a plugged-in key. The same relying-party page
 * then registers and signs in twice: once through headless Chromium's own WebAuthn stack (no
 * bridge: the browser finds the hidraw key itself) and once through tokenrig/playwright's
 * bridge to the same rig key (over its `hid:/dev/hidrawN` endpoint). Every touch the key asks
 * for is approved through the rig's API while the browser waits. @simplewebauthn/server
 * verifies every answer, and both routes must give it the same results.
 *
 *   node rig-browser-guest.mjs RESULTS.json CLI.mjs
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { attachAuthenticator } from '../../../src/playwright/index.js';
import { RigClient } from '../../../src/rig/index.js';
import { CHROMIUM_ARGS, type RpResult, rpCeremonies, servePage } from './browser-webauthn.js';
import { Checks, expectThat, log, must } from './harness.js';

const [resultsFile, cli] = process.argv.slice(2) as [string, string];
const checks = new Checks(resultsFile);
const TIMEOUT_MS = 300_000;
const RIG_FILE = '/tmp/rig.json';
const KEY = 'desk-key';

interface Ready {
  event: 'ready';
  devices: { serial: string; kind: string; endpoints: Record<string, string> }[];
  api: string;
  token: string;
}

async function startRig(): Promise<{ child: ChildProcess; ready: Ready }> {
  writeFileSync(RIG_FILE, JSON.stringify({ version: 1, devices: [{ kind: 'fido', name: KEY, personality: 'yubikey-5', touch: 'manual', endpoints: { uhid: true } }] }));
  const child = spawn(process.execPath, [cli, 'rig', RIG_FILE, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Ready>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as Ready));
    child.once('exit', (code) => reject(new Error(`tokenrig rig exited ${code}`)));
  });
  lines.on('line', () => {});
  return { child, ready };
}

/** Approve every touch the key waits for, through the rig's API, until stopped; counts them. */
function approver(rig: RigClient): { approved: () => number; stop: () => Promise<void> } {
  let approved = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = await rig.device(KEY).state();
      if ((state.fido?.touch.pending ?? 0) > 0) approved += await rig.device(KEY).answerTouch(true);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    approved: () => approved,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** One route: a fresh browser and page (with the bridge attached when asked), the RP ceremonies, touches approved over the API. */
async function route(rig: RigClient, bridge: boolean): Promise<{ result: RpResult; touches: number }> {
  const served = await servePage();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, timeout: TIMEOUT_MS });
  const touches = approver(rig);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const attached = bridge ? await attachAuthenticator(page, rig.device(KEY)) : undefined;
    await page.goto(served.origin);
    const result = await rpCeremonies(page, served.origin, TIMEOUT_MS, log);
    await attached?.detach();
    return { result, touches: touches.approved() };
  } finally {
    await touches.stop();
    await browser.close();
    served.close();
  }
}

const describe = (r: RpResult): string => `fmt ${r.fmt}, aaguid ${r.aaguid}, alg ${r.alg}, flags 0x${r.flags.create.toString(16)}/0x${r.flags.get.toString(16)}, counter ${r.counter.create}→${r.counter.get}, transports ${r.transports.join(',')}`;

async function main(): Promise<void> {
  await must('modprobe', ['uhid']);
  let rigProcess: ChildProcess | undefined;
  let rig: RigClient | undefined;
  let hidraw = '';
  await checks.run('tokenrig rig: a rig file whose FIDO key has a uhid endpoint starts it as a hidraw device', async () => {
    const started = await startRig();
    rigProcess = started.child;
    hidraw = started.ready.devices.find((d) => d.serial === KEY)?.endpoints.hid ?? '';
    expectThat(/^hid:\/dev\/hidraw\d+$/.test(hidraw), `the key's endpoints: ${JSON.stringify(started.ready.devices)}`);
    rig = await RigClient.connect(started.ready.api, started.ready.token);
    return `${KEY} at ${hidraw}; api ${started.ready.api}`;
  });

  const results: { browser?: { result: RpResult; touches: number }; bridge?: { result: RpResult; touches: number } } = {};
  await checks.run("the browser's own WebAuthn (no bridge) finds the rig key on hidraw: register + sign in, verified by @simplewebauthn/server, touches approved through the rig API", async () => {
    expectThat(rig !== undefined, 'no rig');
    results.browser = await route(rig!, false);
    expectThat(results.browser.touches >= 2, `${results.browser.touches} touches approved through the API`);
    return { detail: `${describe(results.browser.result)}; ${results.browser.touches} touches approved`, data: { ...results.browser } };
  });
  await checks.run('the Playwright bridge to the same rig key: register + sign in, verified by @simplewebauthn/server, touches approved through the rig API', async () => {
    expectThat(rig !== undefined, 'no rig');
    results.bridge = await route(rig!, true);
    expectThat(results.bridge.touches >= 2, `${results.bridge.touches} touches approved through the API`);
    return { detail: `${describe(results.bridge.result)}; ${results.bridge.touches} touches approved`, data: { ...results.bridge } };
  });
  await checks.run('both routes give the relying party the same results (fmt, AAGUID, algorithm, flags, transports, the sign count advancing)', async () => {
    const a = results.browser?.result;
    const b = results.bridge?.result;
    expectThat(a !== undefined && b !== undefined, 'a route did not finish');
    const same = (what: string, x: unknown, y: unknown): void => expectThat(JSON.stringify(x) === JSON.stringify(y), `${what}: browser ${JSON.stringify(x)}, bridge ${JSON.stringify(y)}`);
    same('fmt', a!.fmt, b!.fmt);
    same('aaguid', a!.aaguid, b!.aaguid);
    same('alg', a!.alg, b!.alg);
    same('flags', a!.flags, b!.flags);
    same('userVerified', a!.userVerified, b!.userVerified);
    same('deviceType', [a!.deviceType, a!.backedUp], [b!.deviceType, b!.backedUp]);
    same('transports', a!.transports, b!.transports);
    expectThat(a!.fmt === 'packed' && a!.aaguid.replace(/-/g, '') === 'a25342c03cdc44148e46f4807fca511c', `the key's packed attestation and AAGUID: ${describe(a!)}`);
    // Each credential's signature counter starts alike and advances with the sign-in.
    expectThat(a!.counter.create === b!.counter.create && a!.counter.get > a!.counter.create && b!.counter.get > b!.counter.create, `counters: browser ${a!.counter.create}→${a!.counter.get}, bridge ${b!.counter.create}→${b!.counter.get}`);
    expectThat(a!.credentialId !== b!.credentialId, 'two registrations made one credential');
    return `both: ${describe(b!)} (the browser's counters ${a!.counter.create}→${a!.counter.get})`;
  });

  if (rigProcess !== undefined && rigProcess.exitCode === null) {
    const exited = new Promise((r) => rigProcess!.once('exit', r));
    rigProcess.kill('SIGINT');
    await exited;
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`guest failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
