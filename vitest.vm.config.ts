import { defineConfig } from 'vitest/config';

// `npm run test:vm`: the checks that need a real Linux kernel (../shared/vm/vm-run). Each file
// boots one VM for a batch of checks; they run one at a time, since an emulated VM wants both cores.
export default defineConfig({
  test: {
    include: ['test/vm/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 1_860_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    fileParallelism: false,
  },
});
