import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/sequence/longest-first.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temporary folder of the run's own, removed at its end (test/tmpdir.global.ts). The CLI the
    // tests spawn runs compiled: build it once, up front; and drop the fixture bundles of earlier
    // runs (each test process bundles the fixtures it spawns, test/support/fixture-process.ts).
    globalSetup: ['test/tmpdir.global.ts', 'test/build-cli.global.ts', 'test/fixture-bundles.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2 cores on CI, and one worker more: the workers wait on the processes they start, on timers
    // and on files for about a seventh of the run, time a third worker fills at no more CPU
    // (bench/README.md has the paired runs).
    pool: 'forks',
    maxWorkers: 3,
    // A worker runs file after file instead of a fresh process per file, which would start Node and
    // import vitest, DuckDB's bindings and our modules again each time (about a second of CPU for
    // every one of a hundred files). Safe because no test file mocks modules or leaves globals
    // changed: the few that set an environment variable put it back.
    isolate: false,
    sequence: { sequencer: LongestFirstSequencer },
    // The tests' tables fit one DuckDB row group, so a query runs on one thread whatever the
    // setting, and a second thread only adds hand-offs to each of the suite's many small queries
    // (about a sixth of the CPU of the files that query DuckDB in their own process). Children
    // the tests spawn inherit it.
    env: { LINKED_DUCKDB_THREADS: '1' },
  },
});
