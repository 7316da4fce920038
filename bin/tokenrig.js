#!/usr/bin/env node
// The `tokenrig` command run from the TypeScript sources (development, `npm start` and the
// tests), loaded by tsx without a build step. The package's own `tokenrig` command is the
// built dist/src/cli/bin.js (package.json "bin"), which runs with plain node.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');
