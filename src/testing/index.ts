import { performance } from 'node:perf_hooks';
import { listStacks, loadDesired } from '../manifest/load.js';
import { LinkedError } from '../model/errors.js';
import { loadAudienceTests, matchesPattern } from './load.js';
import { summarize, type TestSummary } from './report.js';
import { runAudienceTest, type TestResult } from './run.js';
import { FixtureDuckDb } from './fixture-db.js';

/*
 * `linked test` without the terminal: every selected audience test of every stack (or one), run
 * one after another, each on its own in-memory DuckDB.
 */

export { loadAudienceTests, matchesPattern } from './load.js';
export { renderJUnit, renderText, summarize, toJson, type TestSummary } from './report.js';
export { compare, runAudienceTest, type EntityPair, type TestFailure, type TestResult } from './run.js';
export { FixtureDuckDb, columnTypes } from './fixture-db.js';

export interface RunTestsOptions {
  /** One stack; default every stack of the output. */
  stack?: string;
  /** A substring or `*` glob over test names and audience keys. */
  pattern?: string;
  /** The reference time of tests that set none. */
  now?: Date;
  /** Called as each test finishes (a progress line). */
  onResult?: (result: TestResult) => void;
}

export async function runTests(outDir: string, options: RunTestsOptions = {}): Promise<{ results: TestResult[]; summary: TestSummary }> {
  const started = performance.now();
  const stacks = options.stack ? [options.stack] : [...listStacks(outDir).keys()];
  if (stacks.length === 0) throw new LinkedError('MANIFEST_MISSING', `No synthesized stacks in ${outDir}: run "linked synth" first (or pass --synth).`);
  const results: TestResult[] = [];
  let declared = 0;
  let db: FixtureDuckDb | undefined;
  try {
    for (const stack of stacks) {
      const tests = loadAudienceTests(outDir, stack);
      declared += tests.length;
      const selected = tests.filter((t) => matchesPattern(t, options.pattern));
      if (selected.length === 0) continue;
      const desired = await loadDesired(outDir, stack);
      db ??= await FixtureDuckDb.open();
      for (const test of selected) {
        const result = await runAudienceTest(desired, test, { now: options.now, db });
        options.onResult?.(result);
        results.push(result);
      }
    }
  } finally {
    await db?.close();
  }
  if (declared === 0) {
    throw new LinkedError('NO_TESTS', `No audience tests in ${outDir}: declare one with \`new AudienceTest(stack, 'id', { audience, profiles, expect })\` (docs/testing.md), then synthesize.`);
  }
  if (results.length === 0) {
    throw new LinkedError('NO_TESTS_MATCH', `No audience test matches "${options.pattern}" (${declared} declared): the pattern is a substring or a * glob of a test name or an audience key.`);
  }
  return { results, summary: summarize(results, performance.now() - started) };
}
