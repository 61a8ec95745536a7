import type { Command } from 'commander';
import { rebuildSnapshot, type RebuiltSnapshot } from '../../compute/rebuild.js';
import { resumeAudience } from '../../compute/status.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';

type ResumeFlags = ProjectFlags & { rebuildSnapshot?: boolean };

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('resume <audience>')
      .description('resume an audience paused for manual intervention')
      .option('--rebuild-snapshot', 'first rebuild its snapshot from its outbox (the way out of SNAPSHOT_MISMATCH)'),
  ).action(async (audience: string, flags: ResumeFlags) => {
    const project = await openProject(projectOptions(flags));
    try {
      const snapshot = flags.rebuildSnapshot ? await rebuildSnapshot(project.warehouse, project.stateSchema, audience) : undefined;
      const { wasPaused } = await resumeAudience(project.warehouse, project.stateSchema, audience);
      if (flags.json) printJson({ audience, resumed: wasPaused, ...(snapshot ? { snapshot } : {}) });
      else {
        if (snapshot) process.stdout.write(describeRebuild(audience, snapshot));
        process.stdout.write(
          wasPaused
            ? `Resumed ${audience}: it computes at the controller's next tick (or now with \`linked compute ${audience}\`).\n`
            : `${audience} was not paused; it is due at the controller's next tick.\n`,
        );
      }
    } finally {
      await project.close();
    }
  });
}

function describeRebuild(audience: string, { before, after }: RebuiltSnapshot): string {
  const paths = [...new Set([...Object.keys(before.entities), ...Object.keys(after.entities)])].sort();
  const lines = [
    `Rebuilt the snapshot of ${audience} from its outbox:`,
    `  members ${before.members} -> ${after.members}`,
    ...paths.map((p) => `  ${p} matches ${before.entities[p] ?? 0} -> ${after.entities[p] ?? 0}`),
  ];
  return lines.join('\n') + '\n';
}
