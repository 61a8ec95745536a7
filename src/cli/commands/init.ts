import type { Command } from 'commander';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { migrateState } from '../../state/migrate.js';

/** `linked init`: creates the state schema (or migrates it to the latest version). */
export function register(program: Command): void {
  withProjectOptions(program.command('init').description('create or migrate the state schema in the warehouse')).action(async (flags: ProjectFlags) => {
    const project = await openProject(projectOptions(flags));
    try {
      // openProject already migrated; this call reports the version (a no-op when current).
      const { to } = await migrateState(project.warehouse, project.stateSchema);
      const result = { stack: project.desired.stack, stateSchema: project.stateSchema, warehouse: project.desired.warehouse.type, schemaVersion: to };
      if (flags.json) printJson(result);
      else process.stdout.write(`State schema ${result.stateSchema} is at version ${to} (${result.warehouse}). Stack "${result.stack}" is ready to plan.\n`);
    } finally {
      await project.close();
    }
  });
}
