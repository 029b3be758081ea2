import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The developer's gcloud configuration and Google Cloud variables never reach a test.
    setupFiles: ['test/helpers/hermetic-env.ts'],
  },
});
