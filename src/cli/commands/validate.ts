import type { Command } from 'commander';
import { resolve } from 'node:path';
import { assertNoSharedStateKeys, listStacks, loadDesired, synthesizedOutDir, renderSummary, summarizeDesired } from '../../manifest/index.js';
import { ensureFreshSynth } from '../synth-freshness.js';
import { LinkedError } from '../../model/errors.js';
import { printJson } from '../run.js';

interface ValidateFlags {
  dir: string;
  outDir?: string;
  stack?: string;
  json?: boolean;
  synth?: boolean;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('load cdktf.out into the model and check it: schema, Data Graph, conditions, emitters')
    .option('--dir <dir>', 'project directory (holds cdktf.json and cdktf.out)', '.')
    .option('--out-dir <dir>', "synthesized output directory (default: cdktf.json's output, or <dir>/cdktf.out)")
    .option('--stack <stack>', 'validate one stack (default: every stack)')
    .option('--synth', 'synthesize the app first, even if cdktf.out looks current')
    .option('--no-synth', 'never synthesize; warn when cdktf.out is older than the sources')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Checks need no warehouse: every linkedaudiences_* resource against its schema, literal values
only (no \${...} expressions), known resource types, and the static checks (relationships,
columns, depth, cycles, cron, emitter triggers). Errors name the Terraform address and the
construct path. Exit code 1 when anything is invalid.

Examples:
  $ linked validate
  $ linked validate --dir examples/bank --synth --json`,
    )
    .action(async (flags: ValidateFlags) => {
      const dir = resolve(flags.dir);
      await ensureFreshSynth(flags, { refuseStale: false });
      const outDir = synthesizedOutDir(dir, flags.outDir);
      const names = flags.stack ? [flags.stack] : [...listStacks(outDir).keys()];
      if (names.length === 0) {
        throw new LinkedError('MANIFEST_MISSING', `No synthesized stacks in ${outDir}: run "linked synth" first (or pass --synth).`);
      }
      const stacks = [];
      for (const name of names) stacks.push(await loadDesired(outDir, name));
      // The whole app: stacks that share a state schema must not share a key.
      if (!flags.stack) assertNoSharedStateKeys(stacks, dir);
      const summaries = stacks.map(summarizeDesired);
      if (flags.json) printJson({ valid: true, outDir, stacks: summaries });
      else process.stdout.write(summaries.map(renderSummary).join('\n\n') + '\n');
    });
}
