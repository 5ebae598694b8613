import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Builds the CLI into dist/ once: tests run bin/authdb-dr.cjs as operators do.
    globalSetup: ['test/support/cli-build.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Synthesizing CDK apps is CPU-bound; two cores, two workers.
    maxWorkers: 2,
  },
});
