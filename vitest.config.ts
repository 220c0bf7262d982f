import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{harness,benchmarks,attestations,native,proto}/**/test/**/*.test.ts'],
    // Native measurements use every core: run test files one at a time, in
    // child processes (an addon is safer in a fork than in a worker thread).
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    // Device locks of this test run only: other checkouts on the same host measure their own CPU runs.
    env: { TPPVERIFY_LOCK_DIR: mkdtempSync(path.join(tmpdir(), 'tppverify-test-locks-')) },
    hookTimeout: 120_000,
  },
});
