import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'e2e/**/*.test.ts'],
    reporters: ['default', './test/plain-summary-reporter.ts'],
    // every test's temporary directories are removed with the run (test/support/run-temp.ts)
    globalSetup: ['./test/support/run-temp.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
