import type { Command } from 'commander';
import { renderRuns } from '../../compute/format.js';
import { readRuns } from '../../compute/status.js';
import { otherStacksKeys } from '../../state/apply/resources.js';
import { positiveInt, projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { printable } from '../../model/printable.js';

export function register(program: Command): void {
  withProjectOptions(program.command('runs [audience]').description('run history: start, duration, members, entered, exited, entities, errors'))
    .option('--limit <n>', 'how many runs, newest first', '20')
    .action(async (audience: string | undefined, flags: ProjectFlags & { limit: string }) => {
      // `abc` read as 20 and `0` as 20 before, without a word.
      const limit = positiveInt(flags.limit, '--limit');
      const project = await openProject(projectOptions(flags));
      try {
        const others = await otherStacksKeys(project.warehouse, project.stateSchema, project.desired.stack);
        const runs = await readRuns(project.warehouse, project.stateSchema, {
          audienceKey: audience,
          notAudiences: others.audiences,
          limit,
        });
        if (flags.json) printJson({ runs });
        else process.stdout.write(printable(renderRuns(runs)));
      } finally {
        await project.close();
      }
    });
}
