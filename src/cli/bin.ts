#!/usr/bin/env node
/**
 * The `tokenrig` command as the package installs it: the built CLI, run with plain `node`.
 * (bin/tokenrig.js runs the same file from the TypeScript sources, for development and tests.)
 */
import { main } from './main.js';
import { exitOnSignals } from './signals.js';

// A reader that stops early (`tokenrig ... | head`) closes the pipe: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

exitOnSignals();
process.exitCode = await main(process.argv.slice(2));
