import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { synthesizedOutDir } from '../../manifest/index.js';
import { parseNow } from '../command-options.js';
import { renderJUnit, renderText, runTests, toJson } from '../../testing/index.js';
import { EXIT, printJson } from '../run.js';
import { ensureFreshSynth, withSynthOptions, type SynthFlags } from '../synth-freshness.js';
import { useColor } from '../terminal.js';

interface TestFlags extends SynthFlags {
  dir: string;
  outDir?: string;
  stack?: string;
  filter?: string;
  json?: boolean;
  junit?: string;
  sql?: boolean;
  color?: boolean;
  now?: string;
}

export function register(program: Command): void {
  withSynthOptions(
    program
      .command('test [pattern]')
      .description("run the project's audience tests: fixture rows in, expected members out, on an in-memory DuckDB")
      .option('--dir <dir>', 'project directory (holds cdktf.json and cdktf.out)', '.')
      .option('--out-dir <dir>', "synthesized output directory (default: cdktf.json's output, or <dir>/cdktf.out)")
      .option('--stack <stack>', 'run one stack\'s tests (default: every stack)')
      .option('--filter <pattern>', 'only tests whose name or audience key contains the pattern (or matches it, with * as a wildcard)')
      .option('--sql', "print each failing audience's membership SQL")
      .option('--now <iso>', 'the reference time of tests that set no `now` (default: now)')
      .option('--junit <file>', 'also write the results as JUnit XML (CI systems show them per test)')
      .option('--no-color', 'no colours, even on a terminal')
      .option('--json', 'machine-readable output'),
  )
    .addHelpText(
      'after',
      `
Tests are declared with the AudienceTest construct beside the audiences (docs/testing.md) and
written to cdktf.out by synth. Each runs on its own in-memory DuckDB holding the Data Graph's
tables filled with the test's fixture rows, and the audience is compiled by the same compiler
as a compute. No warehouse and no state are needed. Exit code 1 when a test fails or errors.

Examples:
  $ linked test
  $ linked test overdue --sql
  $ linked test --dir examples/bank --json
  $ linked test --junit test-results/linked.xml`,
    )
    .action(async (pattern: string | undefined, flags: TestFlags) => {
      const dir = resolve(flags.dir);
      await ensureFreshSynth(flags, { refuseStale: false });
      const outDir = synthesizedOutDir(dir, flags.outDir);
      const now = flags.now === undefined ? undefined : parseNow(flags.now);
      const { results, summary } = await runTests(outDir, { stack: flags.stack, pattern: pattern ?? flags.filter, now });
      if (flags.junit) writeFileSync(resolve(flags.junit), renderJUnit(results, summary));
      if (flags.json) printJson(toJson(results, summary));
      else process.stdout.write(renderText(results, summary, { color: useColor(process.stdout, flags.color), sql: flags.sql }));
      if (summary.failed + summary.errors > 0) process.exitCode = EXIT.error;
    });
}
