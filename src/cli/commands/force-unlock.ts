import type { Command } from 'commander';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { LockStore } from '../../state/apply/lock.js';

/** `linked force-unlock <id>`: releases a state lock left by a process that died. */
export function register(program: Command): void {
  withProjectOptions(program.command('force-unlock <id>').description('release a state lock by id (only when its holder is gone)')).action(
    async (id: string, flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      try {
        const lock = await new LockStore(project.warehouse, project.stateSchema).forceUnlock(id);
        if (flags.json) printJson({ released: lock });
        else process.stdout.write(`Released the state lock ${lock.id} (${lock.name}, held by ${lock.holder} since ${lock.acquiredAt}).\n`);
      } finally {
        await project.close();
      }
    },
  );
}
