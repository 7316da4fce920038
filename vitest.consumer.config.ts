// The consumer tests (`npm run test:consumer`, their own CI step): pack the package, install
// the tarball into temporary projects and use it there as a user would. Slow (npm installs,
// a build, tsc), so they are not part of the default `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/consumer/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
