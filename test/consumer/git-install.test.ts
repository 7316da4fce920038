/**
 * `npm install <git checkout>` gives a working package: npm clones the repository, installs its
 * dev dependencies, runs `prepare` (the build) and installs the result. It installs the
 * checkout's committed HEAD (in CI, the commit under test).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, makeProject, ok, run } from './consumer-project.js';

let project: string;

// npm clones the checkout, installs every dev dependency (better-sqlite3 may build with
// node-gyp, the dashboard's Vite) and builds: minutes on a fresh machine, so 9 minutes here.
beforeAll(async () => {
  project = await makeProject(
    'tokenrig-from-git',
    { tokenrig: `git+file://${REPO_ROOT}` },
    { 'use.mjs': "import { Totp, base32Decode } from 'tokenrig';\nconsole.log(new Totp(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), { digits: 8 }).generate(59));\n" },
    'module',
    540_000,
  );
}, 600_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe('npm install from a git checkout', () => {
  it('builds dist/ through prepare: the library imports and the command runs', async () => {
    expect(ok(await run(process.execPath, ['use.mjs'], { cwd: project }), 'node use.mjs').stdout.trim()).toBe('94287082');
    const r = ok(await run(join(project, 'node_modules/.bin/tokenrig'), ['--version'], { cwd: project }), 'tokenrig --version');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
