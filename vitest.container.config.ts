// `npm run test:container`: builds the image from the Containerfile, runs compose.yaml with
// Podman and checks the service from outside (test/container/). Minutes, not seconds: its own
// command, which .ci/run runs after the others.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/support/temp-root.ts'],
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
