import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI the tests spawn runs compiled; build it once, up front.
    globalSetup: ['test/build-cli.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB files and child processes make tests I/O bound; 2 cores on CI.
    pool: 'forks',
    maxWorkers: 2,
  },
});
