import type { Command } from 'commander';
import { resumeAudience } from '../../compute/status.js';
import { computeTables } from '../../compute/tables.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../../plan/command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';

export function register(program: Command): void {
  withProjectOptions(program.command('resume <audience>').description('resume an audience paused for manual intervention'))
    .action(async (audience: string, flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      try {
        const { wasPaused } = await resumeAudience(project.warehouse, computeTables(project.warehouse, project.stateSchema), audience);
        if (flags.json) printJson({ audience, resumed: wasPaused });
        else
          process.stdout.write(
            wasPaused
              ? `Resumed ${audience}: it computes at the controller's next tick (or now with \`linked compute ${audience}\`).\n`
              : `${audience} was not paused; it is due at the controller's next tick.\n`,
          );
      } finally {
        await project.close();
      }
    });
}
