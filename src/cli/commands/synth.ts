import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { listStacks, synthApp } from '../../manifest/index.js';
import { PROVIDER_NAME } from '../../model/desired.js';
import { printJson } from '../run.js';
import { requireTypesClean } from '../typecheck.js';

interface SynthFlags {
  dir: string;
  outDir?: string;
  json?: boolean;
  quiet?: boolean;
  check?: boolean;
}

/** Stack name, file and how many linkedaudiences_* resources it holds (other providers' are not ours). */
export function describeOutDir(outDir: string): { name: string; file: string; resources: number }[] {
  return [...listStacks(outDir)].map(([name, file]) => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
    const resources = Object.entries(json.resource ?? {})
      .filter(([type]) => type.startsWith(`${PROVIDER_NAME}_`))
      .reduce((n, [, byName]) => n + Object.keys(byName).length, 0);
    return { name, file, resources };
  });
}

export function register(program: Command): void {
  program
    .command('synth')
    .description("run the app as the project's cdktf.json says and write cdktf.out/ (Terraform JSON)")
    .option('--dir <dir>', 'project directory (holds cdktf.json)', '.')
    .option('--out-dir <dir>', "write here instead of cdktf.json's output (default cdktf.out)")
    .option('--json', 'machine-readable output')
    .option('--quiet', "do not echo the app's own output")
    .option('--check', 'type-check the project first (as "linked check") and stop at a type error')
    .addHelpText(
      'after',
      `
The app command comes from cdktf.json ("app", e.g. "tsx main.ts") and runs in the project
directory; it writes to "output" (default cdktf.out). Construct validation errors fail the
synth with the construct path of each problem. Then check the result with "linked validate".

Examples:
  $ linked synth
  $ linked synth --check
  $ linked synth --dir examples/airline --json`,
    )
    .action(async (flags: SynthFlags) => {
      if (flags.check) requireTypesClean(resolve(flags.dir), { json: flags.json });
      const outDir = await synthApp(flags.dir, { quiet: flags.quiet || flags.json, outDir: flags.outDir });
      const stacks = describeOutDir(outDir);
      if (flags.json) {
        printJson({ outDir, stacks });
        return;
      }
      const shown = relative(process.cwd(), outDir) || outDir;
      process.stdout.write(`Synthesized ${stacks.length} stack${stacks.length === 1 ? '' : 's'} to ${shown}\n`);
      for (const s of stacks) process.stdout.write(`  ${s.name}: ${s.resources} resources (${relative(resolve(flags.dir), s.file)})\n`);
    });
}
