// `npm test`: every test but the system tests (vitest.system.config.ts, `npm run test:system`),
// two files at a time.
import { configDefaults, defineConfig } from 'vitest/config';
import { systemTests } from './vitest.system.config.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'sandbox/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...systemTests],
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests wait on state with deadlines; a stray timer or socket must not keep the run alive.
    teardownTimeout: 10_000,
  },
});
