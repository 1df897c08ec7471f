import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'sandbox/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests wait on state with deadlines; a stray timer or socket must not keep the run alive.
    teardownTimeout: 10_000,
  },
});
