// `npm test`: every test but the system tests (vitest.system.config.ts, `npm run test:system`) and
// the container test (vitest.container.config.ts, `npm run test:container`),
// two files at a time, each worker process running file after file (isolate: false): a fresh
// process per file re-imported the same modules for every file, a third of the run on 2 cores.
// test/support/process-state.ts puts back what a file may change process-wide (the default TLS
// trust store, the environment); modules are shared, so no file mocks one.
import { configDefaults, defineConfig } from 'vitest/config';
import { systemTests } from './vitest.system.config.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'sandbox/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...systemTests, 'test/container/**'],
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    globalSetup: ['test/support/temp-root.ts'],
    setupFiles: ['test/support/process-state.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests wait on state with deadlines; a stray timer or socket must not keep the run alive.
    teardownTimeout: 10_000,
  },
});
