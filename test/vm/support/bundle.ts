/**
 * Node starts slowly in the emulated guest (4–7 s) and compiling TypeScript there adds 10 s
 * more per process, so the VM tests run JavaScript bundled once on the host with esbuild:
 * the CLI (src/cli/main.ts, exactly as bin/tokenrig.js runs it) and the guest check scripts.
 * Packages stay external and load from node_modules, which the guest sees at the same path.
 *
 * @example
 * ```ts
 * const { cli, scripts } = await bundleForGuest(['test/vm/guest/usbip-checks.ts']);
 * // in the guest: node ${cli} fido info --device hid:/dev/hidraw0
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

export const REPO = resolve(import.meta.dirname, '../../..');
/** Under node_modules so bare imports resolve to the repository's packages, and git ignores it. */
export const BUNDLE_DIR = join(REPO, 'node_modules', '.cache', 'tokenrig-vm');

const CLI_ENTRY = `
import { main } from '${join(REPO, 'src/cli/main.ts').replaceAll('\\\\', '/')}';
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); throw e; });
process.exitCode = await main(process.argv.slice(2));
`;

/** Bundle the CLI and `scripts` (paths from the repository root); returns the output paths. */
export async function bundleForGuest(scripts: string[]): Promise<{ cli: string; scripts: Record<string, string> }> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const cliEntry = join(BUNDLE_DIR, 'cli-entry.ts');
  writeFileSync(cliEntry, CLI_ENTRY);
  const entries = [{ in: cliEntry, out: 'tokenrig' }, ...scripts.map((s) => ({ in: join(REPO, s), out: basename(s).replace(/\.ts$/, '') }))];
  await build({
    entryPoints: entries,
    outdir: BUNDLE_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // The CLI loads its command modules with import(): one file keeps them in the bundle.
    splitting: false,
    logLevel: 'error',
  });
  return { cli: join(BUNDLE_DIR, 'tokenrig.mjs'), scripts: Object.fromEntries(scripts.map((s) => [s, join(BUNDLE_DIR, `${basename(s).replace(/\.ts$/, '')}.mjs`)])) };
}
