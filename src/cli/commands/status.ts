import type { Command } from 'commander';
import { readAppliedModel } from '../../compute/applied.js';
import { renderStatus, statusView } from '../../compute/format.js';
import { readStatuses } from '../../compute/status.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { SyncStatusStore, type SyncStatusRow } from '../../state/control/sync-status.js';

/** The git sync of `linked run --git`, under the audiences: status and the last synced commit. */
export function renderSyncStatus(s: SyncStatusRow): string {
  const short = (c: string | null) => (c ? c.slice(0, 12) : 'none');
  const lines = [
    '',
    `Sync: ${s.suspended ? 'suspended' : s.status}${s.source ? ` from ${s.source} (${s.branch})` : ''}`,
    `  last synced commit ${short(s.lastSyncedCommit)}${s.lastSyncedAt ? ` at ${s.lastSyncedAt}` : ''}; last attempt ${s.lastAttemptAt}${s.attemptedCommit ? ` at ${short(s.attemptedCommit)}` : ''}`,
  ];
  if (s.message) lines.push(`  ${s.message}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  withProjectOptions(program.command('status').description('every applied audience: status (Computing, Live, Disabled, Failed), last run, next run, size; and the git sync status'))
    .action(async (flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      try {
        const wh = project.warehouse;
        const model = await readAppliedModel(wh, project.stateSchema, flags.stack);
        const rows = new Map((await readStatuses(wh, project.stateSchema)).map((r) => [r.audienceKey, r]));
        const views = (model?.audiences ?? []).map((a) => statusView(a, rows.get(a.key)));
        const [sync] = await new SyncStatusStore(wh, project.stateSchema).read(project.desired.stack);
        if (flags.json) printJson({ audiences: views, sync: sync ?? null });
        else process.stdout.write(renderStatus(views) + (sync ? renderSyncStatus(sync) : ''));
      } finally {
        await project.close();
      }
    });
}
