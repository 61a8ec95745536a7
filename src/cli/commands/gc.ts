import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { LinkedError } from '../../model/errors.js';
import { collectGarbage, DEFAULT_RETENTION_DAYS, type RetentionCounts } from '../../state/retention/retention.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';

interface GcFlags extends ProjectFlags {
  retentionDays: string;
  dryRun?: boolean;
}

const LABELS: Record<keyof RetentionCounts, string> = {
  outboxRows: 'outbox rows compacted (delivered, superseded)',
  backfillRows: 'backfill rows (delivered)',
  deliveryPages: 'delivery pages',
  deliveryEvents: 'delivery events',
  deliveryRuns: 'delivery runs',
  replayedDeadLetters: 'replayed dead letters',
  runs: 'compute runs',
  computeRequests: 'served compute requests',
};

export function register(program: Command): void {
  withProjectOptions(program.command('gc').description('remove state older than the retention: delivered outbox rows, delivery records, run history, replayed dead letters'))
    .option('--retention-days <days>', 'keep this many days of history (at least 1)', String(DEFAULT_RETENTION_DAYS))
    .option('--dry-run', 'count what would be removed, remove nothing')
    .addHelpText(
      'after',
      `
What stays, whatever the retention: dead letters not yet replayed, every outbox row an emitter has
not delivered, each current member's latest outbox row (so \`linked resume --rebuild-snapshot\` still
rebuilds the snapshot), each audience's last run. \`linked run\` collects in the background too.
A DuckDB file does not shrink after a collection: the freed blocks are reused (docs/operations.md).

Examples:
  $ linked gc --dry-run
  $ linked gc --retention-days 7 --json`,
    )
    .action(async (flags: GcFlags) => {
      const days = Number(flags.retentionDays);
      if (!Number.isFinite(days) || days < 1) {
        throw new LinkedError('INVALID_OPTION', `--retention-days must be a number of days, at least 1 (what delivery and replay need), got "${flags.retentionDays}".`);
      }
      const project = await openProject(projectOptions(flags));
      let counts: RetentionCounts;
      try {
        counts = await collectGarbage(project.warehouse, project.stateSchema, { retentionMs: days * 86_400_000, dryRun: flags.dryRun });
      } finally {
        await project.close();
      }
      const wh = project.desired.warehouse;
      const fileBytes = wh.type === 'duckdb' && wh.path !== ':memory:' ? statSync(resolve(project.dir, wh.path)).size : undefined;
      const removed = Object.values(counts).reduce((a, b) => a + b, 0);
      if (flags.json) {
        printJson({ dryRun: !!flags.dryRun, retentionDays: days, removed: counts, total: removed, fileBytes });
        return;
      }
      process.stdout.write(`${flags.dryRun ? 'Would remove' : 'Removed'} ${removed} row(s) older than ${days} day(s):\n`);
      for (const [k, label] of Object.entries(LABELS)) process.stdout.write(`  ${String(counts[k as keyof RetentionCounts]).padStart(8)}  ${label}\n`);
      if (fileBytes !== undefined) process.stdout.write(`DuckDB file: ${(fileBytes / 1048576).toFixed(1)} MB\n`);
    });
}
