import type { Command } from 'commander';
import { resolve } from 'node:path';
import { assertNoSharedStateKeys, loadDesired, renderSummary, summarizeDesired, synthApp } from '../../manifest/index.js';
import { printJson } from '../run.js';
import { requireTypesClean } from '../typecheck.js';
import { describeOutDir } from './synth.js';

interface CheckFlags {
  dir: string;
  json?: boolean;
}

/** `linked check`: type-check the app, synthesize it, validate the result. Needs no warehouse. */
export function register(program: Command): void {
  program
    .command('check')
    .description("type-check the project's TypeScript (tsc --noEmit), then synthesize and validate it")
    .option('--dir <dir>', 'project directory (holds cdktf.json)', '.')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
The app runs through tsx, which does not check types: a relationship used at the wrong level, a
column a handle does not have or a wrong argument only shows up here (or in your editor). Errors are
printed as file:line:column with TypeScript's message. Uses the project's tsconfig.json, or,
without one, the app's entry file from cdktf.json; reports errors in the project's own files, not
in the packages it imports. Needs TypeScript 5 or 6 (linked init adds 5 as a devDependency). Exit code
1 on any type or validation error.

Examples:
  $ linked check
  $ linked check --dir my-audiences --json`,
    )
    .action(async (flags: CheckFlags) => {
      const dir = resolve(flags.dir);
      const types = requireTypesClean(dir, { json: flags.json });
      const outDir = await synthApp(dir, { quiet: true });
      const stacks = describeOutDir(outDir);
      const desired = [];
      for (const s of stacks) desired.push(await loadDesired(outDir, s.name));
      assertNoSharedStateKeys(desired, dir);
      const summaries = desired.map(summarizeDesired);
      if (flags.json) {
        printJson({ valid: true, typecheck: { config: types.config, files: types.files, diagnostics: types.diagnostics }, outDir, stacks: summaries });
        return;
      }
      process.stdout.write(`Types: no errors (${types.files} file${types.files === 1 ? '' : 's'} checked).\n`);
      process.stdout.write(summaries.map(renderSummary).join('\n\n') + '\n');
    });
}
