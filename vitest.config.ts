import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Not here, each has its own command: the consumer tests pack and install the package
    // (`npm run test:consumer`); the VM tests boot a kernel and take minutes (`npm run test:vm`).
    exclude: ['test/consumer/**', 'test/vm/**', '**/node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores: keep parallelism modest so real-socket and pty tests are not starved.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
