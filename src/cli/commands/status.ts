import type { Command } from 'commander';
import { readAppliedModel } from '../../compute/applied.js';
import { renderStatus, statusView } from '../../compute/format.js';
import { readStatuses } from '../../compute/status.js';
import { computeTables } from '../../compute/tables.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../../plan/command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';

export function register(program: Command): void {
  withProjectOptions(program.command('status').description('every applied audience: status (Computing, Live, Disabled, Failed), last run, next run, size'))
    .action(async (flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      try {
        const wh = project.warehouse;
        const model = await readAppliedModel(wh, project.stateSchema, flags.stack);
        const rows = new Map((await readStatuses(wh, computeTables(wh, project.stateSchema))).map((r) => [r.audienceKey, r]));
        const views = (model?.audiences ?? []).map((a) => statusView(a, rows.get(a.key)));
        if (flags.json) printJson({ audiences: views });
        else process.stdout.write(renderStatus(views));
      } finally {
        await project.close();
      }
    });
}
