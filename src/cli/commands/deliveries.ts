import type { Command } from 'commander';
import { findDeliveries, readDeliveryRuns } from '../../activation/inspect.js';
import { otherStacksKeys } from '../../state/apply/resources.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { positiveInt } from '../command-options.js';
import { printable } from '../../model/printable.js';

export function register(program: Command): void {
  withProjectOptions(program.command('deliveries').description('what was sent to whom: search by user id or event name; --runs for the delivery log'))
    .option('--user-id <id>', 'only events of this user')
    .option('--event <name>', 'only events with this name, e.g. "Entity Added"')
    .option('--emitter <key>', 'only this event emitter')
    .option('--runs', 'the delivery log: counts per run and emitter, last error')
    .option('--limit <n>', 'how many, newest first', '50')
    .action(async (flags: ProjectFlags & { userId?: string; event?: string; emitter?: string; runs?: boolean; limit: string }) => {
      const limit = positiveInt(flags.limit, '--limit');
      const project = await openProject(projectOptions(flags));
      try {
        const { emitters: notEmitters } = await otherStacksKeys(project.warehouse, project.stateSchema, project.desired.stack);
        if (flags.runs) {
          const runs = await readDeliveryRuns(project.warehouse, project.stateSchema, { emitter: flags.emitter, notEmitters, limit });
          if (flags.json) return printJson({ runs });
          if (runs.length === 0) return void process.stdout.write('No deliveries yet.\n');
          for (const r of runs) {
            process.stdout.write(
              printable(`${r.startedAt ?? ''} ${r.runId} ${r.emitterKey} -> ${r.destinationKey}: ${r.sent} sent, ${r.failed} failed, ${r.deadLettered} dead-lettered (${r.status})${r.lastError ? `\n    last error: ${r.lastError}` : ''}\n`),
            );
          }
          return;
        }
        const found = await findDeliveries(project.warehouse, project.stateSchema, { userId: flags.userId, event: flags.event, emitter: flags.emitter, notEmitters, limit });
        if (flags.json) return printJson({ deliveries: found });
        if (found.length === 0) return void process.stdout.write('No matching deliveries.\n');
        for (const d of found) {
          process.stdout.write(
            printable(`${d.deliveredAt ?? ''} ${d.status.padEnd(13)} ${d.userId} "${d.event}"${d.entityId ? ` entity ${d.entityId}` : ''} -> ${d.destinationKey} (${d.emitterKey}) messageId ${d.messageId}\n`),
          );
        }
      } finally {
        await project.close();
      }
    });
}
