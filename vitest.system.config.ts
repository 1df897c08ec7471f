// `npm run test:system`: the tests that run the whole system as separate processes (the service
// from its executable, the sandboxes from their launchers, Chromium): the end-to-end cases, the
// short chaos cases, the browser test, the demo and CDC across processes. Each keeps a few
// processes busy for tens of seconds: two files at a time take 6 minutes on 2 cores (one at a
// time, 10.5). `npm test` runs every other test, and CI (.ci/run) runs both.
import { defineConfig } from 'vitest/config';

export const systemTests = [
  'test/e2e/**/*.test.ts',
  'test/chaos/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/cli/demo.test.ts',
  'test/intake/cdc-processes.test.ts',
  'test/intake/cdc-spread-processes.test.ts',
];

export default defineConfig({
  test: {
    include: systemTests,
    pool: 'forks',
    globalSetup: ['test/support/temp-root.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 10_000,
  },
});
