#!/usr/bin/env node
// The `tokenrig` command. The sources are TypeScript; tsx loads them without a build step.
import { register } from 'tsx/esm/api';

// A reader that stops early (`tokenrig ... | head`) closes the pipe: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
