/**
 * A real browser for the tests: Debian's Chromium driven by playwright-core (a peer: the test
 * skips with a reason when it is absent, and fails on CI), and the dashboard built fresh from
 * ui/ into a temporary folder, so a test never serves a stale or missing dist/ui.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { peer } from './peer.js';

export const CHROMIUM_PATH = process.env.TOKENRIG_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumPeer = peer('chromium', 'apt-get install chromium', () => existsSync(CHROMIUM_PATH));

/** Headless Chromium with the flags the project's browser tests use. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

let built: Promise<string> | undefined;

/** Build the dashboard (Vite, ui/vite.config.ts) into a fresh temporary folder, once per test file. */
export function buildDashboard(): Promise<string> {
  built ??= (async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'tokenrig-ui-'));
    const { build } = await import('vite');
    await build({ configFile: fileURLToPath(new URL('../../ui/vite.config.ts', import.meta.url)), logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false } });
    return outDir;
  })();
  return built;
}

/** Where screenshots go: docs/images when TOKENRIG_UPDATE_SCREENSHOTS=1, else a temporary folder. */
export async function screenshotDir(): Promise<string> {
  if (process.env.TOKENRIG_UPDATE_SCREENSHOTS === '1') return fileURLToPath(new URL('../../docs/images', import.meta.url));
  return mkdtemp(join(tmpdir(), 'tokenrig-shots-'));
}
