import type { Command } from 'commander';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { positiveInt, withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { resourceChangeLines } from '../../plan/render-text.js';
import { LinkedError } from '../../model/errors.js';
import { ApplyLogStore, type ApplyLogEntry } from '../../state/apply/apply-log.js';
import { auditWithGit, formatAudit, parseAuditFormat } from '../../github/index.js';
import { resolve } from 'node:path';
import { printable } from '../../model/printable.js';

/** `--since`: an ISO date/time, or a span back from now (`90m`, `24h`, `7d`). */
export function parseSince(text: string, now = new Date()): Date {
  const span = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (span) return new Date(now.getTime() - Number(span[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd']);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new LinkedError('INVALID_ARGUMENT', `--since must be an ISO date (2026-01-31) or a span such as 24h or 7d (got "${text}").`);
  return d;
}

export function renderAuditText(entries: readonly ApplyLogEntry[]): string {
  if (entries.length === 0) return 'No applies match.\n';
  const out: string[] = [];
  for (const e of entries) {
    const where = [
      e.commitSha ? `commit ${e.commitSha.slice(0, 12)}${e.dirty ? ' + uncommitted changes' : ''}` : null,
      e.branch ? `branch ${e.branch}` : null,
      e.prNumber !== null ? `PR #${e.prNumber}` : null,
    ].filter(Boolean);
    out.push(`${e.appliedAt}  apply ${e.id}  by ${e.appliedBy ?? 'unknown'}${e.author ? ` (author ${e.author})` : ''}${where.length ? `  ${where.join('  ')}` : ''}`);
    for (const c of e.changes) out.push(...resourceChangeLines({ ...c, notes: [] }));
    out.push('');
  }
  return out.join('\n');
}

export function register(program: Command): void {
  withProjectOptions(program.command('audit').description('who changed what, when, from which commit, with the diff'))
    .option('--since <when>', 'only applies since an ISO date or a span (24h, 7d)')
    .option('--resource <resource>', 'only changes of one resource (address or key)')
    .option('--limit <n>', 'at most n applies (the newest)')
    .option('--format <format>', 'join each apply with git history (author, date, subject, PR, approvers): markdown, json or csv')
    .option('--repo <path>', 'with --format: the git clone to read history from (default --dir)')
    .addHelpText(
      'after',
      `
Without --format, the apply log as recorded (--json: its entries). With --format, each apply is
joined with its commit in a local clone (CI: check out with fetch-depth: 0).

Examples:
  $ linked audit --resource audience.high_value --since 30d
  $ linked audit --format csv > audit.csv
  $ linked audit --format markdown --repo ../audiences`,
    )
    .action(async (flags: ProjectFlags & { since?: string; resource?: string; limit?: string; format?: string; repo?: string }) => {
      const format = flags.format === undefined ? undefined : parseAuditFormat(flags.format);
      if (format && flags.json) throw new LinkedError('INVALID_ARGUMENT', '--json and --format exclude each other: use --format json.');
      if (flags.repo && !format) throw new LinkedError('INVALID_ARGUMENT', '--repo needs --format.');
      const since = flags.since ? parseSince(flags.since) : undefined;
      // `abc` and `0` read as no limit before: every apply printed.
      const limit = flags.limit === undefined ? undefined : positiveInt(flags.limit, '--limit');
      const project = await openProject(projectOptions(flags));
      let entries: ApplyLogEntry[];
      try {
        entries = await new ApplyLogStore(project.warehouse, project.stateSchema).read({ stack: project.desired.stack, since, resource: flags.resource, limit });
      } finally {
        await project.close();
      }
      if (format) {
        const records = await auditWithGit(entries, resolve(flags.repo ?? project.dir));
        process.stdout.write(formatAudit(records, format));
      } else if (flags.json) printJson({ entries });
      // Commit subjects and authors come from git: printed with what would steer a terminal escaped.
      else process.stdout.write(printable(renderAuditText(entries)));
    });
}
