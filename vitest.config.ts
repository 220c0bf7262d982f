import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{harness,benchmarks,attestations,native,proto}/**/test/**/*.test.ts'],
    // Native measurements use every core: run test files one at a time, in
    // child processes (an addon is safer in a fork than in a worker thread).
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
