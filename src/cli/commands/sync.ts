import type { Command } from 'commander';
import { SyncStatusStore } from '../../state/control/sync-status.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';

/** `linked sync suspend|resume`: stop and restart a `linked run --git` controller's syncing (Flux's suspend). */
export function register(program: Command): void {
  const sync = program.command('sync').description('suspend or resume the git sync of `linked run --git` for a stack');
  for (const suspended of [true, false]) {
    withProjectOptions(
      sync
        .command(suspended ? 'suspend' : 'resume')
        .description(
          suspended
            ? 'the controller stops pulling, applying and computing this stack until it is resumed'
            : 'the controller pulls, applies and computes this stack again from its next attempt',
        ),
    ).action(async (flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      try {
        const stack = project.desired.stack;
        const syncStatus = new SyncStatusStore(project.warehouse, project.stateSchema);
        await syncStatus.setSuspended(stack, suspended);
        const [row] = await syncStatus.read(stack);
        if (flags.json) printJson({ stack, suspended, sync: row ?? null });
        else
          process.stdout.write(
            suspended
              ? `Suspended the sync of ${stack}: a running controller skips it from its next attempt.\n`
              : `Resumed the sync of ${stack}: it syncs at the controller's next attempt.\n`,
          );
      } finally {
        await project.close();
      }
    });
  }
}
