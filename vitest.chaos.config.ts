// `npm run test:chaos`: the full chaos cases (test/chaos/*.chaos.ts), one file and one test at a
// time, since each runs the whole system and measures how quickly it recovers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    pool: 'forks',
    globalSetup: ['test/support/temp-root.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    teardownTimeout: 10_000,
  },
});
