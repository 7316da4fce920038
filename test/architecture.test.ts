/**
 * DESIGN.md's dependency rules, enforced by scanning every import in the tree:
 * - the shared core (src/protocol, src/otp, src/clock, src/errors.ts) imports only itself;
 * - firmware-sim/ imports the shared core and devices/, never the host side;
 * - host modules under src/ never import firmware-sim/; only the composition roots hold both
 *   sides, each in a folder of its own: the CLI and demo (src/cli/), the in-process simulator
 *   API `tokenrig/sim` (src/sim/), the rig with its control API and dashboard server
 *   (src/rig/) and the Playwright helper `tokenrig/playwright` (src/playwright/);
 * - nothing but a composition root imports one (the library never pulls in the simulators);
 * - devices/ imports nothing of the project but itself and the shared core's types;
 * - services that play the relying party (src/iam/, the IAM/STS endpoint) import the shared
 *   core, the seed loaders (src/seeds/) and themselves: never firmware-sim/, and no transport,
 *   driver or CLI code either, so they check codes only from seeds, as a real service does.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

/** Project-relative targets of every relative import in `file`. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined || !spec.startsWith('.')) continue;
    out.push(relative(ROOT, resolve(dirname(file), spec)));
  }
  return out;
}

const isShared = (p: string): boolean => /^src\/(protocol|otp|clock)(\/|$)/.test(p) || p.startsWith('src/errors.');
const isFirmware = (p: string): boolean => p.startsWith('firmware-sim/');
const isDevices = (p: string): boolean => p.startsWith('devices/');
/** The composition roots under src/: the only places that may hold both sides. */
const COMPOSITION_ROOTS = ['src/cli/', 'src/sim/', 'src/rig/', 'src/playwright/'];
const isCompositionRoot = (p: string): boolean => COMPOSITION_ROOTS.some((root) => p.startsWith(root));
const isHost = (p: string): boolean => p.startsWith('src/') && !isShared(p);
const isRelyingParty = (p: string): boolean => p.startsWith('src/iam/');
const isSeeds = (p: string): boolean => p.startsWith('src/seeds/');

/** Which layer may import which; returns a reason when the edge is forbidden. */
export function violation(from: string, to: string): string | undefined {
  if (isShared(from) && !isShared(to)) return 'the shared core imports only the shared core';
  if (isFirmware(from) && isHost(to)) return 'firmware-sim never imports the host side';
  if (isDevices(from) && !isDevices(to) && !isShared(to)) return 'devices/ is data: it imports only itself and the shared core';
  if (isHost(from) && !isCompositionRoot(from) && isFirmware(to)) return 'host modules never import firmware-sim (only the composition roots src/cli, src/sim, src/rig and src/playwright hold both sides)';
  if (isCompositionRoot(to) && !isCompositionRoot(from)) return 'only a composition root imports a composition root';
  if (isRelyingParty(from) && !isRelyingParty(to) && !isShared(to) && !isSeeds(to)) return 'a relying-party service imports only the shared core, the seed loaders and itself';
  return undefined;
}

describe('import rules of DESIGN.md', () => {
  it('the rule itself rejects forbidden edges', () => {
    expect(violation('src/otp/hotp.ts', 'src/transports/udp.ts')).toBeDefined();
    expect(violation('firmware-sim/otp/token.ts', 'src/drivers/otp-token-driver.ts')).toBeDefined();
    expect(violation('src/drivers/ctaphid-device.ts', 'firmware-sim/fido/authenticator.ts')).toBeDefined();
    expect(violation('devices/index.ts', 'firmware-sim/env/index.ts')).toBeDefined();
    expect(violation('src/cli/commands/sim.ts', 'firmware-sim/otp/token.ts')).toBeUndefined();
    expect(violation('src/sim/device.ts', 'firmware-sim/fido/authenticator.ts')).toBeUndefined();
    expect(violation('src/cli/commands/sim-otp.ts', 'src/sim/otp-token.ts')).toBeUndefined();
    expect(violation('src/rig/rig.ts', 'firmware-sim/fido/index.ts')).toBeUndefined();
    expect(violation('src/playwright/bridge.ts', 'src/rig/index.ts')).toBeUndefined();
    expect(violation('src/webauthn/client.ts', 'src/rig/rig.ts')).toBeDefined();
    expect(violation('src/index.ts', 'src/sim/index.ts')).toBeDefined();
    expect(violation('firmware-sim/otp/token.ts', 'src/sim/device.ts')).toBeDefined();
    expect(violation('firmware-sim/otp/token.ts', 'src/otp/totp.ts')).toBeUndefined();
    expect(violation('src/iam/actions/mfa-codes.ts', 'firmware-sim/otp/otp-token-firmware.ts')).toBeDefined();
    expect(violation('src/iam/iam-service.ts', 'src/drivers/otp-token-driver.ts')).toBeDefined();
    expect(violation('src/iam/iam-service.ts', 'src/cli/args.ts')).toBeDefined();
    expect(violation('src/iam/actions/mfa-codes.ts', 'src/otp/verifier.ts')).toBeUndefined();
    expect(violation('src/iam/seed-import.ts', 'src/seeds/index.ts')).toBeUndefined();
    expect(violation('src/iam/store/iam-store.ts', 'src/errors.ts')).toBeUndefined();
  });

  it('every import in src/, firmware-sim/ and devices/ follows them', () => {
    const files = ['src', 'firmware-sim', 'devices'].flatMap((d) => walk(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(5);
    const bad: string[] = [];
    for (const file of files) {
      const from = relative(ROOT, file);
      for (const to of importsOf(file)) {
        const why = violation(from, to);
        if (why !== undefined) bad.push(`${from} -> ${to}: ${why}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
